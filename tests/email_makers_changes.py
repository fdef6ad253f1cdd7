"""The makers of the confirmations of a changed or cancelled pledge (investment) for
Chinese readers, registered in ``tests.email_makers.MAKERS`` when imported; see
``tests/services/test_every_email_in_chinese.py``."""

from __future__ import annotations

from dataclasses import replace

from crowdfund.campaigns.states import CampaignStatus
from crowdfund.notifications import change_emails
from crowdfund.pledges.models import PledgeStatus
from crowdfund.pledges.snapshot import terms_of
from tests.email_makers import DEADLINE, _both, _pledge, _queued, maker
from tests.factories import usd


@maker("change_emails.pledge_changed")
def _pledge_changed():
    """Every term changed at once (reward, add-ons, amount, destination, shipping), in both
    funding models; and only the amount."""
    for campaign in _both()[:2]:
        pledge = _pledge(campaign)
        pledge.destination = "CN"
        before = replace(terms_of(pledge), amount=usd(40), shipping=usd(0), tier_title=None,
                         add_ons=(), destination=None)
        _queued(change_emails.pledge_changed(pledge, before))
        _queued(change_emails.pledge_changed(
            _pledge(campaign), replace(terms_of(pledge), amount=usd(90))))


@maker("change_emails.card_replaced")
def _card_replaced():
    for campaign in _both():
        pledge = _pledge(campaign)
        before = replace(terms_of(pledge), card=("Mastercard", "4444"))
        _queued(change_emails.card_replaced(pledge, before))


@maker("change_emails.pledge_cancelled")
def _pledge_cancelled():
    """A backer's, an investor's within the 48 hours rule, and one revoked within the
    reflection period."""
    for campaign in _both():
        _queued(change_emails.pledge_cancelled(_pledge(campaign, PledgeStatus.CANCELLED)))
    _queued(change_emails.pledge_cancelled(_pledge(_both()[2], PledgeStatus.CANCELLED),
                                           revoked=True))


@maker("change_emails.investment_reconfirmed")
def _investment_reconfirmed():
    pledge = _pledge(_both()[2])
    before = replace(terms_of(pledge), amount=usd(600), shares=500)
    _queued(change_emails.investment_reconfirmed(pledge, before, DEADLINE))


@maker("change_emails.released_with_campaign")
def _released_with_campaign():
    """Cancelled by its founder, and stopped by our team, for both kinds."""
    for status, by_founder in ((CampaignStatus.CANCELLED, True),
                               (CampaignStatus.SUSPENDED, False)):
        for campaign in _both():
            campaign.status = status
            _queued(change_emails.released_with_campaign(
                _pledge(campaign, PledgeStatus.RELEASED), by_founder=by_founder))


@maker("change_emails.dropped_with_campaign")
def _dropped_with_campaign():
    for campaign in _both():
        campaign.status = CampaignStatus.CANCELLED
        _queued(change_emails.dropped_with_campaign(_pledge(campaign, PledgeStatus.DROPPED)))
