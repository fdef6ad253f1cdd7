"""The makers of the investors', disputes', accounts' and community's emails for Chinese
readers (issue 26), registered in ``tests.email_makers.MAKERS`` when imported; see
``tests/services/test_every_email_in_chinese.py``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crowdfund.auth import tokens
from crowdfund.auth.models import (
    IdentityVerification,
    TokenPurpose,
    VerificationStatus,
)
from crowdfund.campaigns.models import Campaign
from crowdfund.community.models import CampaignUpdate, Comment
from crowdfund.equity import changes
from crowdfund.equity.closing import POLICY_WORDS
from crowdfund.equity.models import SecurityType
from crowdfund.extensions import db
from crowdfund.notifications import (
    account_emails,
    community_emails,
    dispute_emails,
    investor_emails,
)
from crowdfund.pledges.models import PledgeStatus
from crowdfund.pledges.terms import investor_cancel_until
from tests.email_makers import (
    DEADLINE,
    NAMES,
    _both,
    _chinese,
    _equity,
    _pledge,
    _queued,
    maker,
)
from tests.factories import usd


@maker("investor_emails.investment_confirmed")
def _investment_confirmed():
    for security in SecurityType:
        pledge = _pledge(_equity())
        if not security.is_stock:
            pledge.shares = None
        _queued(investor_emails.investment_confirmed(
            pledge, security=security.label,
            price=usd("1.30") if security.is_stock else None,
            cancel_until=investor_cancel_until(pledge.campaign.deadline)))


@maker("investor_emails.allocation_cut")
def _allocation_cut():
    campaign = _equity()
    for policy in POLICY_WORDS.values():
        cut, unpriced, released = (_pledge(campaign), _pledge(campaign),
                                   _pledge(campaign, PledgeStatus.RELEASED))
        unpriced.shares = None
        for pledge in (cut, unpriced, released):
            pledge.committed_minor = 104_000
            _queued(investor_emails.allocation_cut(pledge, usd(100_000), policy))


@maker("investor_emails.milestone")
def _milestone():
    campaign = _equity()
    for percent in (50, 100):
        _queued(investor_emails.milestone(campaign, percent, _pledge(campaign)))


@maker("investor_emails.reconfirm_needed")
def _reconfirm_needed():
    campaign = _equity()
    for change_id, columns in enumerate((["price_per_share_minor"],
                                         ["price_per_share_minor", "maximum_minor"],
                                         list(changes.TERM_COLUMNS)), start=1):
        _queued(investor_emails.reconfirm_needed(
            _pledge(campaign), change_id, "过桥轮之后的新价格。", changes.changed_terms(columns),
            DEADLINE - timedelta(days=10)))


@maker("investor_emails.cancelled_unconfirmed")
def _cancelled_unconfirmed():
    _queued(investor_emails.cancelled_unconfirmed(_pledge(_equity(), PledgeStatus.CANCELLED)))


@maker("investor_emails.early_close")
def _early_close():
    _queued(investor_emails.early_close(_pledge(_equity()), DEADLINE - timedelta(days=8)))


# --- dispute_emails.py -------------------------------------------------------------------


@maker("dispute_emails.opened_to_founder")
def _opened_to_founder():
    """Both kinds, a dispute and an inquiry, a due date or none yet, every reason a bank
    gives (and none)."""
    reasons = [*dispute_emails.REASONS, ""]
    for campaign in _both():
        pledge = _pledge(campaign, PledgeStatus.DISPUTED)
        for n, reason in enumerate(reasons):
            for inquiry in (False, True):
                due = DEADLINE + timedelta(days=30) if n % 2 else None
                _queued(dispute_emails.opened_to_founder(
                    pledge, f"dp_{campaign.id}_{n}", usd(65), reason, due, inquiry))


OUTCOMES = ("won", "lost", "warning_closed")


@maker("dispute_emails.closed_to_founder")
def _closed_to_founder():
    for campaign in _both():
        pledge = _pledge(campaign, PledgeStatus.DISPUTED)
        for outcome in OUTCOMES:
            # An inquiry takes no money back, so it has no fee (settlement.disputes).
            for fee in (usd(15), usd(0)) if outcome != "warning_closed" else (usd(0),):
                _queued(dispute_emails.closed_to_founder(
                    pledge, f"dp_{campaign.id}_{fee.amount}", usd(65), fee, outcome))


@maker("dispute_emails.closed_to_backer")
def _closed_to_backer():
    for campaign in _both():
        pledge = _pledge(campaign, PledgeStatus.DISPUTED)
        for outcome in OUTCOMES:
            _queued(dispute_emails.closed_to_backer(pledge, f"dp_{campaign.id}", usd(65), outcome))


# --- account_emails.py -------------------------------------------------------------------


@maker("account_emails.account_link")
def _account_link():
    """A new account's address, a new address, a new password."""
    for purpose, new_address in ((TokenPurpose.VERIFY_EMAIL, False),
                                 (TokenPurpose.VERIFY_EMAIL, True),
                                 (TokenPurpose.RESET_PASSWORD, False)):
        user = _chinese("backer")
        address = f"new-{user.id}@example.com" if new_address else user.email
        token = tokens.issue(user, purpose, address, timedelta(hours=24))
        _queued(account_emails.account_link(user, token))


