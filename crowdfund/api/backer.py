"""A token holder's own: their account, pledges and investments (make, confirm the card,
change, cancel: the services the pages call, with the same rules and the same refusals),
follows and comments. Another person's pledge does not exist here (404)."""

from __future__ import annotations

from flask import abort, url_for
from flask.views import MethodView
from sqlalchemy.orm import joinedload, selectinload

from crowdfund.api import present
from crowdfund.api.core import PROBLEM_DOC, api_user, current_token, make_blueprint, requires
from crowdfund.api.public import public_campaign
from crowdfund.api.schemas import PageQuerySchema
from crowdfund.api.schemas_me import (
    CommentBodySchema,
    CommentCreatedSchema,
    FollowSchema,
    MeSchema,
    NewPledgeBodySchema,
    NewPledgeSchema,
    PledgeChoiceSchema,
    PledgeListSchema,
    PledgeSchema,
    SetupIntentSchema,
)
from crowdfund.auth.api_tokens import Scope
from crowdfund.campaigns.add_on_models import AddOn
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.queries import tier_of
from crowdfund.campaigns.states import CampaignKind
from crowdfund.community import comments, following
from crowdfund.db import utcnow
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.i18n import _
from crowdfund.money import Money, MoneyError
from crowdfund.payments import gateway
from crowdfund.pledges import add_ons, services
from crowdfund.pledges.models import Pledge
from crowdfund.pledges.queries import abandoned
from crowdfund.settlement.recovery import fix_deadline

bp = make_blueprint("me", "The token holder's account, pledges, follows and comments.")

#: The pages' field names, as this API names them (a refusal names the field sent).
FIELDS = {"tier": "tier_id", "amount": "amount_minor", "destination": "destination"}


def _api_field(exc: DomainError) -> DomainError:
    if exc.field:
        exc.field = ("add_ons" if exc.field.startswith("add_on")
                     else FIELDS.get(exc.field, exc.field))
    return exc


def own_pledge(pledge_id: int) -> Pledge:
    """The token holder's pledge, or 404 (other people's pledges do not exist)."""
    pledge = db.session.get(Pledge, pledge_id)
    if pledge is None or pledge.backer_id != api_user().id:
        abort(404)
    return pledge


def pledge_body(pledge: Pledge) -> dict:
    campaign = pledge.campaign
    live = campaign.is_live
    fix_by = fix_deadline(pledge) if pledge.needs_payment else None
    return {
        "id": str(pledge.id), "url": url_for("pledges.show", pledge_id=pledge.id,
                                             _external=True),
        "kind": "investment" if campaign.kind is CampaignKind.EQUITY else "pledge",
        "status": pledge.status.value, "late": pledge.late,
        "campaign": {"id": str(campaign.id), "slug": campaign.slug, "title": campaign.title,
                     "kind": campaign.kind.value, "status": campaign.status.value,
                     "deadline": campaign.deadline},
        "amount": present.money(pledge.amount), "shipping": present.money(pledge.shipping),
        "reward_id": str(pledge.tier_id) if pledge.tier_id else None,
        "reward_title": pledge.tier.title if pledge.tier_id else None,
        "destination": pledge.destination,
        "add_ons": present.pledge_add_ons(pledge),
        "shares": pledge.shares,
        "card": ({"brand": pledge.card_brand, "last4": pledge.card_last4,
                  "exp_month": pledge.card_exp_month, "exp_year": pledge.card_exp_year}
                 if pledge.payment_method_id else None),
        "created_at": pledge.created_at,
        "may_change": pledge.is_open and live and campaign.kind is CampaignKind.REWARD,
        "may_cancel": pledge.is_open and live,
        "payment": {"needs_fixing": pledge.needs_payment, "fix_by": fix_by,
                    "fix_url": url_for("settlement.pay", pledge_id=pledge.id, _external=True)
                    if pledge.needs_payment else None},
    }


def _setup_intent(intent) -> dict:
    return {"id": intent.id, "client_secret": intent.client_secret, "status": intent.status,
            "publishable_key": gateway().publishable_key}


def _choice(campaign: Campaign, body: dict):
    """(tier, amount, destination, add-ons) from a request body; refusals name its field."""
    tier = None
    if body.get("tier_id") is not None:
        tier = tier_of(campaign, body["tier_id"])
        if tier is None:
            raise DomainError(_("Choose one of the rewards."), field="tier_id")
    try:
        amount = Money(body["amount_minor"], body["currency"].upper())
    except MoneyError:
        raise DomainError(_("Pledge in %(currency)s.", currency=campaign.currency),
                          field="currency") from None
    known: dict[str, AddOn] = {str(a.id): a for a in add_ons.offered(campaign)}
    extras = []
    for line in body.get("add_ons") or []:
        add_on = known.get(line["add_on_id"])
        if add_on is None:
            raise DomainError(_("Choose one of the add-ons."), field="add_ons")
        extras.append((add_on, line["quantity"]))
    destination = body.get("destination")
    return tier, amount, destination.upper() if destination else None, extras


