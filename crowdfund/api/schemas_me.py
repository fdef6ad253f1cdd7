"""The shapes of a token holder's own things: their account, pledges and investments,
what they send to make, change or cancel one; a founder's campaigns, backers, numbers and
updates (crowdfund/api/schemas.py has the conventions)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from crowdfund.api.schemas import (
    CampaignSummarySchema,
    InputSchema,
    MoneySchema,
    PersonSchema,
)

MAX_ADD_ON_LINES = 20


class MeSchema(Schema):
    id = fields.Str(required=True)
    display_name = fields.Str(required=True)
    email = fields.Str(required=True)
    email_confirmed = fields.Bool(required=True)
    locale = fields.Str(allow_none=True, required=True)
    timezone = fields.Str(allow_none=True, required=True)
    scopes = fields.List(fields.Str(), required=True, metadata={
        "description": "What the token sending the request may do."})


class CampaignRefSchema(Schema):
    id = fields.Str(required=True)
    slug = fields.Str(required=True)
    title = fields.Str(required=True)
    kind = fields.Str(required=True)
    status = fields.Str(required=True)
    deadline = fields.DateTime(allow_none=True, required=True)


class PledgeAddOnSchema(Schema):
    id = fields.Str(required=True)
    name = fields.Str(required=True)
    quantity = fields.Int(required=True)
    price = fields.Nested(MoneySchema, required=True)


class CardSchema(Schema):
    brand = fields.Str(allow_none=True, required=True)
    last4 = fields.Str(allow_none=True, required=True)
    exp_month = fields.Int(allow_none=True, required=True)
    exp_year = fields.Int(allow_none=True, required=True)


class PaymentSchema(Schema):
    needs_fixing = fields.Bool(required=True, metadata={
        "description": "The charge failed and the backer can still fix it (on the web "
                       "page ``fix_url``: a new card, or the bank's confirmation)."})
    fix_by = fields.DateTime(allow_none=True, required=True)
    fix_url = fields.Str(allow_none=True, required=True)


class SetupIntentSchema(Schema):
    id = fields.Str(required=True)
    client_secret = fields.Str(required=True, metadata={
        "description": "Confirm it with Stripe's mobile SDKs or Stripe.js, then call "
                       "confirm."})
    status = fields.Str(required=True)
    publishable_key = fields.Str(required=True)


class PledgeSchema(Schema):
    id = fields.Str(required=True)
    url = fields.Str(required=True, metadata={"description": "Its page on the web."})
    kind = fields.Str(required=True, validate=validate.OneOf(("pledge", "investment")))
    status = fields.Str(required=True)
    late = fields.Bool(required=True, metadata={
        "description": "Made after the deadline, charged at once (not in the deadline's "
                       "totals)."})
    campaign = fields.Nested(CampaignRefSchema, required=True)
    amount = fields.Nested(MoneySchema, required=True, metadata={
        "description": "Everything that will be charged, shipping and add-ons included."})
    shipping = fields.Nested(MoneySchema, required=True)
    reward_id = fields.Str(allow_none=True, required=True)
    reward_title = fields.Str(allow_none=True, required=True)
    destination = fields.Str(allow_none=True, required=True)
    add_ons = fields.List(fields.Nested(PledgeAddOnSchema), required=True)
    shares = fields.Int(allow_none=True, required=True)
    card = fields.Nested(CardSchema, allow_none=True, required=True)
    created_at = fields.DateTime(required=True)
    may_change = fields.Bool(required=True)
    may_cancel = fields.Bool(required=True)
    payment = fields.Nested(PaymentSchema, required=True)


class NewPledgeSchema(PledgeSchema):
    setup_intent = fields.Nested(SetupIntentSchema, required=True)


class PledgeListSchema(Schema):
    items = fields.List(fields.Nested(PledgeSchema), required=True)
    next_cursor = fields.Str(allow_none=True, required=True)


class AddOnChoiceSchema(InputSchema):
    add_on_id = fields.Str(required=True, validate=validate.Length(max=20))
    quantity = fields.Int(required=True, validate=validate.Range(min=0, max=1000))


class PledgeChoiceSchema(InputSchema):
    """What a backer chooses: the reward (none: null), the amount (everything, shipping
    and add-ons included, at least what they add up to), where to ship, add-ons."""

    tier_id = fields.Str(allow_none=True, load_default=None,
                         validate=validate.Length(max=20))
    amount_minor = fields.Int(required=True, strict=True,
                              validate=validate.Range(min=1, max=10**13))
    currency = fields.Str(required=True, validate=validate.Length(equal=3))
    destination = fields.Str(allow_none=True, load_default=None,
                             validate=validate.Length(min=2, max=3))
    add_ons = fields.List(fields.Nested(AddOnChoiceSchema), load_default=list,
                          validate=validate.Length(max=MAX_ADD_ON_LINES))


class NewPledgeBodySchema(PledgeChoiceSchema):
    campaign_id = fields.Str(required=True, validate=validate.Length(min=1, max=20))


class CommentBodySchema(InputSchema):
    body = fields.Str(required=True, validate=validate.Length(min=1, max=5000))
    kind = fields.Str(load_default="comment", validate=validate.OneOf(("comment", "question")))
    parent_id = fields.Str(allow_none=True, load_default=None,
                           validate=validate.Length(max=20))


class CommentCreatedSchema(Schema):
    id = fields.Str(required=True)
    kind = fields.Str(required=True)
    body = fields.Str(required=True)
    author = fields.Nested(PersonSchema, required=True)
    created_at = fields.DateTime(required=True)


class FollowSchema(Schema):
    campaign_id = fields.Str(required=True)
    following = fields.Bool(required=True)


class MyCampaignListSchema(Schema):
    items = fields.List(fields.Nested(CampaignSummarySchema), required=True)


class DayCountSchema(Schema):
    date = fields.Date(required=True)
    count = fields.Int(required=True)


class BackerSchema(Schema):
    pledge_id = fields.Str(required=True)
    backer = fields.Nested(PersonSchema, required=True)
    email = fields.Str(required=True, metadata={
        "description": "To reach the backer about their reward, as in the backers CSV."})
    status = fields.Str(required=True)
    amount = fields.Nested(MoneySchema, required=True)
    reward_id = fields.Str(allow_none=True, required=True)
    reward_title = fields.Str(allow_none=True, required=True)
    destination = fields.Str(allow_none=True, required=True)
    add_ons = fields.List(fields.Nested(PledgeAddOnSchema), required=True)
    created_at = fields.DateTime(required=True)


class BackerListSchema(Schema):
    items = fields.List(fields.Nested(BackerSchema), required=True)
    next_cursor = fields.Str(allow_none=True, required=True)


class BarSchema(Schema):
    label = fields.Str(required=True)
    count = fields.Int(required=True)
    amount = fields.Nested(MoneySchema, required=True)


class StatsSchema(Schema):
    pledged = fields.Nested(MoneySchema, required=True)
    backers = fields.Int(required=True)
    percent_funded = fields.Int(required=True)
    by_reward = fields.List(fields.Nested(BarSchema), required=True)
    by_source = fields.List(fields.Nested(BarSchema), required=True)
    pledges_per_day = fields.List(fields.Nested(DayCountSchema), required=True)


class UpdateCreatedSchema(Schema):
    id = fields.Str(required=True)
    number = fields.Int(required=True)
    title = fields.Str(required=True)
    backers_only = fields.Bool(required=True)
    published_at = fields.DateTime(required=True)


class UpdateBodySchema(InputSchema):
    title = fields.Str(required=True, validate=validate.Length(min=1, max=120))
    body_markdown = fields.Str(required=True, validate=validate.Length(min=1, max=20000))
    backers_only = fields.Bool(load_default=False)
