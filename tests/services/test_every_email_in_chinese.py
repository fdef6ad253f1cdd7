"""Every kind of email, written to a person reading Simplified Chinese, has no English left
(issue 26).

``MAKERS`` holds one maker per public email function of the five notification modules
(``"module.function"``): it builds what the message needs for Chinese recipients (a
founder, a backer or an investor, a follower) and calls the function once per variant the
function has (a reward campaign and an equity offering, funded and not, each dispute
outcome, each account link...). Each maker runs inside a job in English and UTC, as the
settle loop and the jobs do: the recipient's language must win. Every message queued is then
read by ``english_left`` as it is sent (its account links expanded): its HTML, its plain
text and its subject. The people's and campaigns' names below may stay in Latin letters;
what founders, operators and backers write here is in Chinese, as people in Shenzhen write
it. A new email function without a maker fails ``test_every_email_function_has_a_maker``.

Needs the compiled zh_Hans catalogue (``make translations``).
"""

from __future__ import annotations

import html
import inspect
import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import current_app

from crowdfund.auth import tokens
from crowdfund.auth.models import (
    IdentityVerification,
    TokenPurpose,
    User,
    VerificationStatus,
)
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.community.card_health import remind_card_health
from crowdfund.community.models import CampaignUpdate, Comment
from crowdfund.equity import changes
from crowdfund.equity.closing import POLICY_WORDS
from crowdfund.equity.models import SecurityType
from crowdfund.extensions import db
from crowdfund.i18n import in_language_of
from crowdfund.notifications import (
    account_emails,
    community_emails,
    dispute_emails,
    emails,
    investor_emails,
)
from crowdfund.notifications.links import expand_links
from crowdfund.notifications.models import OutboxMessage
from crowdfund.pledges.models import Pledge, PledgeStatus
from crowdfund.pledges.terms import investor_cancel_until
from tests.factories import live_offering, make_campaign, make_pledge, make_user, usd
from tests.i18n_scan import english_left

MODULES = (emails, investor_emails, dispute_emails, account_emails, community_emails)
#: Public functions of those modules that queue no email: none today (``emails`` re-exports
#: ``hello``, ``link``, ``send``... and the community emails, but they are defined elsewhere
#: and so are not its own). Each entry says why it is not an email.
NOT_EMAILS: dict[str, str] = {}

NAMES = {"founder": "Ada Lovelace", "backer": "Grace Hopper", "follower": "Alan Turing",
         "reward": "Harbour Lights", "equity": "Tidewater Instruments"}
#: A gateway's payment reference, shown on a receipt as it is on purpose: the reader quotes
#: it to their bank or to support, so no language changes it.
PAYMENT_REFERENCE = "pi_3QxHarbour42"
ALLOWED = {*NAMES.values(), PAYMENT_REFERENCE}
#: What the payment gateway records as a card's brand: Stripe's codes of ``card.brand``,
#: and "card" when it gives none (``payments.stripe_gateway``).
CARD_BRANDS = ("visa", "mastercard", "amex", "discover", "diners", "jcb", "unionpay",
               "unknown", "card")
#: The deadline of the campaigns below (20:00 on a clock in Shanghai).
DEADLINE = datetime(2027, 3, 15, 12, 0, tzinfo=UTC)
CHINESE_PAGE = '<html lang="zh-Hans">'

MAKERS: dict[str, Callable[[], None]] = {}


def _queued(sent: bool) -> None:
    """A maker's call queued its message (an optional kind too: people want every kind
    but marketing until they say otherwise)."""
    assert sent, "not queued"


def maker(name: str) -> Callable[[Callable[[], None]], Callable[[], None]]:
    def register(function: Callable[[], None]) -> Callable[[], None]:
        MAKERS[name] = function
        return function
    return register


# --- who and what the messages are about -----------------------------------------------------


def _chinese(role: str) -> User:
    user = make_user(name=NAMES[role])
    user.locale, user.timezone = "zh_Hans", "Asia/Shanghai"
    return user


