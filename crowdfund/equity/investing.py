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
from crowdfund.equity import investors
from crowdfund.equity.models import Offering
from crowdfund.equity.services import offering_of
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.i18n import _
from crowdfund.locking import lock
from crowdfund.money import Money
from crowdfund.notifications import investor_emails as emails
from crowdfund.pledges.models import Pledge, PledgeStatus
from crowdfund.pledges.rules import require_open_for_pledges
from crowdfund.pledges.services import Quote, open_pending
from crowdfund.pledges.totals import totals_of


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

    def __init__(self, message: str, *, field: str, available: Money) -> None:
        super().__init__(message, field=field)
        self.available = available


def within_limit(offering: Offering, error: OverLimit) -> InvestmentQuote | None:
    """What the investor can invest instead: the most their limit allows, in whole shares
    (None when that is below the offering's minimum, or nothing)."""
    try:
        return quote_investment(offering, error.available)
    except DomainError:
        return None


def check_investor(investor: User, quote: InvestmentQuote, now: datetime) -> None:
    """Profile and education done, and the amount within the 12-month limit.

    The investor's row is locked first: two commitments by the same person (in two
    offerings) at once are checked one after the other, each seeing the other's."""
    lock(investor)
    profile = investors.profile_of(investor)
    if profile is None or not profile.educated:
        raise NeedsProfile(_("Before your first investment, complete your investor profile "
                             "and the short education step."))
    limit = investors.limit_of(investor, now)
    if quote.amount.currency != limit.rules.currency and limit.annual_limit is not None:
        raise DomainError(_("Offerings in %(currency)s are not open to investors under "
                            "%(rules)s yet.", currency=quote.amount.currency,
                            rules=limit.rules.name), field="amount")
    if not limit.allows(quote.amount):
        raise OverLimit(limit.refusal(quote.amount), field="amount", available=limit.available)


def start_investment(investor: User, campaign: Campaign, typed: Money,
                     now: datetime | None = None, *, ref: str | None = None) -> Pledge:
    """A pending commitment for what ``typed`` buys; the card is saved next."""
    now = now or utcnow()
    offering = open_offering(campaign, now)
    quote = quote_investment(offering, typed)
    check_investor(investor, quote, now)
    return open_pending(investor, campaign, Quote(quote.amount, Money.zero(typed.currency)),
                        now, shares=quote.shares, ref=ref)


MILESTONES = (50, 100)


def post_milestones(campaign: Campaign) -> list[int]:
    """After a commitment becomes active: tell every investor about each milestone of the
    target reached (once per investor and milestone). Returns the milestones posted."""
    reached = [m for m in MILESTONES if totals_of(campaign).pledged.amount * 100
               >= campaign.goal.amount * m]
    if not reached:
        return []
    active = db.session.scalars(sa.select(Pledge).where(
        Pledge.campaign_id == campaign.id, Pledge.status == PledgeStatus.ACTIVE)).all()
    for percent in reached:
        for pledge in active:
            emails.milestone(campaign, percent, pledge)
    return reached