@bp.route("/me")
class Me(MethodView):
    @requires(Scope.READ)
    @bp.response(200, MeSchema)
    def get(self):
        """The token holder's account"""
        user = api_user()
        return {"id": str(user.id), "display_name": user.display_name, "email": user.email,
                "email_confirmed": user.email_verified_at is not None,
                "locale": user.locale, "timezone": user.timezone,
                "scopes": sorted(s.value for s in current_token().scope_set)}


@bp.route("/me/pledges")
class MyPledges(MethodView):
    @requires(Scope.READ)
    @bp.arguments(PageQuerySchema, location="query")
    @bp.response(200, PledgeListSchema)
    @bp.alt_response(400, description="Refused: the reason in detail, the field in errors",
                     **PROBLEM_DOC)
    def get(self, args):
        """The holder's pledges and investments, newest first"""
        after = (present.decode_cursor(args["cursor"], "pledges", (int,))[0]
                 if args.get("cursor") else None)
        # Each pledge's campaign, reward and add-ons loaded with the page (no query per row).
        stmt = (db.select(Pledge).where(Pledge.backer_id == api_user().id, ~abandoned())
                .options(joinedload(Pledge.campaign), joinedload(Pledge.tier),
                         selectinload(Pledge.add_ons))
                .order_by(Pledge.id.desc()).limit(args["limit"] + 1))
        if after is not None:
            stmt = stmt.where(Pledge.id < after)
        rows = list(db.session.scalars(stmt))
        more = len(rows) > args["limit"]
        rows = rows[:args["limit"]]
        return {"items": [pledge_body(p) for p in rows],
                "next_cursor": present.encode_cursor("pledges", [rows[-1].id])
                if more else None}

    @requires(Scope.PLEDGE)
    @bp.arguments(NewPledgeBodySchema)
    @bp.response(201, NewPledgeSchema)
    @bp.alt_response(400, description="Refused: the reason in detail, the field in errors",
                     **PROBLEM_DOC)
    @bp.alt_response(404, description="No such public campaign", **PROBLEM_DOC)
    @bp.alt_response(409, description="Already backing it, or sold out", **PROBLEM_DOC)
    def post(self, body):
        """Back a reward campaign: a pending pledge and the SetupIntent to confirm

        Confirm ``setup_intent.client_secret`` with Stripe's SDK, then call
        ``/me/pledges/{id}/confirm``: the pledge is active once the server reads the card
        as saved. Nothing is charged unless the campaign succeeds."""
        campaign_id = body["campaign_id"]
        if not campaign_id.isdigit():
            abort(404)
        campaign = public_campaign(int(campaign_id))
        user = api_user()
        try:
            tier, amount, destination, extras = _choice(campaign, body)
            services.require_available(tier)
            if extras:
                add_ons.require_available(
                    services.quote(campaign, tier, amount, destination, extras).add_ons,
                    utcnow())
            pledge = services.start_pledge(user, campaign, tier, amount, destination,
                                           extras=extras)
            intent = services.ensure_setup_intent(pledge, user, gateway())
        except DomainError as exc:
            raise _api_field(exc) from None
        answer = {**pledge_body(pledge), "setup_intent": _setup_intent(intent)}
        db.session.commit()
        return answer, 201, {"Location": url_for("api_me.OnePledge", pledge_id=pledge.id)}


@bp.route("/me/pledges/<int:pledge_id>")
class OnePledge(MethodView):
    @requires(Scope.READ)
    @bp.response(200, PledgeSchema)
    @bp.alt_response(404, description="Not one of the holder's pledges", **PROBLEM_DOC)
    def get(self, pledge_id: int):
        """One of the holder's pledges or investments"""
        return pledge_body(own_pledge(pledge_id))

    @requires(Scope.PLEDGE)
    @bp.arguments(PledgeChoiceSchema)
    @bp.response(200, PledgeSchema)
    @bp.alt_response(400, description="Refused: the reason in detail, the field in errors",
                     **PROBLEM_DOC)
    @bp.alt_response(404, description="Not one of the holder's pledges", **PROBLEM_DOC)
    @bp.alt_response(409, description="Sold out", **PROBLEM_DOC)
    def patch(self, body, pledge_id: int):
        """Change the reward, add-ons, amount or destination (the last-24-hours rule
        applies: no lowering then)"""
        pledge = own_pledge(pledge_id)
        try:
            tier, amount, destination, extras = _choice(pledge.campaign, body)
            services.change_pledge(pledge, api_user(), tier, amount, destination,
                                   extras=extras)
        except DomainError as exc:
            raise _api_field(exc) from None
        answer = pledge_body(pledge)
        db.session.commit()
        return answer


