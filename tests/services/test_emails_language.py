"""Every email is written in its recipient's language and time zone (``User.locale`` and
``User.timezone``, else the defaults), whoever triggered it: the settle loop, a job run in
another language, an operator's or a visitor's request in Chinese. A person reading
Simplified Chinese in Shanghai gets Chinese with China Standard Time; an English reader in
the same batch gets English.

Two kinds of check: dates, zones and amounts are written by Babel's own locale data and
the layouts' ``<html lang>`` by the platform's language tags (they need no catalogue of
ours: "2027年1月8日 20:00 中国标准时间", "US$60.00" for a Chinese reader); the tests named
``..._words`` read our translated texts, so they need the compiled zh_Hans catalogue
(``make translations``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from crowdfund.auth.models import User
from crowdfund.campaigns import services as campaigns
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.community.card_health import remind_card_health
from crowdfund.equity import changes, investing
from crowdfund.equity.closing import POLICY_WORDS
from crowdfund.equity.models import AllocationPolicy
from crowdfund.equity.services import offering_of
from crowdfund.extensions import db
from crowdfund.i18n import in_language_of
from crowdfund.money import Money
from crowdfund.notifications import dispute_emails, emails, investor_emails
from crowdfund.notifications.mailer import build_message
from crowdfund.notifications.models import OutboxMessage
from crowdfund.pledges import services as pledges
from tests.factories import (
    CARDS,
    ended,
    investor,
    live_offering,
    make_campaign,
    make_pledge,
    make_user,
    pledge_of,
    refund_now,
    terms_of,
    usd,
)

SHANGHAI = "中国标准时间"  # the zone, as Babel names it in Chinese
CHINESE_PAGE = '<html lang="zh-Hans">'
ENGLISH_PAGE = '<html lang="en">'
CHINESE_BROWSER = {"Accept-Language": "zh-CN,zh;q=0.9"}
ENGLISH_BROWSER = {"Accept-Language": "en-US,en;q=0.9"}


def _chinese(user: User) -> User:
    user.locale, user.timezone = "zh_Hans", "Asia/Shanghai"
    return user


def _mail(key: str) -> OutboxMessage:
    db.session.expire_all()
    found = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.dedupe_key == key))
    assert found is not None, db.session.scalars(sa.select(OutboxMessage.dedupe_key)).all()
    return found


def _to(kind: str, pledge_id: int) -> OutboxMessage:
    """The message of ``kind`` to the backer of ``pledge_id``."""
    return _mail(db.session.scalar(sa.select(OutboxMessage.dedupe_key).where(
        OutboxMessage.kind == kind, OutboxMessage.recipient_id == pledge_of(pledge_id).backer_id)))


def _in_chinese(message: OutboxMessage) -> bool:
    return CHINESE_PAGE in message.html_body


def _in_english(message: OutboxMessage) -> bool:
    return ENGLISH_PAGE in message.html_body and "年" not in message.text_body


def _back(campaign, backer: User, gw, card: str, amount: str) -> int:
    """``backer``'s pledge, its card saved through the services (its confirmation queued)."""
    pledge = pledges.start_pledge(backer, campaign, None, Money.from_decimal(amount, "USD"),
                                  None)
    intent = pledges.ensure_setup_intent(pledge, backer, gw)
    gw.confirm_setup(intent.id, CARDS[card])
    pledges.confirm_card(pledge, gw)
    return pledge.id


@pytest.fixture
def settled(session, gw, settler):
    """A Chinese founder's campaign, backed by two Chinese backers (one card declines) and
    an English one, launched and settled by the settle loop (a job, in English)."""
    founder = _chinese(make_user(name="林发起"))
    campaign = make_campaign(founder, status=CampaignStatus.APPROVED, tiers=0, goal_minor=5_000,
                             title="Harbour Lights")
    campaigns.launch(campaign, founder)
    ids = {"lin": _back(campaign, _chinese(make_user(name="林")), gw, "ok", "60"),
           "grace": _back(campaign, make_user(name="Grace"), gw, "ok", "30"),
           "mei": _back(campaign, _chinese(make_user(name="梅")), gw, "declines", "10")}
    ended(campaign)
    session.commit()
    with in_language_of("en", "UTC"):
        settler.settle(campaign.id)
    return campaign.id, ids