def _reward(status: CampaignStatus = CampaignStatus.LIVE) -> Campaign:
    """A Chinese founder's reward campaign, its texts written in Chinese."""
    campaign = make_campaign(_chinese("founder"), status=status, title=NAMES["reward"],
                             blurb="一盏会随日出日落自动调光的台灯。")
    campaign.tiers[0].title = "早鸟版"
    campaign.deadline = DEADLINE
    return campaign


def _equity() -> Campaign:
    """A Chinese founder's live equity offering (common stock at US$1.30 a share)."""
    campaign = live_offering()
    campaign.founder = _chinese("founder")
    campaign.title, campaign.blurb = NAMES["equity"], "为海洋测量仪器融资。"
    campaign.deadline = DEADLINE
    db.session.flush()
    return campaign


def _both() -> tuple[Campaign, Campaign]:
    return _reward(), _equity()


def _pledge(campaign: Campaign, status: PledgeStatus = PledgeStatus.ACTIVE, *,
            card: bool = True) -> Pledge:
    """A new Chinese backer's (investor's) pledge: a reward with shipping, or 400 shares;
    a Visa card saved."""
    if campaign.is_equity:
        pledge = make_pledge(campaign, _chinese("backer"), amount_minor=52_000, status=status)
        pledge.shares = 400
    else:
        pledge = make_pledge(campaign, _chinese("backer"), amount_minor=6_500, status=status,
                             tier=campaign.tiers[0])
        pledge.shipping_minor = 1_500
    if card:
        pledge.payment_method_id = f"pm_{pledge.id}"
        pledge.card_brand, pledge.card_last4 = "visa", "4242"
        pledge.card_exp_month, pledge.card_exp_year = 12, 2030
    db.session.flush()
    return pledge


# --- emails.py ---------------------------------------------------------------------------


@maker("emails.pledge_confirmed")
def _pledge_confirmed():
    """With a card of each brand (an investment has its own message)."""
    campaign = _reward()
    for brand in CARD_BRANDS:
        pledge = _pledge(campaign)
        pledge.card_brand = brand
        _queued(emails.pledge_confirmed(pledge))


@maker("emails.campaign_launched")
def _campaign_launched():
    for campaign in _both():  # the launch of either kind is told (notifications.subscribers)
        _queued(emails.campaign_launched(campaign))


@maker("emails.campaign_approved")
def _campaign_approved():
    scheduled = _reward(CampaignStatus.APPROVED)
    scheduled.scheduled_launch_at = datetime(2027, 1, 8, 12, 0, tzinfo=UTC)
    for campaign in (scheduled, _reward(CampaignStatus.APPROVED)):
        _queued(emails.campaign_approved(campaign))


@maker("emails.campaign_sent_back")
def _campaign_sent_back():
    _queued(emails.campaign_sent_back(_reward(CampaignStatus.SUBMITTED), "请补充模具的报价单。"))


@maker("emails.campaign_outcome_founder")
def _campaign_outcome_founder():
    for new_campaign in (_reward, _equity):
        for funded, backers in ((True, 1), (True, 3), (False, 2)):
            campaign = new_campaign()
            pledged = campaign.goal if funded else usd(300)
            campaign.pledged_at_deadline_minor = pledged.amount
            _queued(emails.campaign_outcome_founder(campaign, pledged, backers))


@maker("emails.campaign_outcome_backer")
def _campaign_outcome_backer():
    for campaign in _both():
        for funded in (True, False):
            _queued(emails.campaign_outcome_backer(_pledge(campaign), funded))


@maker("emails.receipt")
def _receipt():
    """Both kinds with the gateway's payment reference, and one without any."""
    for campaign, reference in ((_reward(), PAYMENT_REFERENCE), (_equity(), PAYMENT_REFERENCE),
                                (_reward(), None)):
        pledge = _pledge(campaign, PledgeStatus.COLLECTED)
        _queued(emails.receipt(pledge, pledge.amount, reference))


def _to_fix(campaign: Campaign) -> list[Pledge]:
    """A declined card, and a payment the bank asks to confirm (3-D Secure)."""
    return [_pledge(campaign, PledgeStatus.ERRORED),
            _pledge(campaign, PledgeStatus.AUTHENTICATION_REQUIRED)]


