"""Material changes of a live offering (Reg CF 227.304(c)).

The founder proposes new terms with a summary; an operator decides whether the change is
material (a change of price, security, maximum or use of proceeds always is) and applies
it. After a material change every investor with an open commitment must reconfirm within
5 business days, or the commitment is cancelled and they are told why. A change needs those
5 business days before the deadline. Services never commit.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from babel.lists import format_list
from flask_babel.speaklater import LazyString

from crowdfund import events
from crowdfund.auth.models import User
from crowdfund.campaigns.access import require_founder
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.db import utcnow
from crowdfund.equity.investing import quote_investment
from crowdfund.equity.models import (
    AllocationPolicy,
    Offering,
    OfferingChange,
    OfferingChangeStatus,
    SecurityType,
)
from crowdfund.equity.services import OfferingInput, _apply, _check, offering_of
from crowdfund.equity.states import offering_change_states
from crowdfund.errors import DomainError, NotAllowed
from crowdfund.extensions import db
from crowdfund.i18n import _, _l, reader_locale
from crowdfund.locking import lock
from crowdfund.notifications import investor_emails as emails
from crowdfund.pledges.models import Pledge, PledgeStatus
from crowdfund.pledges.snapshot import terms_of
from crowdfund.pledges.states import pledge_states
from crowdfund.pledges.totals import counted_totals_of
from crowdfund.supervision import each_isolated

P = PledgeStatus
TERM_COLUMNS = ("issuer_legal_name", "issuer_jurisdiction", "incorporated_on", "security",
                "price_per_share_minor", "pre_money_valuation_minor", "valuation_cap_minor",
                "discount_bps", "interest_rate_bps", "maturity_on", "maximum_minor",
                "minimum_investment_minor", "allocation", "use_of_proceeds_md")
ALWAYS_MATERIAL = frozenset({"security", "price_per_share_minor", "maximum_minor",
                             "use_of_proceeds_md"})
#: What each term is called in "The issuer changed material terms of the offering (...)".
LABELS = {
    # TRANSLATORS: a term of an offering, in a list of the terms a change changed.
    "issuer_legal_name": _l("issuer's name"), "issuer_jurisdiction": _l("jurisdiction"),
    "incorporated_on": _l("incorporation date"), "security": _l("security"),
    "price_per_share_minor": _l("price per share"),
    "pre_money_valuation_minor": _l("pre-money valuation"),
    "valuation_cap_minor": _l("valuation cap"), "discount_bps": _l("discount"),
    "interest_rate_bps": _l("interest rate"), "maturity_on": _l("maturity"),
    "maximum_minor": _l("maximum"), "minimum_investment_minor": _l("minimum investment"),
    "allocation": _l("allocation policy"), "use_of_proceeds_md": _l("use of proceeds")}
RECONFIRM_BUSINESS_DAYS = 5


def add_business_days(start: datetime, days: int) -> datetime:
    """``days`` working days (Monday to Friday) after ``start``, same time of day.
    Public holidays are not counted out."""
    current = start
    left = days
    while left:
        current += timedelta(days=1)
        if current.weekday() < 5:
            left -= 1
    return current


def _json(value):
    if isinstance(value, SecurityType | AllocationPolicy):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return value


def _load(column: str, value):
    if value is None:
        return None
    if column == "security":
        return SecurityType(value)
    if column == "allocation":
        return AllocationPolicy(value)
    if column in ("incorporated_on", "maturity_on"):
        return date.fromisoformat(value)
    return value


def changed_terms(columns: list[str]) -> LazyString:
    """The names of the terms in ``columns`` as a list in words ("price per share and
    maximum"), in the language of whoever reads it: an investor's email is written in their
    language, not in that of the operator who applied the change."""
    return LazyString(lambda: format_list([str(LABELS[c]) for c in columns],
                                          locale=reader_locale()))


def snapshot(offering: Offering) -> dict:
    return {c: _json(getattr(offering, c)) for c in TERM_COLUMNS}


def pending_change(offering: Offering) -> OfferingChange | None:
    return db.session.scalar(sa.select(OfferingChange).where(
        OfferingChange.offering_id == offering.id,
        OfferingChange.status == OfferingChangeStatus.PENDING))


def propose(campaign: Campaign, founder: User, terms: OfferingInput, summary: str,
            now: datetime | None = None) -> OfferingChange:
    """The founder asks to change the terms of their live offering."""
    now = now or utcnow()
    require_founder(campaign, founder)
    offering = offering_of(campaign)
    if campaign.status is not CampaignStatus.LIVE or offering is None:
        raise DomainError(_("Only the terms of a live offering can be changed this way."))
    if add_business_days(now, RECONFIRM_BUSINESS_DAYS) >= campaign.deadline:
        raise DomainError(_("Investors need 5 business days to reconfirm a change before the "
                            "deadline; it is too late to change the terms."))
    if pending_change(offering) is not None:
        raise DomainError(_("A change is already waiting for an operator."))
    if len(summary.strip()) < 10:
        raise DomainError(_("Explain the change to investors (at least 10 characters)."),
                          field="summary")
    _check(campaign, terms, now.date())
    draft = Offering()
    _apply(draft, terms)
    new, old = snapshot(draft), snapshot(offering)
    changed = [c for c in TERM_COLUMNS if new[c] != old[c]]
    if not changed:
        raise DomainError(_("These are the current terms: nothing changed."))
    change = OfferingChange(offering_id=offering.id, summary=summary.strip(), proposed=new,
                            changed=changed,
                            always_material=bool(ALWAYS_MATERIAL.intersection(changed)))
    db.session.add(change)
    db.session.flush()
    return change


def decide(change: OfferingChange, operator: User, material: bool,
           now: datetime | None = None) -> int:
    """An operator applies a pending change, material or not. Returns how many investors
    must reconfirm."""
    now = now or utcnow()
    if not operator.is_operator:
        raise NotAllowed(_("Only operators decide on offering changes."))
    lock(change)  # two operators deciding at once: the second finds it decided
    if change.status is not OfferingChangeStatus.PENDING:
        raise DomainError(_("This change was decided already."))
    if change.always_material and not material:
        raise DomainError(_("A change of price, security, maximum or use of proceeds is "
                            "always material."))
    offering = change.offering
    for column in TERM_COLUMNS:
        setattr(offering, column, _load(column, change.proposed[column]))
    offering_change_states.apply(change, OfferingChangeStatus.APPLIED, actor=operator,
                                 reason="material: investors reconfirm" if material
                                 else "not material")
    change.material = material
    change.decided_by_id, change.decided_at = operator.id, now
    what = changed_terms(list(change.changed))
    commitments = []
    if material:
        change.reconfirm_by = add_business_days(now, RECONFIRM_BUSINESS_DAYS)
        commitments = db.session.scalars(sa.select(Pledge).where(
            Pledge.campaign_id == offering.campaign_id,
            Pledge.status.in_((P.PENDING, P.ACTIVE)))).all()
        for pledge in commitments:
            pledge.reconfirm_by = change.reconfirm_by
    # The investors who must reconfirm are emailed (notifications.subscribers).
    events.offering_changed.send(offering.campaign, change=change, what=what,
                                 to_reconfirm=commitments)
    return len(commitments)


def reconfirm(pledge: Pledge, investor: User, now: datetime | None = None) -> None:
    now = now or utcnow()
    if pledge.backer_id != investor.id:
        raise NotAllowed(_("This is not your investment."))
    lock(pledge)  # against the jobs loop cancelling it at the same moment
    if pledge.reconfirm_by is None:
        raise DomainError(_("There is nothing to reconfirm."))
    if now >= pledge.reconfirm_by or not pledge.is_open:
        raise DomainError(_("The time to reconfirm has passed; this commitment is "
                            "cancelled."))
    # Requote on the new terms: whole shares at the new price (never more than committed).
    quote = quote_investment(offering_of(pledge.campaign), pledge.amount)
    before, change_by = terms_of(pledge), pledge.reconfirm_by
    pledge.amount_minor, pledge.shares = quote.amount.amount, quote.shares
    pledge.reconfirm_by = None
    # The investor is told the terms they now hold (notifications.subscribers).
    events.investment_reconfirmed.send(pledge, actor=investor, before=before,
                                       reconfirm_by=change_by)


def cancel_unconfirmed(now: datetime | None = None) -> int:
    """Cancel every open commitment whose time to reconfirm has passed; tell the investor."""
    now = now or utcnow()
    pledges = db.session.scalars(sa.select(Pledge).where(
        Pledge.reconfirm_by.is_not(None), Pledge.reconfirm_by <= now,
        Pledge.status.in_((P.PENDING, P.ACTIVE))).with_for_update()).all()
    def cancel(pledge: Pledge) -> bool:
        pledge_states.apply(pledge, P.CANCELLED, reason=(
            "Not reconfirmed within 5 business days of a material change of the terms"))
        pledge.reconfirm_by = None
        emails.cancelled_unconfirmed(pledge)
        return True

    return each_isolated("cancel unconfirmed commitment", pledges, cancel)


EARLY_CLOSE_MIN_OPEN = timedelta(days=21)


def close_early(campaign: Campaign, founder: User, new_deadline: datetime,
                now: datetime | None = None) -> int:
    """Move the deadline of a live offering earlier (Reg CF 227.304(b)): only after 21 days
    open, once the target is met, and with at least 5 business days' notice to investors,
    who keep their right to cancel until 48 hours before the new deadline. Returns how many
    investors were told."""

    now = now or utcnow()
    require_founder(campaign, founder)
    lock(campaign)  # cancellations lock it too: the target is checked against a still total
    if campaign.status is not CampaignStatus.LIVE or offering_of(campaign) is None:
        raise DomainError(_("Only a live offering can close early."))
    if now - campaign.launched_at < EARLY_CLOSE_MIN_OPEN:
        opens = campaign.launched_at + EARLY_CLOSE_MIN_OPEN
        # The times are in UTC, as the form's new deadline is.
        raise DomainError(_("An offering must be open 21 days before it closes early (from "
                            "%(when)s).", when=f"{opens:%Y-%m-%d %H:%M} UTC"))
    if counted_totals_of(campaign).pledged < campaign.goal:
        raise DomainError(_("An offering can close early only once its target is met."))
    earliest = add_business_days(now, RECONFIRM_BUSINESS_DAYS)
    if new_deadline < earliest:
        raise DomainError(_("Investors need 5 business days' notice: the new deadline can be "
                            "%(when)s at the earliest.", when=f"{earliest:%Y-%m-%d %H:%M} UTC"),
                          field="deadline")
    if new_deadline >= campaign.deadline:
        raise DomainError(_("The new deadline must be before the current one."),
                          field="deadline")
    campaign.deadline = new_deadline
    commitments = db.session.scalars(sa.select(Pledge).where(
        Pledge.campaign_id == campaign.id, Pledge.status.in_((P.PENDING, P.ACTIVE)))).all()
    for pledge in commitments:
        emails.early_close(pledge, new_deadline)
    return len(commitments)
