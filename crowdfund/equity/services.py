"""Offering terms: checked as a whole, saved while the campaign can be edited, locked at
launch. Services never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import current_app

from crowdfund.auth.models import User
from crowdfund.campaigns.access import require_founder
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import EDITABLE_STATUSES, CampaignKind
from crowdfund.equity import rates
from crowdfund.equity.models import AllocationPolicy, Offering, OfferingDocument, SecurityType
from crowdfund.equity.rulesets import EU_MEMBERS, RULE_SETS
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.i18n import _, _l
from crowdfund.locking import lock
from crowdfund.money import Money

#: Financial statements an issuer must provide, by the amount offered in 12 months
#: (Reg CF, 227.201(t), 2022 thresholds; first-time issuers up to $1.235M: reviewed).
REVIEW_LEVELS = (
    # TRANSLATORS: completes "At this maximum your financial statements must be ...", and
    # is shown alone beside "Financial statements".
    (124_000_00, _l("certified by the principal executive officer (tax return information)")),
    (618_000_00, _l("reviewed by an independent public accountant")),
    (1_235_000_00, _l("reviewed by an independent public accountant (audited if you have "
                      "raised under Regulation Crowdfunding before)")),
)
AUDITED = _l("audited by an independent public accountant")


def financial_review_level(maximum: Money) -> str:
    for limit, level in REVIEW_LEVELS:
        if maximum.amount <= limit:
            return level
    return AUDITED


@dataclass(frozen=True)
class OfferingInput:
    issuer_legal_name: str
    issuer_jurisdiction: str
    incorporated_on: date
    security: SecurityType
    maximum: Money
    minimum_investment: Money
    allocation: AllocationPolicy
    use_of_proceeds_md: str = ""
    price_per_share: Money | None = None
    pre_money_valuation: Money | None = None
    valuation_cap: Money | None = None
    discount_bps: int | None = None
    interest_rate_bps: int | None = None
    maturity_on: date | None = None


def offering_of(campaign: Campaign) -> Offering | None:
    return db.session.scalar(sa.select(Offering).where(Offering.campaign_id == campaign.id))


def _check(campaign: Campaign, terms: OfferingInput, today: date) -> None:
    """Every rule at once would be kinder, but one clear error next to its field is what
    the form shows; the first broken rule wins."""
    _check_amounts(campaign, terms, today)
    if terms.security.is_stock:
        _check_stock(terms)
    elif terms.valuation_cap is None and terms.discount_bps is None:
        raise DomainError(_("Give a valuation cap, a discount or both."), field="valuation_cap")
    if terms.discount_bps is not None and not 0 < terms.discount_bps < 10_000:
        raise DomainError(_("A discount is between 0% and 100%."), field="discount")
    if terms.security is SecurityType.CONVERTIBLE_NOTE:
        if terms.interest_rate_bps is None or terms.interest_rate_bps < 0:
            raise DomainError(_("Enter the note's yearly interest rate."), field="interest_rate")
        if terms.maturity_on is None or terms.maturity_on <= today:
            raise DomainError(_("The maturity date must be in the future."),
                              field="maturity_on")


def _check_amounts(campaign: Campaign, terms: OfferingInput, today: date) -> None:
    """Amounts in the campaign's currency, above zero; the maximum between the target and
    what an issuer may raise in 12 months; the minimum investment within it."""
    currency = campaign.currency
    for field, value in (("maximum", terms.maximum), ("minimum_investment",
                                                      terms.minimum_investment),
                         ("price_per_share", terms.price_per_share),
                         ("pre_money_valuation", terms.pre_money_valuation),
                         ("valuation_cap", terms.valuation_cap)):
        if value is not None and value.currency != currency:
            raise DomainError(_("Amounts are in %(currency)s, the campaign's currency.",
                                currency=currency), field=field)
        if value is not None and value.amount <= 0:
            raise DomainError(_("Must be more than zero."), field=field)
    if terms.incorporated_on > today:
        raise DomainError(_("The incorporation date cannot be in the future."),
                          field="incorporated_on")
    if terms.maximum < campaign.goal:
        raise DomainError(_("The maximum cannot be below the target (your goal, %(goal)s).",
                            goal=campaign.goal.format()), field="maximum")
    cap = Money.from_decimal(str(current_app.config["EQUITY_MAX_RAISE_MAJOR"]), currency)
    if terms.maximum > cap:
        raise DomainError(_("An issuer can raise at most %(amount)s in 12 months.",
                            amount=cap.format()), field="maximum")
    if terms.minimum_investment > terms.maximum:
        raise DomainError(_("The minimum investment cannot be above the maximum."),
                          field="minimum_investment")
    _within_eu_cap(terms, today)


def _within_eu_cap(terms: OfferingInput, today: date) -> None:
    """An issuer incorporated in the EU offers under the EU crowdfunding regulation: at most
    EUR 5,000,000 over 12 months (Article 1(2)(c)), the maximum converted into euros at
    the day's rate (a missing rate refuses: docs/exchange-rates.md)."""
    if terms.issuer_jurisdiction.upper() not in EU_MEMBERS:
        return
    rules = RULE_SETS["EU-ECSPR"]
    try:
        in_euros = rates.convert(terms.maximum, rules.currency, today)[0]
    except rates.MissingRate as exc:
        raise DomainError(exc.message, field="maximum") from None
    cap = Money(rules.offering_cap_minor, rules.currency)
    if in_euros > cap:
        raise DomainError(_("Under the EU crowdfunding regulation an offering raises at most "
                            "%(cap)s over 12 months; this maximum is %(amount)s.",
                            cap=cap.format(), amount=in_euros.format()), field="maximum")