def test_the_settle_loop_writes_each_person_in_their_language_and_zone(session, settled):
    campaign_id, ids = settled
    launched = _mail(f"campaign-{campaign_id}-launched")
    assert _in_chinese(launched) and SHANGHAI in launched.text_body  # the deadline
    confirmed = _to("pledge_confirmed", ids["lin"])
    assert _in_chinese(confirmed) and SHANGHAI in confirmed.text_body
    assert "US$60.00" in confirmed.text_body and "年" in confirmed.text_body
    english = _to("pledge_confirmed", ids["grace"])
    assert _in_english(english) and "UTC" in english.text_body
    assert "$30.00" in english.text_body and "US$" not in english.text_body
    # The deadline's messages, all queued in the settle loop's batches.
    founder = _mail(f"campaign-{campaign_id}-outcome-founder")
    assert _in_chinese(founder) and "US$100.00" in founder.text_body
    for key in (f"pledge-{ids['lin']}-outcome", f"pledge-{ids['lin']}-receipt"):
        assert _in_chinese(_mail(key)) and "US$60.00" in _mail(key).text_body
    for key in (f"pledge-{ids['grace']}-outcome", f"pledge-{ids['grace']}-receipt"):
        message = _mail(key)
        assert _in_english(message) and "$30.00" in message.text_body
        assert "US$" not in message.text_body
    failed = _mail(f"pledge-{ids['mei']}-payment-failed")
    assert _in_chinese(failed) and SHANGHAI in failed.text_body  # until when to fix it
    assert f"/pledges/{ids['mei']}/pay" in failed.text_body


def test_the_settle_loop_words(session, settled):
    """Needs the compiled zh_Hans catalogue."""
    campaign_id, ids = settled
    assert _to("pledge_confirmed", ids["lin"]).subject == "你已支持“Harbour Lights”"
    founder = _mail(f"campaign-{campaign_id}-outcome-founder")
    assert founder.subject == "“Harbour Lights”众筹成功"
    assert "获得3位支持者的支持" in founder.text_body and "林发起，你好！" in founder.text_body
    assert _mail(f"pledge-{ids['lin']}-outcome").subject == "“Harbour Lights”众筹成功"
    receipt = _mail(f"pledge-{ids['lin']}-receipt")
    assert receipt.subject == "收据：为“Harbour Lights”支付US$60.00"
    assert "crowdfund：全有或全无" in receipt.text_body
    assert "扣款金额：US$60.00" in receipt.text_body
    failed = _mail(f"pledge-{ids['mei']}-payment-failed")
    assert failed.subject == "需要你处理：“Harbour Lights”的付款"
    assert "你的银行卡被拒绝扣款" in failed.text_body
    assert f"更新付款方式：http://127.0.0.1:5000/pledges/{ids['mei']}/pay" in failed.text_body
    english = _mail(f"pledge-{ids['grace']}-receipt")
    assert english.subject == "Receipt: $30.00 for Harbour Lights"
    assert "Hello Grace," in english.text_body and "all or nothing" in english.text_body


def test_a_refund_and_a_payout_are_written_for_their_readers(session, settled, settler):
    campaign_id, ids = settled
    operator = _chinese(make_user(operator=True))
    refund_now(settler, pledge_of(ids["lin"]), usd(10), operator, "Wrong colour")
    refund_now(settler, pledge_of(ids["grace"]), usd(5), operator, "Wrong size")
    [chinese, english] = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.kind == "refund_issued").order_by(OutboxMessage.id)).all()
    assert _in_chinese(chinese) and "US$10.00" in chinese.subject
    assert _in_english(english) and english.subject.startswith("Refund of $5.00 from")
    campaign = pledge_of(ids["lin"]).campaign
    with in_language_of("en", "UTC"):  # whatever the job's own language
        emails.payout_paid(campaign, usd(80))
    payout = _mail(f"campaign-{campaign_id}-payout-paid")
    assert _in_chinese(payout) and "US$80.00" in payout.subject


def test_a_refund_words(session, settled, settler):
    """Needs the compiled zh_Hans catalogue."""
    _campaign_id, ids = settled
    refund_now(settler, pledge_of(ids["lin"]), usd(10), make_user(operator=True), "颜色不对")
    refund = _mail(next(iter(db.session.scalars(sa.select(OutboxMessage.dedupe_key).where(
        OutboxMessage.kind == "refund_issued")))))
    assert refund.subject == "“Harbour Lights”退款US$10.00"
    assert "原因：颜色不对" in refund.text_body and "累计退款：US$10.00" in refund.text_body


# --- emails a request in another language sends ------------------------------------------


def test_an_operator_reading_chinese_approves_an_english_founders_campaign(app, client, auth,
                                                                           session):
    english = make_campaign(make_user(), status=CampaignStatus.SUBMITTED)
    chinese = make_campaign(_chinese(make_user()), status=CampaignStatus.SUBMITTED)
    for campaign in (english, chinese):
        campaign.scheduled_launch_at = datetime(2030, 1, 8, 12, 0, tzinfo=UTC)
    operator = _chinese(make_user(operator=True))
    session.commit()
    auth.login_as(operator)
    for campaign in (english, chinese):
        response = client.post(f"/operators/campaigns/{campaign.id}/approve",
                               headers=CHINESE_BROWSER)
        assert response.status_code == 302
    [to_english, to_chinese] = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.kind == "campaign_approved").order_by(OutboxMessage.id)).all()
    assert _in_english(to_english) and to_english.subject.endswith(" is approved")
    assert "Jan 8, 2030, 12:00\u202fPM UTC" in to_english.text_body  # when it launches
    assert _in_chinese(to_chinese) and "2030年1月8日 20:00 中国标准时间" in to_chinese.text_body