@maker("emails.payment_failed")
def _payment_failed():
    for campaign in _both():
        for pledge in _to_fix(campaign):
            _queued(emails.payment_failed(pledge, DEADLINE + timedelta(days=7)))


@maker("emails.payment_reminder")
def _payment_reminder():
    for campaign in _both():
        for pledge in _to_fix(campaign):
            _queued(emails.payment_reminder(pledge, 2, DEADLINE + timedelta(days=7)))


@maker("emails.pledge_dropped")
def _pledge_dropped():
    for campaign in _both():
        _queued(emails.pledge_dropped(_pledge(campaign, PledgeStatus.DROPPED)))


@maker("emails.refund_issued")
def _refund_issued():
    # The reason as the founder or an operator wrote it, or none.
    for refund_id, (campaign, reason) in enumerate(itertools.product(_both(), ("颜色不对", "")),
                                                   start=1):
        pledge = _pledge(campaign, PledgeStatus.COLLECTED)
        pledge.refunded_minor = 1_000
        _queued(emails.refund_issued(pledge, refund_id, usd(10), reason))


@maker("emails.payout_paid")
def _payout_paid():
    for campaign in _both():
        _queued(emails.payout_paid(campaign, usd(880)))


@maker("emails.card_health")
def _card_health():
    """Through the job that sends them: each notice (CARD_HEALTH_NOTICES: 7 days, 48 hours
    before) with each reason a card will not work (none saved; a card of each brand, or of
    none recorded, expiring before)."""
    for campaign in _both():
        assert _pledge(campaign, card=False).payment_method_id is None
        for brand in (*CARD_BRANDS, None):
            expiring = _pledge(campaign)
            expiring.card_brand, expiring.card_exp_month, expiring.card_exp_year = brand, 2, 2027
    at_risk = 2 * (1 + len(CARD_BRANDS) + 1)
    for notice in sorted(current_app.config["CARD_HEALTH_NOTICES"], reverse=True):
        assert remind_card_health(now=DEADLINE - notice + timedelta(hours=1)) == at_risk


# --- investor_emails.py ------------------------------------------------------------------


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
    """A public update to a backer and to a follower; a backers-only one to a backer."""
    campaign = _reward()
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


def _email_functions() -> set[str]:
    """``module.function`` of every public function the five modules define themselves."""
    return {f"{module.__name__.rsplit('.', 1)[1]}.{name}"
            for module in MODULES
            for name, function in inspect.getmembers(module, inspect.isfunction)
            if function.__module__ == module.__name__ and not name.startswith("_")}


def test_every_email_function_has_a_maker():
    functions = _email_functions()
    assert set(NOT_EMAILS) <= functions, "NOT_EMAILS names a function that is gone"
    no_maker = functions - set(NOT_EMAILS) - set(MAKERS)
    assert no_maker == set(), "email functions without a maker in MAKERS"
    assert set(MAKERS) - functions == set(), "makers of functions that are gone"


def _english_left(message: OutboxMessage) -> dict[str, list[str]]:
    """What ``english_left`` finds in each part of ``message`` as it is sent."""
    parts = {"html": expand_links(message.html_body, message.recipient_id),
             "text": html.escape(expand_links(message.text_body, message.recipient_id)),
             "subject": html.escape(message.subject)}
    return {part: found for part, text in parts.items()
            if (found := english_left(text, ALLOWED))}


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_the_email_has_no_english_left_in_chinese(session, name):
    """Needs the compiled zh_Hans catalogue."""
    with in_language_of("en", "UTC"):  # a job's language and zone: the recipient's win
        MAKERS[name]()
    session.flush()
    messages = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert messages, f"{name} queued nothing"
    not_chinese = [m.dedupe_key for m in messages if CHINESE_PAGE not in m.html_body]
    assert not_chinese == []
    left = {f"{m.kind} ({m.dedupe_key})": found for m in messages
            if (found := _english_left(m))}
    assert left == {}, "English left:\n" + "\n".join(
        f"  {key}: {found}" for key, found in left.items())
