"""The API's JSON shapes (marshmallow schemas, from which the OpenAPI document is made).

Conventions (docs/api.md#conventions): money is ``{"amount_minor": 2500, "currency":
"USD", "formatted": "US$25.00"}`` (integer minor units, never a float; ``formatted`` in
the request's language, for display only); times are ISO 8601 in UTC with the offset;
ids are strings. Views build plain dicts (``crowdfund.api.present``) and these schemas
dump and document them.
"""

from __future__ import annotations

from collections.abc import Mapping

from marshmallow import Schema, ValidationError, fields, pre_load, validate

from crowdfund.campaigns.categories import CATEGORIES

SORTS = ("newest", "ending", "funded")
STAGES = ("live", "funded", "ended")
KINDS = ("reward", "equity")
MAX_PAGE_SIZE = 50


class InputSchema(Schema):
    """What a request sends (a query string, a body): text with a NUL or another control
    character is refused at its field (no database stores it, PostgreSQL refuses it)."""

    @pre_load
    def refuse_control_characters(self, data, **_kwargs):
        if not isinstance(data, Mapping):  # a JSON body, or the query string's proxy
            return data
        bad = {key: ["Control characters are not allowed."] for key, value in data.items()
               if isinstance(value, str) and _has_control(value)}
        if bad:
            raise ValidationError(bad)
        return data


def _has_control(text: str) -> bool:
    return any(ord(c) < 32 and c not in "\t\n\r" for c in text)


class ProblemSchema(Schema):
    """RFC 9457 problem details: every error of the API."""

    type = fields.Str(required=True, metadata={"description": "A URI naming the problem."})
    title = fields.Str(required=True)
    status = fields.Int(required=True)
    detail = fields.Str()
    errors = fields.Dict(keys=fields.Str(), values=fields.List(fields.Str()), metadata={
        "description": "Invalid input: the messages per field."})


class MoneySchema(Schema):
    amount_minor = fields.Int(required=True, metadata={
        "description": "Integer minor units (cents; yen have none)."})
    currency = fields.Str(required=True, metadata={"description": "ISO 4217 code."})
    formatted = fields.Str(required=True, metadata={
        "description": "For display, in the request's language."})


class PersonSchema(Schema):
    id = fields.Str(required=True)
    display_name = fields.Str(required=True)


class CampaignSummarySchema(Schema):
    id = fields.Str(required=True)
    slug = fields.Str(required=True)
    url = fields.Str(required=True, metadata={"description": "The campaign's web page."})
    title = fields.Str(required=True)
    blurb = fields.Str(required=True)
    category = fields.Str(required=True)
    kind = fields.Str(required=True, validate=validate.OneOf(KINDS))
    funding_model = fields.Str(required=True, validate=validate.OneOf(
        ("all_or_nothing", "flexible")))
    status = fields.Str(required=True)
    goal = fields.Nested(MoneySchema, required=True)
    pledged = fields.Nested(MoneySchema, required=True, metadata={
        "description": "Counted pledges; frozen at the deadline once it has passed."})
    backers = fields.Int(required=True)
    percent_funded = fields.Int(required=True)
    launched_at = fields.DateTime(allow_none=True, required=True)
    deadline = fields.DateTime(allow_none=True, required=True)
    founder = fields.Nested(PersonSchema, required=True)
    cover_url = fields.Str(allow_none=True, required=True)


class CampaignListSchema(Schema):
    items = fields.List(fields.Nested(CampaignSummarySchema), required=True)
    next_cursor = fields.Str(allow_none=True, required=True, metadata={
        "description": "Pass as ``cursor`` for the next page; null on the last page."})