def test_a_question_reaches_the_founder_in_the_founders_language(app, client, auth, session):
    english = make_campaign(make_user(), status=CampaignStatus.LIVE)
    chinese = make_campaign(_chinese(make_user()), status=CampaignStatus.LIVE)
    lin, grace = _chinese(make_user(name="林")), make_user(name="Grace")
    session.commit()
    for asker, campaign, body, browser in ((lin, english, "能寄到成都吗？", CHINESE_BROWSER),
                                           (grace, chinese, "Ships to Chengdu?", ENGLISH_BROWSER)):
        auth.login_as(asker)
        client.post(f"/campaigns/{campaign.slug}/comments", headers=browser,
                    data={"body": body, "kind": "question"})
        auth.logout()
    [to_english, to_chinese] = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.kind == "question").order_by(OutboxMessage.id)).all()
    assert _in_english(to_english) and to_english.subject == f"A question about {english.title}"
    assert "能寄到成都吗？" in to_english.text_body and "林 asked:" in to_english.text_body
    assert _in_chinese(to_chinese) and "Ships to Chengdu?" in to_chinese.text_body


# --- disputes, investors, card health: jobs in another language ---------------------------


def test_a_dispute_is_told_to_each_in_their_language(session):
    founder = _chinese(make_user())
    campaign = make_campaign(founder, status=CampaignStatus.FUNDED, title="Harbour Lights")
    pledge = make_pledge(campaign, make_user(name="Grace"), amount_minor=10_000)
    session.flush()
    due = datetime(2027, 1, 8, 12, 0, tzinfo=UTC)
    with in_language_of("en", "UTC"):
        dispute_emails.opened_to_founder(pledge, "dp_1", usd(100), "fraudulent", due, False)
    with in_language_of("zh_Hans", "Asia/Shanghai"):
        dispute_emails.closed_to_backer(pledge, "dp_1", usd(100), "lost")
    opened = _mail("dispute-dp_1-opened-founder")
    assert _in_chinese(opened) and "2027年1月8日 20:00 中国标准时间" in opened.subject
    assert "US$100.00" in opened.subject
    closed = _mail("dispute-dp_1-lost-backer")
    assert _in_english(closed) and "in your favour" in closed.text_body
    assert "$100.00" in closed.text_body and "US$" not in closed.text_body


def test_a_dispute_words(session):
    """Needs the compiled zh_Hans catalogue."""
    campaign = make_campaign(_chinese(make_user()), status=CampaignStatus.FUNDED,
                             title="Harbour Lights")
    pledge = make_pledge(campaign, make_user(name="Grace"), amount_minor=10_000)
    session.flush()
    with in_language_of("en", "UTC"):
        dispute_emails.opened_to_founder(pledge, "dp_1", usd(100), "product_not_received",
                                         None, False)
    opened = _mail("dispute-dp_1-opened-founder")
    assert opened.subject == ("“Harbour Lights”US$100.00扣款的拒付争议："
                              "请在支付服务商告知我们的日期前提交证据")
    assert "银行给出的原因：未收到商品" in opened.text_body
    assert "举证截止时间：尚未告知" in opened.text_body


@pytest.fixture
def reconfirming(session):
    """A live offering with a Chinese investor and an English one; an operator applies a
    material change of the price (a job in English tells them to reconfirm)."""
    friday = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    campaign = live_offering()
    campaign.deadline = friday + timedelta(days=30)
    lin = investing.start_investment(_chinese(investor()), campaign, usd(500), now=friday)
    grace = investing.start_investment(investor(), campaign, usd(700), now=friday)
    change = changes.propose(campaign, campaign.founder,
                             terms_of(offering_of(campaign), price_per_share=usd("1.50")),
                             "New price after the bridge round.", now=friday)
    with in_language_of("zh_Hans", "Asia/Shanghai"):  # the operator reads Chinese
        changes.decide(change, make_user(operator=True), material=True, now=friday)
    return change, lin, grace


def test_an_investor_is_asked_to_reconfirm_in_their_language(session, reconfirming):
    change, lin, grace = reconfirming
    chinese = _mail(f"pledge-{lin.id}-change-{change.id}")
    assert _in_chinese(chinese) and "2026年11月27日 23:00 中国标准时间" in chinese.text_body
    english = _mail(f"pledge-{grace.id}-change-{change.id}")
    assert _in_english(english) and "Nov 27, 2026, 3:00\u202fPM UTC" in english.text_body
    assert "(price per share)" in english.text_body  # the changed term, named in English