def _check_stock(terms: OfferingInput) -> None:
    if terms.price_per_share is None:
        raise DomainError(_("Enter the price of one share."), field="price_per_share")
    if terms.pre_money_valuation is None:
        raise DomainError(_("Enter the company's valuation before this raise."),
                          field="pre_money_valuation")
    if terms.minimum_investment < terms.price_per_share:
        raise DomainError(_("The minimum investment must buy at least one share."),
                          field="minimum_investment")


def save_terms(campaign: Campaign, founder: User, terms: OfferingInput,
               today: date | None = None) -> Offering:
    """Create or replace the offering terms of an equity campaign that can still be edited."""
    require_founder(campaign, founder)
    if campaign.kind is not CampaignKind.EQUITY:
        raise DomainError(_("Only equity campaigns have offering terms."))
    lock(campaign)  # against a second save (one offering row) and a submission at once
    if campaign.status not in EDITABLE_STATUSES:
        raise DomainError(_("The offering terms are locked once the campaign is in review or "
                            "live."))
    today = today or date.today()
    _check(campaign, terms, today)
    offering = offering_of(campaign) or Offering(campaign_id=campaign.id)
    _apply(offering, terms)
    db.session.add(offering)
    db.session.flush()
    return offering


def _apply(offering: Offering, terms: OfferingInput) -> None:
    stock = terms.security.is_stock
    note = terms.security is SecurityType.CONVERTIBLE_NOTE
    offering.issuer_legal_name = terms.issuer_legal_name.strip()
    offering.issuer_jurisdiction = terms.issuer_jurisdiction.upper()
    offering.incorporated_on = terms.incorporated_on
    offering.security = terms.security
    offering.maximum_minor = terms.maximum.amount
    offering.minimum_investment_minor = terms.minimum_investment.amount
    offering.allocation = terms.allocation
    offering.use_of_proceeds_md = terms.use_of_proceeds_md.strip()
    # Only the fields of the chosen security are kept: no stale terms of another kind.
    offering.price_per_share_minor = terms.price_per_share.amount if stock else None
    offering.pre_money_valuation_minor = terms.pre_money_valuation.amount if stock else None
    offering.valuation_cap_minor = (terms.valuation_cap.amount
                                    if not stock and terms.valuation_cap else None)
    offering.discount_bps = terms.discount_bps if not stock else None
    offering.interest_rate_bps = terms.interest_rate_bps if note else None
    offering.maturity_on = terms.maturity_on if note else None


def documents_of(offering: Offering | None) -> list:
    if offering is None:
        return []
    return list(db.session.scalars(sa.select(OfferingDocument).where(
        OfferingDocument.offering_id == offering.id).order_by(OfferingDocument.id)))


def add_document(campaign: Campaign, founder: User, kind, title: str, path: str,
                 size: int):
    """Attach a stored PDF to the offering (terms must exist; editable campaigns only)."""
    require_founder(campaign, founder)
    if campaign.status not in EDITABLE_STATUSES:
        raise DomainError(_("Documents are locked once the campaign is in review or live."))
    offering = offering_of(campaign)
    if offering is None:
        raise DomainError(_("Save the offering terms first."))
    document = OfferingDocument(offering_id=offering.id, kind=kind, title=title.strip(),
                                path=path, size_bytes=size)
    db.session.add(document)
    db.session.flush()
    return document


def remove_document(campaign: Campaign, founder: User, document_id: int) -> str | None:
    """Detach a document; returns its stored path to delete after the commit."""
    require_founder(campaign, founder)
    if campaign.status not in EDITABLE_STATUSES:
        raise DomainError(_("Documents are locked once the campaign is in review or live."))
    offering = offering_of(campaign)
    document = db.session.get(OfferingDocument, document_id)
    if offering is None or document is None or document.offering_id != offering.id:
        return None
    db.session.delete(document)
    return document.path