class CampaignQuerySchema(InputSchema):
    category = fields.Str(validate=validate.OneOf(list(CATEGORIES)))
    status = fields.Str(load_default="live", validate=validate.OneOf(STAGES))
    kind = fields.Str(validate=validate.OneOf(KINDS))
    q = fields.Str(validate=validate.Length(max=100))
    sort = fields.Str(load_default="newest", validate=validate.OneOf(SORTS))
    cursor = fields.Str(validate=validate.Length(max=400))
    limit = fields.Int(load_default=20, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


class ShippingSchema(Schema):
    destination = fields.Str(required=True, metadata={
        "description": "ISO country code, or a region code of the platform."})
    fee = fields.Nested(MoneySchema, required=True)


class TierSchema(Schema):
    id = fields.Str(required=True)
    title = fields.Str(required=True)
    description = fields.Str(required=True)
    minimum = fields.Nested(MoneySchema, required=True)
    limited = fields.Bool(required=True)
    units_left = fields.Int(allow_none=True, required=True)
    estimated_delivery = fields.Date(allow_none=True, required=True)
    ships = fields.Bool(required=True)
    shipping = fields.List(fields.Nested(ShippingSchema), required=True)
    image_url = fields.Str(allow_none=True, required=True)


class AddOnSchema(Schema):
    id = fields.Str(required=True)
    name = fields.Str(required=True)
    description = fields.Str(required=True)
    price = fields.Nested(MoneySchema, required=True)
    units_left = fields.Int(allow_none=True, required=True)
    ships = fields.Bool(required=True)
    tier_ids = fields.List(fields.Str(), allow_none=True, required=True, metadata={
        "description": "The rewards it can join; null: every reward."})
    image_url = fields.Str(allow_none=True, required=True)


class FaqSchema(Schema):
    question = fields.Str(required=True)
    answer_html = fields.Str(required=True, metadata={"description": "Sanitised HTML."})


class OfferingSchema(Schema):
    issuer_legal_name = fields.Str(required=True)
    issuer_jurisdiction = fields.Str(required=True)
    security = fields.Str(required=True)
    price_per_share = fields.Nested(MoneySchema, allow_none=True, required=True)
    valuation_cap = fields.Nested(MoneySchema, allow_none=True, required=True)
    discount_bps = fields.Int(allow_none=True, required=True)
    interest_rate_bps = fields.Int(allow_none=True, required=True)
    maturity_on = fields.Date(allow_none=True, required=True)
    target = fields.Nested(MoneySchema, required=True)
    maximum = fields.Nested(MoneySchema, required=True)
    minimum_investment = fields.Nested(MoneySchema, required=True)
    allocation = fields.Str(required=True)


class CampaignSchema(CampaignSummarySchema):
    story_html = fields.Str(required=True, metadata={"description": "Sanitised HTML."})
    risks_html = fields.Str(required=True)
    followers = fields.Int(required=True)
    tiers = fields.List(fields.Nested(TierSchema), required=True)
    add_ons = fields.List(fields.Nested(AddOnSchema), required=True)
    faq = fields.List(fields.Nested(FaqSchema), required=True)
    offering = fields.Nested(OfferingSchema, allow_none=True, required=True)


class BudgetLineSchema(Schema):
    label = fields.Str(required=True)
    amount = fields.Nested(MoneySchema, required=True)


class BudgetSchema(Schema):
    lines = fields.List(fields.Nested(BudgetLineSchema), required=True)
    total = fields.Nested(MoneySchema, required=True)


class UpdateSchema(Schema):
    id = fields.Str(required=True)
    number = fields.Int(required=True)
    title = fields.Str(required=True)
    body_html = fields.Str(required=True)
    backers_only = fields.Bool(required=True)
    published_at = fields.DateTime(required=True)


class UpdateListSchema(Schema):
    items = fields.List(fields.Nested(UpdateSchema), required=True)


class CommentSchema(Schema):
    id = fields.Str(required=True)
    kind = fields.Str(required=True, validate=validate.OneOf(("comment", "question")))
    author = fields.Nested(PersonSchema, allow_none=True, required=True)
    author_is_backer = fields.Bool(required=True)
    author_is_founder = fields.Bool(required=True)
    body = fields.Str(allow_none=True, required=True, metadata={
        "description": "Plain text; null when removed."})
    created_at = fields.DateTime(required=True)


class ThreadSchema(CommentSchema):
    replies = fields.List(fields.Nested(CommentSchema), required=True)


class ThreadListSchema(Schema):
    items = fields.List(fields.Nested(ThreadSchema), required=True)
    next_cursor = fields.Str(allow_none=True, required=True)


class PageQuerySchema(InputSchema):
    cursor = fields.Str(validate=validate.Length(max=400))
    limit = fields.Int(load_default=20, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


class DaySchema(Schema):
    date = fields.Date(required=True)
    amount_minor = fields.Int(required=True)
    total_minor = fields.Int(required=True)


class SeriesSchema(Schema):
    currency = fields.Str(required=True)
    goal_minor = fields.Int(required=True)
    days = fields.List(fields.Nested(DaySchema), required=True)