def test_an_investor_words(session, reconfirming):
    """Needs the compiled zh_Hans catalogue: the changed terms and the allocation policy
    that other features pass in lazily are said in the investor's words."""
    change, lin, _grace = reconfirming
    chinese = _mail(f"pledge-{lin.id}-change-{change.id}")
    assert chinese.subject == f"请重新确认你对“{lin.campaign.title}”的认购"
    assert "（每股价格）" in chinese.text_body
    with in_language_of("en", "UTC"):
        investor_emails.allocation_cut(lin, usd(100_000),
                                       POLICY_WORDS[AllocationPolicy.FIRST_COME])
    allocation = _mail(f"pledge-{lin.id}-allocation")
    assert "采用“先到先得”的方式配售" in allocation.text_body
    assert allocation.subject == f"你在“{lin.campaign.title}”中的配售结果"


def _at_risk(campaign, backer: User):
    pledge = make_pledge(campaign, backer)
    pledge.payment_method_id = f"pm_{pledge.id}"
    pledge.card_brand, pledge.card_last4 = "visa", "4242"
    pledge.card_exp_year, pledge.card_exp_month = 2027, 2
    return pledge


def test_card_health_reminders_go_out_in_each_backers_language(session):
    deadline = datetime(2027, 3, 15, 18, 0, tzinfo=UTC)
    campaign = make_campaign(status=CampaignStatus.LIVE, title="Harbour Lights")
    campaign.deadline = deadline
    lin, grace = _at_risk(campaign, _chinese(make_user())), _at_risk(campaign, make_user())
    session.commit()
    with in_language_of("en", "UTC"):
        assert remind_card_health(now=deadline - timedelta(days=6)) == 2
    chinese = _mail(f"pledge-{lin.id}-card-health-7d")
    assert _in_chinese(chinese) and "2027年3月16日 02:00 中国标准时间" in chinese.text_body
    english = _mail(f"pledge-{grace.id}-card-health-7d")
    assert _in_english(english) and "Mar 15, 2027, 6:00\u202fPM UTC" in english.text_body
    assert "expires at the end of 02/2027" in english.text_body


def test_card_health_words(session):
    """Needs the compiled zh_Hans catalogue."""
    deadline = datetime(2027, 3, 15, 18, 0, tzinfo=UTC)
    campaign = make_campaign(status=CampaignStatus.LIVE, title="Harbour Lights")
    campaign.deadline = deadline
    lin = _at_risk(campaign, _chinese(make_user()))
    session.commit()
    with in_language_of("en", "UTC"):
        remind_card_health(now=deadline - timedelta(hours=47))
    reminder = _mail(f"pledge-{lin.id}-card-health-48h")
    assert reminder.subject == "请为“Harbour Lights”更新银行卡"
    assert "尾号为4242的Visa卡" in reminder.text_body and "更新银行卡：http" in reminder.text_body


# --- the layouts' own words ----------------------------------------------------------------


def test_an_optional_message_says_how_to_stop_it_in_the_readers_words(session):
    """Needs the compiled zh_Hans catalogue."""
    campaign = make_campaign(status=CampaignStatus.LIVE, title="Harbour Lights")
    lin, grace = _chinese(make_user()), make_user()
    session.flush()
    with in_language_of("en", "UTC"):
        emails.followed_campaign_ending(campaign, lin)
    with in_language_of("zh_Hans", "Asia/Shanghai"):
        emails.followed_campaign_ending(campaign, grace)
    chinese = _mail(f"campaign-{campaign.id}-ending-user-{lin.id}")
    assert ("你收到这封邮件，是因为你在邮件通知设置中选择了接收："
            "你关注的发起人和项目的上线与结束通知。退订：http") in chinese.text_body
    assert ">退订</a>" in chinese.html_body
    english = _mail(f"campaign-{campaign.id}-ending-user-{grace.id}")
    assert ("You get this because of your choices (launches and endings of founders and "
            "campaigns you follow). Stop them: http") in english.text_body


def test_a_link_gone_by_sending_time_is_said_in_the_recipients_words(app, client, session):
    """Needs the compiled zh_Hans catalogue. The sender is a job in English."""
    from crowdfund.auth.models import AccountToken

    user = _chinese(make_user("lin@example.com"))
    session.commit()
    client.post("/password/forgot", data={"email": "lin@example.com"}, headers=ENGLISH_BROWSER)
    row = db.session.scalar(sa.select(OutboxMessage).where(
        OutboxMessage.kind == "account_reset_password"))
    db.session.execute(sa.delete(AccountToken).where(AccountToken.user_id == user.id))
    with in_language_of("en", "UTC"):
        body = build_message(row, app.config).get_body(("plain",)).get_content()
    assert "（此链接已失效）" in body and "no longer valid" not in body
