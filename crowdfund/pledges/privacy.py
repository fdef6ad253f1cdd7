"""A backer's pledges and investments in their data archive, and on closing: open ones are
cancelled (nothing is charged), what cannot be cancelled any more stops the closing, and the
saved card's details go; amounts and statuses stay (they are the campaigns' books)."""

from __future__ import annotations

import sqlalchemy as sa

from crowdfund.auth import privacy
from crowdfund.auth.models import User
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.db import utcnow
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.filters import datetime_filter
from crowdfund.i18n import _, _l
from crowdfund.pledges.models import (
    CARD_TO_DETACH_STATUSES,
    NEEDS_PAYMENT_STATUSES,
    Pledge,
    PledgeStatus,
)
from crowdfund.pledges.rules import check_last_day, require_open_for_pledges
from crowdfund.pledges.services import cancel_pledge
from crowdfund.pledges.terms import investor_cancel_until

P = PledgeStatus


def register() -> None:
    privacy.exports("pledges")(export)
    privacy.blocks(blockers)
    privacy.explains(consequences)
    privacy.erases("pledges", kept=(
        _l("Your pledges' and investments' amounts, rewards and statuses"),
        # TRANSLATORS: why the line above is kept when an account closes; the page adds
        # the final full stop.
        _l("they are the books of the campaigns you backed (charges, refunds and the ledger "
           "refer to them); kept under your account's number, without your card's details")))(
        erase)


def _of(user: User) -> list[Pledge]:
    return list(db.session.scalars(sa.select(Pledge).where(Pledge.backer_id == user.id)
                                   .order_by(Pledge.id)))


def _open(user: User, pledges: list[Pledge] | None = None) -> list[Pledge]:
    return [p for p in (_of(user) if pledges is None else pledges)
            if p.status in (P.PENDING, P.ACTIVE) and p.campaign.status is CampaignStatus.LIVE]


def export(user: User) -> list[dict]:
    return [{"campaign": p.campaign.title, "kind": p.campaign.kind.value,
             "reward": p.tier.title if p.tier else None, "shares": p.shares,
             "add_ons": [{"name": line.add_on.name, "quantity": line.quantity,
                          "unit_price_minor": line.unit_price_minor,
                          "shipping_minor": line.shipping_minor} for line in p.add_ons],
             **{c: privacy.plain(getattr(p, c)) for c in (
                 "id", "status", "amount_minor", "shipping_minor", "currency", "destination",
                 "card_brand", "card_last4", "created_at", "refunded_minor", "ref",
                 "received_at")}} for p in _of(user)]


def blockers(user: User) -> list[str]:
    """An open pledge its backer can no longer cancel (the last day, an investment inside
    48 hours), or a payment still to be made, keeps the account open until it is settled."""
    reasons = []
    now = utcnow()
    pledges = _of(user)
    for pledge in _open(user, pledges):
        refusal = _why_it_stands(pledge, now)
        if refusal:
            # TRANSLATORS: why an account cannot close yet: a campaign's title, then why.
            reasons.append(_("%(campaign)s: %(reason)s", campaign=pledge.campaign.title,
                             reason=refusal))
    for pledge in pledges:
        if pledge.status in NEEDS_PAYMENT_STATUSES and pledge.campaign.status in (
                CampaignStatus.FUNDED, CampaignStatus.COLLECTING):
            reasons.append(_("%(campaign)s: your payment is not settled yet; pay it from Your "
                             "pledges, or close your account once the collection window is "
                             "over.", campaign=pledge.campaign.title))
    return reasons


def _why_it_stands(pledge: Pledge, now) -> str | None:
    """Why its backer could not cancel ``pledge`` now (the rules ``cancel_pledge`` applies,
    read only: this is asked on a page; closing cancels under the campaign's lock)."""
    try:
        require_open_for_pledges(pledge.campaign, now)
        if pledge.campaign.is_equity:
            if now >= investor_cancel_until(pledge.campaign.deadline):
                return _("investments can be cancelled until 48 hours before the deadline: "
                         "this commitment stands until the offering closes.")
        else:
            check_last_day(pledge, pledge.amount, now)
    except DomainError as exc:
        return exc.message
    return None


def consequences(user: User) -> list[str]:
    return [_consequence(p) for p in _open(user)]


def _consequence(pledge: Pledge) -> str:
    values = {"amount": pledge.amount.format(), "campaign": pledge.campaign.title,
              "deadline": datetime_filter(pledge.campaign.deadline)}
    if pledge.campaign.is_equity:
        return _("Your investment of %(amount)s in %(campaign)s is cancelled: nothing is "
                 "charged (the campaign ends %(deadline)s).", **values)
    return _("Your pledge of %(amount)s in %(campaign)s is cancelled: nothing is charged (the "
             "campaign ends %(deadline)s).", **values)


def erase(user: User) -> None:
    """Open pledges cancelled, the card details and referral tags erased. A card still to
    detach at the gateway (the pledges just cancelled) keeps its reference until the settle
    pass has detached it (``settlement/cards.py`` erases it then): erasing it now would
    leave the card attached at Stripe for good."""
    for pledge in _open(user):
        cancel_pledge(pledge, user)
    db.session.flush()
    mine = Pledge.backer_id == user.id
    db.session.execute(sa.update(Pledge).where(mine).values(
        card_brand=None, card_last4=None, card_exp_month=None, card_exp_year=None, ref=None)
        .execution_options(synchronize_session=False))
    still_to_detach = sa.and_(Pledge.status.in_(CARD_TO_DETACH_STATUSES),
                              Pledge.card_detached_at.is_(None))
    db.session.execute(sa.update(Pledge).where(mine, sa.not_(still_to_detach))
                       .values(payment_method_id=None)
                       .execution_options(synchronize_session=False))