@maker("account_emails.address_claimed")
def _address_claimed():
    for what in ("register", "change email"):  # what auth.recovery sends
        _queued(account_emails.address_claimed(_chinese("backer"), what))


@maker("account_emails.password_changed")
def _password_changed():
    for how in ("reset", "changed"):  # auth.recovery, auth.services
        _queued(account_emails.password_changed(_chinese("backer"), how))


@maker("account_emails.email_changed")
def _email_changed():
    _queued(account_emails.email_changed(_chinese("backer"), "old-address@example.com"))


@maker("account_emails.identity_decided")
def _identity_decided():
    """Verified and refused (with the operator's reason, or none), with the photo of the
    document kept until a day or not kept."""
    checked = datetime(2027, 1, 8, 12, 0, tzinfo=UTC)
    for status, note in ((VerificationStatus.VERIFIED, ""),
                         (VerificationStatus.REJECTED, "证件照片模糊，请重新拍摄。"),
                         (VerificationStatus.REJECTED, "")):
        for kept in (True, False):
            founder = _chinese("founder")
            record = IdentityVerification(
                user=founder, status=status, legal_name=NAMES["founder"], note=note,
                checked_at=checked, document_key="identity/doc.png" if kept else None,
                document_delete_after=checked + timedelta(days=90) if kept else None)
            db.session.add(record)
            db.session.flush()
            _queued(account_emails.identity_decided(founder, record))


# --- community_emails.py -----------------------------------------------------------------


@maker("community_emails.campaign_update")
def _campaign_update():
    """Of both kinds: a public update to a backer (an investor) and to a follower; a
    backers-only (investors-only) one to a backer (an investor)."""
    for campaign in _both():
        backer, follower = _pledge(campaign).backer, _chinese("follower")
        for number, visibility, readers in ((1, "public", (backer, follower)),
                                            (2, "backers", (backer,))):
            update = CampaignUpdate(campaign_id=campaign.id, number=number, title="开模完成",
                                    body_md="模具已经做好了，**下周**开始试产。",
                                    visibility=visibility, author_id=campaign.founder_id)
            db.session.add(update)
            db.session.flush()
            for reader in readers:
                _queued(community_emails.campaign_update(campaign, update, reader))


@maker("community_emails.followed_founder_launched")
def _followed_founder_launched():
    for campaign in _both():
        _queued(community_emails.followed_founder_launched(campaign, _chinese("follower")))


@maker("community_emails.followed_campaign_ending")
def _followed_campaign_ending():
    for campaign in _both():
        _queued(community_emails.followed_campaign_ending(campaign, _chinese("follower")))


@maker("community_emails.followed_campaign_outcome")
def _followed_campaign_outcome():
    for campaign in _both():
        for funded in (True, False):
            _queued(community_emails.followed_campaign_outcome(campaign, _chinese("follower"),
                                                               funded))


def _question(campaign: Campaign) -> Comment:
    question = Comment(campaign_id=campaign.id, author_id=_chinese("backer").id,
                       kind="question", body="能寄到成都吗？")
    db.session.add(question)
    db.session.flush()
    return question


@maker("community_emails.question_asked")
def _question_asked():
    for campaign in _both():
        _queued(community_emails.question_asked(campaign, _question(campaign)))


@maker("community_emails.question_answered")
def _question_answered():
    for campaign in _both():
        question = _question(campaign)
        answer = Comment(campaign_id=campaign.id, author_id=campaign.founder_id,
                         parent_id=question.id, body="可以，运费另计。")
        db.session.add(answer)
        db.session.flush()
        _queued(community_emails.question_answered(campaign, answer, question))


# --- the tests ---------------------------------------------------------------------------
