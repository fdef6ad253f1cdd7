"""Investing in an offering: whole shares, the minimum, the investor's limit, then a
pending commitment whose card is saved exactly as for a reward pledge (it is a pledge on
an equity campaign). Services never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from crowdfund.auth.models import User
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignKind
from crowdfund.db import utcnow
from crowdfund.equity import eu, investors, protections, rates, standing
from crowdfund.equity.models import Offering
from crowdfund.equity.services import offering_of
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.i18n import _
from crowdfund.locking import lock, lock_key
from crowdfund.money import Money
from crowdfund.notifications import investor_emails as emails
from crowdfund.pledges.models import Pledge, PledgeStatus
from crowdfund.pledges.rules import require_open_for_pledges
from crowdfund.pledges.services import Quote, open_pending
from crowdfund.pledges.totals import counted_totals_of


class NeedsProfile(DomainError):
    """No investor profile or education yet: the investor is sent there first."""

    status_code = 403


@dataclass(frozen=True)
class InvestmentQuote:
    """What an amount typed by the investor really buys."""

    typed: Money
    amount: Money  # what will be charged
    shares: int | None  # stock: whole shares

    @property
    def unused(self) -> Money:
        return self.typed - self.amount


def quote_investment(offering: Offering, typed: Money) -> InvestmentQuote:
    """Stock buys whole shares (rounded down); SAFEs and notes take the amount."""
    if typed.currency != offering.campaign.currency:
        raise DomainError(_("Invest in %(currency)s.", currency=offering.campaign.currency),
                          field="amount")
    price = offering.price_per_share
    if price is None:
        amount, shares = typed, None
    else:
        shares = typed.amount // price.amount
        amount = Money(shares * price.amount, typed.currency)
        if shares == 0:
            raise DomainError(_("One share costs %(price)s.", price=price.format()),
                              field="amount")
    if amount < offering.minimum_investment:
        raise DomainError(_("The minimum investment is %(amount)s.",
                            amount=offering.minimum_investment.format()), field="amount")
    return InvestmentQuote(typed, amount, shares)


def open_offering(campaign: Campaign, now: datetime) -> Offering:
    if campaign.kind is not CampaignKind.EQUITY:
        raise DomainError(_("This campaign offers rewards, not securities."))
    offering = offering_of(campaign)
    if offering is None:
        raise DomainError(_("This offering has no terms yet."))
    require_open_for_pledges(campaign, now)
    return offering


class OverLimit(DomainError):
    """More than the investor's 12-month limit allows; ``available`` is what it allows."""

    def __init__(self, message: str, *, field: str, available: Money | None) -> None:
        super().__init__(message, field=field)
        self.available = available


def within_limit(offering: Offering, error: OverLimit) -> InvestmentQuote | None:
    """What the investor can invest instead: the most their limit allows, in whole shares
    (None when that is below the offering's minimum, or nothing)."""
    if error.available is None:
        return None
    try:
        return quote_investment(offering, error.available)
    except DomainError:
        return None


@dataclass(frozen=True)
class Counted:
    """A commitment as the investor's limit counts it: in their rules' currency, at the
    exchange rate used (stored with the commitment)."""

    amount: Money
    rate: str
    #: EU: the end of the offer's reflection period, and whether the risk warning was
    #: consented to (``equity.eu``).
    revocable_until: datetime | None = None
    consented: bool = False


def _within_investor_count(offering: Offering, investor: User) -> None:
    """China's rules: at most 200 investors in an offering of an issuer incorporated there.
    Counted under a lock on the offering's count (PostgreSQL: two investors taking the last
    place at once are counted one after the other; the second is refused)."""
    if offering.issuer_jurisdiction != "CN":
        return
    lock_key("offering investors", str(offering.campaign_id))
    message = standing.full_message(offering, investor)
    if message:
        raise InvestorCapReached(message)


class InvestorCapReached(DomainError):
    """The offering has as many investors as its issuer's rules allow."""

    status_code = 409


def check_investor(investor: User, quote: InvestmentQuote, now: datetime,
                   offering: Offering | None = None, *, consent: bool = False) -> Counted:
    """Profile and education done, the investor's country open, the rules' own conditions
    met (the UK's: a current category, the assessment passed, a first-time investor's
    cooling-off over: ``protections.check``), and the amount within the 12-month limit
    (counted in the rules' currency).

    The investor's row is locked first: two commitments by the same person (in two
    offerings) at once are checked one after the other, each seeing the other's."""
    lock(investor)
    profile = investors.profile_of(investor)
    if profile is None or not profile.educated:
        raise NeedsProfile(_("Before your first investment, complete your investor profile "
                             "and the short education step."))
    limit = investors.limit_of(investor, now)
    rules = limit.rules
    protections.check(investor, profile, rules, now)  # UK: category, assessment, cooling-off
    if rules.needs_verified_identity and not investor.is_verified:
        raise NotVerified(_("Under %(rules)s you invest under your real name: have your "
                            "identity verified first.", rules=rules.name))
    if offering is not None:
        _within_investor_count(offering, investor)
    counted, rate = rates.convert(quote.amount, rules.currency, now.date())
    if not limit.allows(counted):
        available = None
        if limit.available is not None:
            available = rates.convert(limit.available, quote.amount.currency, now.date())[0]
        raise OverLimit(limit.refusal(counted), field="amount", available=available)
    consented = eu.check(rules, profile, counted, consent, now)
    return Counted(counted, f"1/{rate.value}" if rate.inverted else str(rate.value),
                   eu.reflection_ends(rules, profile, now), consented)


class NotVerified(DomainError):
    """The rules ask for the investor's verified identity first."""

    status_code = 403


def start_investment(investor: User, campaign: Campaign, typed: Money,
                     now: datetime | None = None, *, ref: str | None = None,
                     consent: bool = False) -> Pledge:
    """A pending commitment for what ``typed`` buys; the card is saved next. It keeps the
    amount its limit counted, in the rules' currency, and the rate used."""
    now = now or utcnow()
    offering = open_offering(campaign, now)
    quote = quote_investment(offering, typed)
    counted = check_investor(investor, quote, now, offering, consent=consent)
    pledge = open_pending(investor, campaign, Quote(quote.amount, Money.zero(typed.currency)),
                          now, shares=quote.shares, ref=ref)
    pledge.limit_currency = counted.amount.currency
    pledge.limit_amount_minor = counted.amount.amount
    pledge.limit_rate = counted.rate
    pledge.revocable_until = counted.revocable_until
    pledge.risk_consent_at = now if counted.consented else None
    return pledge


MILESTONES = (50, 100)


def post_milestones(campaign: Campaign) -> list[int]:
    """After a commitment becomes active: tell every investor about each milestone of the
    target reached (once per investor and milestone). Returns the milestones posted."""
    reached = [m for m in MILESTONES if counted_totals_of(campaign).pledged.amount * 100
               >= campaign.goal.amount * m]
    if not reached:
        return []
    active = db.session.scalars(sa.select(Pledge).where(
        Pledge.campaign_id == campaign.id, Pledge.status == PledgeStatus.ACTIVE)).all()
    for percent in reached:
        for pledge in active:
            emails.milestone(campaign, percent, pledge)
    return reached
