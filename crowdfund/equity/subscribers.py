"""How equity plugs into campaigns and pledges (``crowdfund.events`` and the campaign
readiness registry)."""

from __future__ import annotations

import sqlalchemy as sa

from crowdfund import events
from crowdfund.campaigns.services import CheckItem, readiness_of_kind
from crowdfund.campaigns.states import CampaignKind
from crowdfund.equity import kiis
from crowdfund.equity import privacy as equity_privacy
from crowdfund.equity.investing import post_milestones
from crowdfund.equity.models import DocumentKind, OfferingDocument
from crowdfund.equity.services import documents_of, offering_of
from crowdfund.extensions import db
from crowdfund.filters import datetime_filter
from crowdfund.i18n import _, ngettext
from crowdfund.notifications import investor_emails as emails
from crowdfund.pledges.terms import investor_cancel_until, terms_of_kind
from crowdfund.uploads import referenced_by


def register() -> None:
    equity_privacy.register()
    readiness_of_kind(CampaignKind.EQUITY)(offering_readiness)
    referenced_by("offering documents", _used_as_document)
    terms_of_kind(CampaignKind.EQUITY)(investment_terms)
    events.pledge_activated.connect(_confirm_investment, weak=False)
    events.pledge_activated.connect(_post_milestones, weak=False)


def offering_readiness(campaign) -> list[CheckItem]:
    """What an equity campaign needs before review, beyond its story."""
    offering = offering_of(campaign)
    return [
        CheckItem(_("Offering terms"), offering is not None,
                  _("Issuer, security, price or cap, maximum, minimum investment, "
                    "allocation.")),
        CheckItem(_("Financial statements"), any(d.kind is DocumentKind.FINANCIAL_STATEMENTS
                                                 for d in documents_of(offering)),
                  _("Upload them as a PDF with the offering terms.")),
        # Investors are told who they invest with: only a verified founder submits.
        CheckItem(_("Your identity verified"), campaign.founder.is_verified,
                  _("Send your identity document from Your account, Identity; an operator "
                    "checks it.")),
        *_sheet_readiness(offering),
    ]


def _sheet_readiness(offering) -> list[CheckItem]:
    """An EU issuer's offering: its key investment information sheet prints on at most 6
    pages (Regulation (EU) 2020/1503, Article 23(7)); when longer, the item says which of
    the founder's texts to shorten, and by how much."""
    if not kiis.applies(offering):
        return []
    length = kiis.length_of(offering)
    if length.over:
        return [CheckItem(length.shorten(), False)]
    return [CheckItem(ngettext("Key investment information sheet within %(num)s page",
                               "Key investment information sheet within %(num)s pages",
                               kiis.MAX_PAGES), True)]


def investment_terms(pledge) -> list[tuple[str, str]]:
    """What an investment's pages show: the security, the price of a share, until when
    it can be cancelled."""
    offering = offering_of(pledge.campaign)
    if offering is None:
        return []
    terms = [(_("Security"), str(offering.security.label))]
    if offering.price_per_share is not None:
        terms.append((_("Price per share"), offering.price_per_share.format()))
    terms.append((_("Cancel until"),
                  datetime_filter(investor_cancel_until(pledge.campaign.deadline))))
    return terms


def _confirm_investment(pledge, **_) -> None:
    """The investor's confirmation, with the offering's terms (the reward pledge's email
    is the notifications' own)."""
    campaign = pledge.campaign
    if campaign.kind is not CampaignKind.EQUITY:
        return
    offering = offering_of(campaign)
    emails.investment_confirmed(
        pledge, security=offering.security.label if offering else "",
        price=offering.price_per_share if offering else None,
        cancel_until=investor_cancel_until(campaign.deadline))


def _post_milestones(pledge, **_) -> None:
    """An investment became active: the offering's public milestones (50%, target...)."""
    if pledge.campaign.kind is CampaignKind.EQUITY:
        db.session.flush()
        post_milestones(pledge.campaign)


def _used_as_document(key: str) -> bool:
    return db.session.scalar(sa.select(sa.exists().where(OfferingDocument.path == key)))
