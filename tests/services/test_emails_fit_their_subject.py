"""Each email says what fits what it is about, in English and in Chinese (the review of
every email read in Chinese, issue 26): an offering's founder, investors and followers hear
of investments, investors and a target, never of pledges, backers or a goal; the footer
fits the message (all or nothing for a reward campaign, how an investment is charged for an
offering, a plain line about crowdfund for an account); a fact with no value is not shown;
a bank's inquiry is not called a dispute; a founder's update reaches the HTML part rendered
from its Markdown and sanitised as on the page, and the text part as plain text.

Each test builds the messages it reads (``test_every_email_in_chinese`` reads every kind of
email in Chinese for the same faults). Needs the compiled zh_Hans catalogue
(``make translations``).
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from crowdfund.auth.models import User
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.community.card_health import reason_for
from crowdfund.community.models import CampaignUpdate
from crowdfund.extensions import db
from crowdfund.i18n import in_language_of
from crowdfund.notifications import (
    account_emails,
    community_emails,
    dispute_emails,
    emails,
)
from crowdfund.notifications.models import OutboxMessage
from crowdfund.pledges.models import Pledge, PledgeStatus
from tests.factories import live_offering, make_campaign, make_pledge, make_user, usd

#: What a reward campaign's message says in Chinese and an offering's never does (its own
#: words: 认购, 投资者, 目标融资额, 融资成功; docs/glossary.md).
CHINESE_REWARD_WORDS = ("支持", "回报", "目标金额", "众筹成功", "众筹未成功", "全有或全无")
#: The same in English, beyond ``tests.factories.REWARD_WORDS``.
ENGLISH_REWARD_WORDS = re.compile(
    r"\b(pledges?|pledged|rewards?|backers?|back it|goal|funded|all or nothing)\b", re.I)


def _messages() -> list[OutboxMessage]:
    db.session.flush()
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def _read(message: OutboxMessage) -> str:
    """What a person reads of ``message``: its subject and its text part."""
    return f"{message.subject}\n{message.text_body}"


def _reader(locale: str = "en") -> User:
    user = make_user()
    if locale != "en":
        user.locale, user.timezone = locale, "Asia/Shanghai"
    return user


def _mail() -> OutboxMessage:
    """The one message queued."""
    messages = _messages()
    assert len(messages) == 1, [m.dedupe_key for m in messages]
    return messages[0]


# --- the footer --------------------------------------------------------------------------


def test_the_footer_fits_what_the_email_is_about(session):
    reward = make_campaign(_reader(), status=CampaignStatus.LIVE)
    offering = live_offering()
    for campaign in (reward, offering):
        assert emails.campaign_launched(campaign)
    assert account_emails.password_changed(_reader(), "changed")
    reward_mail, offering_mail, account_mail = _messages()
    all_or_nothing = "all or nothing. You are only charged if a campaign reaches its goal."
    assert all_or_nothing in reward_mail.text_body and all_or_nothing in reward_mail.html_body
    for message in (offering_mail, account_mail):
        assert "all or nothing" not in (message.text_body + message.html_body).lower()
    investing = "an investment is charged only if its offering reaches its target"
    assert investing in offering_mail.text_body and investing in offering_mail.html_body
    assert "reward campaigns and equity offerings" in account_mail.text_body
    assert "target" not in account_mail.text_body and "goal" not in account_mail.text_body


def test_the_footer_of_an_investors_email_in_chinese(session):
    pledge = _card_pledge(live_offering(), _reader("zh_Hans"))
    assert emails.receipt(pledge, pledge.amount, "pi_1")
    text = _mail().text_body
    assert "crowdfund：只有融资项目在截止时间前达到目标融资额，认购才会扣款。" in text
    assert "全有或全无" not in text


# --- an offering's founder and followers -------------------------------------------------


def test_an_offerings_founder_is_told_of_investments_at_launch(session):
    english, chinese = live_offering(), live_offering()
    chinese.founder.locale, chinese.founder.timezone = "zh_Hans", "Asia/Shanghai"
    for offering in (english, chinese):
        assert emails.campaign_launched(offering)
    in_english, in_chinese = (_read(m) for m in _messages())
    assert "taking investments" in in_english and "Target:" in in_english
    assert ENGLISH_REWARD_WORDS.findall(in_english) == []
    assert "接受认购" in in_chinese and "投资者" in in_chinese and "目标融资额" in in_chinese
    assert [w for w in CHINESE_REWARD_WORDS if w in in_chinese] == []
    assert "\n项目：" not in in_chinese  # the offering is named as one (股权融资项目)


def test_followers_of_an_offering_are_told_of_investments(session):
    offering, follower = live_offering(), _reader()
    assert community_emails.followed_founder_launched(offering, follower)
    assert community_emails.followed_campaign_ending(offering, follower)
    for funded, ended_offering in ((True, offering), (False, live_offering())):
        assert community_emails.followed_campaign_outcome(ended_offering, follower, funded)
    read = {m.dedupe_key: _read(m) for m in _messages()}
    assert len(read) == 4
    assert {key: ENGLISH_REWARD_WORDS.findall(text) for key, text in read.items()
            if ENGLISH_REWARD_WORDS.search(text)} == {}
    texts = "\n".join(read.values())
    assert "If you want to invest, now is the time." in texts
    assert "reached its target of" in texts and "no investor was charged" in texts


def _card_pledge(campaign: Campaign, backer: User, *, card: bool = True) -> Pledge:
    pledge = make_pledge(campaign, backer)
    if card:
        pledge.payment_method_id = f"pm_{pledge.id}"
        pledge.card_brand, pledge.card_last4 = "visa", "4242"
        pledge.card_exp_month, pledge.card_exp_year = 12, 2030
    db.session.flush()
    return pledge


@pytest.mark.parametrize(("locale", "investment", "pledge"), [
    ("en", "No working card is saved on your investment.", "pledge"),
    ("zh_Hans", "你的认购没有保存可用的银行卡。", "支持"),
])
def test_an_investor_without_a_card_is_told_of_their_investment(session, locale, investment,
                                                                  pledge):
    without_card = _card_pledge(live_offering(), _reader(locale), card=False)
    with in_language_of(locale, "UTC"):
        reason = reason_for(without_card)
    assert reason == investment and pledge not in reason


# --- facts -------------------------------------------------------------------------------


def test_a_receipt_without_a_payment_reference_does_not_show_one(session):
    campaign = make_campaign(status=CampaignStatus.LIVE)
    for reference in ("pi_3QxHarbour42", None):
        pledge = _card_pledge(campaign, _reader())
        pledge.status = PledgeStatus.COLLECTED
        assert emails.receipt(pledge, pledge.amount, reference)
    with_reference, without = _messages()
    assert "Payment reference: pi_3QxHarbour42" in with_reference.text_body
    assert "Payment reference" not in without.text_body
    assert "Payment reference" not in without.html_body
    assert "Charged: $50.00" in without.text_body  # the other facts stay


# --- a bank's inquiry --------------------------------------------------------------------


@pytest.mark.parametrize(("locale", "inquiry", "dispute"), [
    ("en", "inquiry", "dispute"), ("zh_Hans", "问询", "拒付争议")])
def test_an_inquiry_closed_is_not_called_a_dispute(session, locale, inquiry, dispute):
    founder = _reader(locale)
    for campaign in (make_campaign(founder, status=CampaignStatus.FUNDED), live_offering()):
        campaign.founder = founder
        pledge = _card_pledge(campaign, _reader(locale))
        pledge.status = PledgeStatus.DISPUTED
        assert dispute_emails.closed_to_backer(pledge, f"du_{campaign.id}", usd(65),
                                               "warning_closed")
        assert dispute_emails.closed_to_founder(pledge, f"du_{campaign.id}", usd(65), usd(0),
                                                "warning_closed")
    messages = _messages()
    assert len(messages) == 4
    for message in messages:
        assert inquiry in message.subject.lower(), message.subject
        assert dispute not in message.subject.lower(), message.subject
    facts = "\n".join(m.text_body for m in messages)
    assert ("Amount asked about: $65.00" if locale == "en" else "问询金额：US$65.00") in facts
    assert ("Amount disputed" if locale == "en" else "争议金额") not in facts


def test_a_dispute_closed_is_still_called_a_dispute(session):
    pledge = _card_pledge(make_campaign(status=CampaignStatus.FUNDED), _reader())
    assert dispute_emails.closed_to_backer(pledge, "du_1", usd(65), "won")
    message = _mail()
    assert "dispute" in message.subject and "Amount disputed: $65.00" in message.text_body


# --- a founder's update ------------------------------------------------------------------


def _update(campaign: Campaign, body: str, number: int = 1) -> CampaignUpdate:
    update = CampaignUpdate(campaign_id=campaign.id, number=number, title="开模完成",
                            body_md=body, visibility="public", author_id=campaign.founder_id)
    db.session.add(update)
    db.session.flush()
    return update


def test_an_update_reaches_the_email_rendered_from_its_markdown(session):
    campaign = make_campaign(status=CampaignStatus.LIVE)
    body = ("模具已经做好了，**下周**开始试产。\n\n- 外壳\n- 电路板\n\n"
            "详情见[我们的博客](https://example.com/blog)。")
    assert community_emails.campaign_update(campaign, _update(campaign, body), _reader())
    message = _mail()
    assert "<strong>下周</strong>" in message.html_body and "<li>外壳</li>" in message.html_body
    assert '<a href="https://example.com/blog"' in message.html_body
    assert "**" not in message.html_body
    assert "模具已经做好了，下周开始试产。\n\n- 外壳\n- 电路板" in message.text_body
    assert "详情见我们的博客 (https://example.com/blog)。" in message.text_body
    assert "**" not in message.text_body and "<" not in message.text_body


def test_no_html_of_an_update_reaches_the_email_but_what_the_page_allows(session):
    campaign = make_campaign(status=CampaignStatus.LIVE)
    body = ('好消息<script>alert("steal")</script>\n\n'
            '<img src="https://example.com/a.png" onerror="alert(1)" alt="样品">\n\n'
            '<a href="javascript:alert(2)">点这里</a> <iframe src="https://evil.example"></iframe>'
            '<p style="color:red" onclick="alert(3)">样品照片</p>')
    assert community_emails.campaign_update(campaign, _update(campaign, body), _reader())
    message = _mail()
    html = message.html_body.lower()
    for unsafe in ("<script", "alert", "onerror", "onclick", "javascript:", "<iframe",
                   "style=\"color"):
        assert unsafe not in html, unsafe
    assert "alert" not in message.text_body and "javascript" not in message.text_body
    assert "好消息" in message.html_body and "样品照片" in message.text_body


def test_an_updates_chinese_subject_has_no_space_before_its_number(session):
    campaign = make_campaign(status=CampaignStatus.LIVE, title="Harbour Lights")
    assert community_emails.campaign_update(campaign, _update(campaign, "正文"),
                                            _reader("zh_Hans"))
    assert _mail().subject == "“Harbour Lights”项目动态#1：开模完成"