@bp.route("/me/pledges/<int:pledge_id>/card")
class PledgeCard(MethodView):
    @requires(Scope.PLEDGE)
    @bp.response(200, SetupIntentSchema)
    @bp.alt_response(404, description="Not one of the holder's pledges", **PROBLEM_DOC)
    def post(self, pledge_id: int):
        """A SetupIntent to save a card with: the pending pledge's (the same one while it
        can still be confirmed), or a new one to replace an active pledge's card"""
        pledge = own_pledge(pledge_id)
        intent = services.ensure_setup_intent(pledge, api_user(), gateway())
        db.session.commit()
        return _setup_intent(intent)


@bp.route("/me/pledges/<int:pledge_id>/confirm")
class ConfirmPledge(MethodView):
    @requires(Scope.PLEDGE)
    @bp.response(200, PledgeSchema)
    @bp.alt_response(409, description="The campaign stopped taking pledges", **PROBLEM_DOC)
    @bp.alt_response(402, description="The card is not saved (declined, not confirmed)",
                     **PROBLEM_DOC)
    @bp.alt_response(404, description="Not one of the holder's pledges", **PROBLEM_DOC)
    def post(self, pledge_id: int):
        """After the SDK confirmed the SetupIntent: the server reads it back and saves the
        card (the pledge becomes active, or its card is replaced)"""
        pledge = own_pledge(pledge_id)
        services.confirm_card(pledge, gateway(), actor=api_user())
        answer = pledge_body(pledge)
        db.session.commit()
        return answer


@bp.route("/me/pledges/<int:pledge_id>/cancel")
class CancelPledge(MethodView):
    @requires(Scope.PLEDGE)
    @bp.response(200, PledgeSchema)
    @bp.alt_response(400, description="Closed already, or past the cut-off", **PROBLEM_DOC)
    @bp.alt_response(409, description="The last day: it would take the campaign below its "
                     "goal", **PROBLEM_DOC)
    @bp.alt_response(404, description="Not one of the holder's pledges", **PROBLEM_DOC)
    def post(self, pledge_id: int):
        """Cancel (the last-24-hours rule for pledges; 48 hours before the deadline for
        investments; revoking within an EU reflection period)"""
        pledge = own_pledge(pledge_id)
        services.cancel_pledge(pledge, api_user())
        answer = pledge_body(pledge)
        db.session.commit()
        return answer


@bp.route("/me/follows/<int:campaign_id>")
class Follow(MethodView):
    @requires(Scope.READ)
    @bp.response(200, FollowSchema)
    @bp.alt_response(404, description="No such public campaign", **PROBLEM_DOC)
    def get(self, campaign_id: int):
        """Whether the holder follows the campaign"""
        campaign = public_campaign(campaign_id)
        return {"campaign_id": str(campaign.id),
                "following": following.follows_campaign(api_user(), campaign)}

    @requires(Scope.PLEDGE)
    @bp.response(200, FollowSchema)
    @bp.alt_response(404, description="No such public campaign", **PROBLEM_DOC)
    def put(self, campaign_id: int):
        """Follow the campaign (its public updates by email)"""
        campaign = public_campaign(campaign_id)
        following.follow_campaign(api_user(), campaign)
        db.session.commit()
        return {"campaign_id": str(campaign_id), "following": True}

    @requires(Scope.PLEDGE)
    @bp.response(200, FollowSchema)
    @bp.alt_response(404, description="No such public campaign", **PROBLEM_DOC)
    def delete(self, campaign_id: int):
        """Stop following the campaign"""
        campaign = public_campaign(campaign_id)
        following.unfollow_campaign(api_user(), campaign)
        db.session.commit()
        return {"campaign_id": str(campaign_id), "following": False}


@bp.route("/campaigns/<int:campaign_id>/comments")
class NewComment(MethodView):
    @requires(Scope.PLEDGE)
    @bp.arguments(CommentBodySchema)
    @bp.response(201, CommentCreatedSchema)
    @bp.alt_response(400, description="Refused: the reason in detail, the field in errors",
                     **PROBLEM_DOC)
    @bp.alt_response(404, description="No such public campaign", **PROBLEM_DOC)
    @bp.alt_response(429, description="Too many comments in a short time", **PROBLEM_DOC)
    def post(self, body, campaign_id: int):
        """Post a comment or a question, or a reply to a thread (``parent_id``)"""
        campaign = public_campaign(campaign_id)
        parent_id = body.get("parent_id")
        if parent_id is not None and not (parent_id.isdigit() and len(parent_id) < 10):
            raise DomainError(_("That comment cannot be answered here."), field="parent_id")
        user = api_user()
        comment = comments.post_comment(campaign, user, body["body"], kind=body["kind"],
                                        parent_id=int(parent_id) if parent_id else None)
        answer = {"id": str(comment.id), "kind": comment.kind, "body": comment.body,
                  "author": present.person(user), "created_at": comment.created_at}
        db.session.commit()
        return answer, 201
