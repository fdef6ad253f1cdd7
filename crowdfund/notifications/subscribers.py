"""The emails that tell people what happened (``crowdfund.events``): queued in the outbox
in the transaction of the change itself."""

from __future__ import annotations

import sqlalchemy as sa

from crowdfund import events
from crowdfund.campaigns.states import CampaignKind
from crowdfund.extensions import db
from crowdfund.notifications import (
    account_emails,
    change_emails,
    dispute_emails,
    emails,
    investor_emails,
    outbox,
)
from crowdfund.notifications import privacy as notifications_privacy
from crowdfund.pledges.models import Pledge
from crowdfund.supervision import each_isolated


def register() -> None:
    notifications_privacy.register()
    for event, receiver in (
        (events.campaign_approved, _campaign_approved),
        (events.campaign_sent_back, _campaign_sent_back),
        (events.campaign_launched, _campaign_launched),
        (events.campaign_closed, _campaign_closed),
        (events.pledges_told_outcome, _pledges_told_outcome),
        (events.pledge_activated, _pledge_activated),
        (events.pledge_changed, _pledge_changed),
        (events.pledge_card_replaced, _pledge_card_replaced),
        (events.pledge_cancelled, _pledge_cancelled),
        (events.investment_reconfirmed, _investment_reconfirmed),
        (events.pledge_dropped, _pledge_dropped),
        (events.pledges_released, _pledges_released),
        (events.charge_collected, _charge_collected),
        (events.charge_failed, _charge_failed),
        (events.refund_issued, _refund_issued),
        (events.payout_paid, _payout_paid),
        (events.dispute_opened, _dispute_opened),
        (events.dispute_closed, _dispute_closed),
        (events.offering_changed, _offering_changed),
        (events.account_link_issued, _account_link_issued),
        (events.address_claimed, _address_claimed),
        (events.password_changed, _password_changed),
        (events.email_changed, _email_changed),
        (events.identity_decided, _identity_decided),
    ):
        event.connect(receiver, weak=False)


def _campaign_approved(campaign, **_) -> None:
    emails.campaign_approved(campaign)


def _campaign_sent_back(campaign, *, reason: str, **_) -> None:
    emails.campaign_sent_back(campaign, reason)


def _campaign_launched(campaign, **_) -> None:
    emails.campaign_launched(campaign)


def _campaign_closed(campaign, *, pledged, backers, **_) -> None:
    emails.campaign_outcome_founder(campaign, pledged, backers)


def _pledges_told_outcome(campaign, *, pledges, funded: bool) -> None:
    """One batch of a closed campaign's backers (one outbox INSERT in the close's batch);
    one backer's email that fails is recorded for operators, the rest go."""
    each_isolated("outcome email", pledges,
                  lambda pledge: emails.campaign_outcome_backer(pledge, funded))


def _pledge_activated(pledge, **_) -> None:
    if pledge.campaign.kind is not CampaignKind.EQUITY:  # equity tells its investors
        emails.pledge_confirmed(pledge)


def _pledge_changed(pledge, *, before, **_) -> None:
    change_emails.pledge_changed(pledge, before)


def _pledge_card_replaced(pledge, *, before, **_) -> None:
    change_emails.card_replaced(pledge, before)


def _pledge_cancelled(pledge, *, revoked: bool = False, **_) -> None:
    change_emails.pledge_cancelled(pledge, revoked=revoked)


def _investment_reconfirmed(pledge, *, before, reconfirm_by, **_) -> None:
    change_emails.investment_reconfirmed(pledge, before, reconfirm_by)


def _pledge_dropped(pledge, *, with_campaign: bool = False, **_) -> None:
    if with_campaign:
        change_emails.dropped_with_campaign(pledge)
    else:
        emails.pledge_dropped(pledge)


def _pledges_released(campaign, *, pledge_ids, by_founder: bool, **_) -> None:
    """A stopped campaign's active pledges, 500 at a time, each batch in one outbox
    INSERT."""
    for start in range(0, len(pledge_ids), 500):
        with outbox.batch():
            for pledge in db.session.scalars(sa.select(Pledge).where(
                    Pledge.id.in_(pledge_ids[start:start + 500])).order_by(Pledge.id)):
                change_emails.released_with_campaign(pledge, by_founder=by_founder)


def _charge_collected(pledge, *, amount, payment_intent_id) -> None:
    emails.receipt(pledge, amount, payment_intent_id)


def _charge_failed(pledge, *, fix_by) -> None:
    emails.payment_failed(pledge, fix_by)


def _refund_issued(pledge, *, refund_id, amount, reason) -> None:
    emails.refund_issued(pledge, refund_id, amount, reason)


def _payout_paid(campaign, *, amount) -> None:
    emails.payout_paid(campaign, amount)


def _dispute_opened(pledge, *, dispute_id, amount, reason, due_by, inquiry) -> None:
    dispute_emails.opened_to_founder(pledge, dispute_id, amount, reason, due_by, inquiry)


def _dispute_closed(pledge, *, dispute_id, amount, fee, outcome) -> None:
    dispute_emails.closed_to_founder(pledge, dispute_id, amount, fee, outcome)
    dispute_emails.closed_to_backer(pledge, dispute_id, amount, outcome)


def _offering_changed(campaign, *, change, what: str, to_reconfirm) -> None:
    for pledge in to_reconfirm:
        investor_emails.reconfirm_needed(pledge, change.id, change.summary, what,
                                         change.reconfirm_by)


def _account_link_issued(user, *, token, **_) -> None:
    account_emails.account_link(user, token)


def _address_claimed(user, *, what: str, **_) -> None:
    account_emails.address_claimed(user, what)


def _password_changed(user, *, how: str, **_) -> None:
    account_emails.password_changed(user, how)


def _email_changed(user, *, old_email: str, **_) -> None:
    account_emails.email_changed(user, old_email)


def _identity_decided(user, *, verification, **_) -> None:
    account_emails.identity_decided(user, verification)
