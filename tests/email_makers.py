"""The makers of every kind of email for Chinese readers (issue 26), shared by
``tests/services/test_every_email_in_chinese.py``: ``MAKERS`` holds one maker per public
email function of the six notification modules (``"module.function"``), each building
what the message needs for Chinese recipients and calling the function once per variant
it has. See that test module for what is checked."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask import current_app

from crowdfund.auth.models import (
    User,
)
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignStatus, FundingModel
from crowdfund.community.card_health import remind_card_health
from crowdfund.extensions import db
from crowdfund.notifications import (
    account_emails,
    change_emails,
    community_emails,
    dispute_emails,
    emails,
    fulfilment_emails,
    investor_emails,
)
from crowdfund.pledges.models import Pledge, PledgeAddOn, PledgeStatus
from tests.factories import (
    live_offering,
    make_add_on,
    make_campaign,
    make_pledge,
    make_user,
    usd,
)

MODULES = (emails, investor_emails, dispute_emails, account_emails, community_emails,
           fulfilment_emails, change_emails)
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

#: What a reward campaign's message says in Chinese and an offering's never does (its own
#: words: 认购, 投资者, 目标融资额, 融资成功; docs/glossary.md).
CHINESE_REWARD_WORDS = ("支持", "回报", "目标金额", "众筹成功", "众筹未成功", "全有或全无")
EMPTY_CELL = re.compile(r"<td[^>]*>\s*</td>")
#: A space between Chinese (its punctuation too) and a Latin letter or "#" ("项目动态 #1"):
#: Chinese writes none (docs/glossary.md). A date's time keeps its space ("3月15日 20:00").
_HAN = "\u4e00-\u9fff，。：；！？（）“”"
SPACED = re.compile(f"[{_HAN}] +[A-Za-z#]|[A-Za-z#] +[{_HAN}]")


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


def _flexible() -> Campaign:
    """A Chinese founder's reward campaign with flexible funding, its total at the deadline
    a third of its goal (charged all the same)."""
    campaign = _reward()
    campaign.funding_model = FundingModel.FLEXIBLE
    campaign.pledged_at_deadline_minor = campaign.goal_minor // 3
    return campaign


def _both() -> tuple[Campaign, Campaign, Campaign]:
    """Both kinds of campaign, a reward one in both funding models: all or nothing, and
    flexible (ended below its goal)."""
    return _reward(), _flexible(), _equity()


def _pledge(campaign: Campaign, status: PledgeStatus = PledgeStatus.ACTIVE, *,
            card: bool = True) -> Pledge:
    """A new Chinese backer's (investor's) pledge: a reward with an add-on and shipping, or
    400 shares; a Visa card saved."""
    if campaign.is_equity:
        pledge = make_pledge(campaign, _chinese("backer"), amount_minor=52_000, status=status)
        pledge.shares = 400
    else:
        pledge = make_pledge(campaign, _chinese("backer"), amount_minor=6_500, status=status,
                             tier=campaign.tiers[0])
        pledge.shipping_minor = 1_500
        pledge.add_ons.append(PledgeAddOn(add_on=make_add_on(campaign, name="备用灯罩"),
                                          quantity=2, unit_price_minor=500, shipping_minor=0))
    if card:
        pledge.payment_method_id = f"pm_{pledge.id}"
        pledge.card_brand, pledge.card_last4 = "visa", "4242"
        pledge.card_exp_month, pledge.card_exp_year = 12, 2030
    db.session.flush()
    return pledge


# --- emails.py ---------------------------------------------------------------------------


@maker("emails.pledge_confirmed")
def _pledge_confirmed():
    """With a card of each brand (an investment has its own message), all or nothing and
    flexible."""
    for campaign in (_reward(), _flexible()):
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
    offering = _equity()
    offering.status = CampaignStatus.APPROVED
    for campaign in (scheduled, _reward(CampaignStatus.APPROVED), offering):
        _queued(emails.campaign_approved(campaign))


@maker("emails.campaign_sent_back")
def _campaign_sent_back():
    offering = _equity()
    offering.status = CampaignStatus.SUBMITTED
    for campaign in (_reward(CampaignStatus.SUBMITTED), offering):
        _queued(emails.campaign_sent_back(campaign, "请补充模具的报价单。"))


@maker("emails.campaign_outcome_founder")
def _campaign_outcome_founder():
    for new_campaign in (_reward, _flexible, _equity):
        for funded, backers in ((True, 1), (True, 3), (False, 2)):
            campaign = new_campaign()
            pledged = campaign.goal if funded else usd(300)
            campaign.pledged_at_deadline_minor = pledged.amount
            _queued(emails.campaign_outcome_founder(campaign, pledged, backers))
    nothing = _flexible()  # flexible with nothing pledged: nothing to charge
    nothing.pledged_at_deadline_minor = 0
    _queued(emails.campaign_outcome_founder(nothing, usd(0), 0))


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
    at_risk = 3 * (1 + len(CARD_BRANDS) + 1)
    for notice in sorted(current_app.config["CARD_HEALTH_NOTICES"], reverse=True):
        assert remind_card_health(now=DEADLINE - notice + timedelta(hours=1)) == at_risk


# --- investor_emails.py ------------------------------------------------------------------
