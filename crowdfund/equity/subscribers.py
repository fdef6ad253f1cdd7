"""How equity plugs into campaigns and pledges (``crowdfund.events`` and the campaign
readiness registry)."""

from __future__ import annotations

import sqlalchemy as sa

from crowdfund import events
from crowdfund.campaigns.services import CheckItem, readiness_of_kind
from crowdfund.campaigns.states import CampaignKind
from crowdfund.equity.investing import post_milestones
from crowdfund.equity.models import DocumentKind, OfferingDocument
from crowdfund.equity.services import documents_of, offering_of
from crowdfund.extensions import db
from crowdfund.uploads import referenced_by


def register() -> None:
    readiness_of_kind(CampaignKind.EQUITY)(offering_readiness)
    referenced_by("offering documents", _used_as_document)
    events.pledge_activated.connect(_post_milestones, weak=False)


def offering_readiness(campaign) -> list[CheckItem]:
    """What an equity campaign needs before review, beyond its story."""
    offering = offering_of(campaign)
    return [
        CheckItem("Offering terms", offering is not None,
                  "Issuer, security, price or cap, maximum, minimum investment, allocation."),
        CheckItem("Financial statements", any(d.kind is DocumentKind.FINANCIAL_STATEMENTS
                                              for d in documents_of(offering)),
                  "Upload them as a PDF with the offering terms."),
    ]


def _post_milestones(pledge, **_) -> None:
    """An investment became active: the offering's public milestones (50%, target...)."""
    if pledge.campaign.kind is CampaignKind.EQUITY:
        db.session.flush()
        post_milestones(pledge.campaign)


def _used_as_document(key: str) -> bool:
    return db.session.scalar(sa.select(sa.exists().where(OfferingDocument.path == key)))
