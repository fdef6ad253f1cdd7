"""Issue 26 end to end: a visitor reads crowdfund in Chinese, from the footer's switch to
a pledge in yuan, in a real browser whose clock is in Shanghai.

An anonymous visitor (browser in English, zone Asia/Shanghai) opens the home page,
switches to 简体中文 in the footer, registers (the form's errors in Chinese), confirms the
address through the link emailed to them (delivered by the app over SMTP to the test
server), signs in and pledges to a live CNY campaign with the sandbox's Stripe.js and the
card 4242 4242 4242 4242. Every page on the way and both emails are in Chinese: no English
word left but the names of the test's people and things (``tests/i18n_scan.py``), amounts
in yuan as Chinese readers write them (¥, not CN¥), the deadline on China Standard Time.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from markupsafe import escape

from crowdfund.auth.models import User
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.notifications.outbox import deliver_due
from crowdfund.pledges.models import Pledge, PledgeStatus
from tests.browser.helpers import sign_in, type_card
from tests.factories import PASSWORD, make_campaign, make_tier, make_user
from tests.i18n_scan import english_left

SHANGHAI = ZoneInfo("Asia/Shanghai")
EMAIL = "zhang.min@example.com"
#: The test's own names (people, the campaign, its reward): they stay as written.
FOUNDER, TITLE, REWARD, BACKER = "Lin Wei", "Tidewater recorder", "Field kit", "Zhang Min"
ALLOWED = {FOUNDER, TITLE, REWARD, BACKER}
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def cny_campaign(app):
    """A live campaign raising yuan, its one reward at ¥199.00, ending at 18:30 UTC in 20
    days: 02:30 the next morning in Shanghai (another day and hour than UTC's)."""
    deadline = (utcnow() + timedelta(days=20)).replace(hour=18, minute=30, second=0,
                                                       microsecond=0)
    with app.app_context():
        campaign = make_campaign(make_user(name=FOUNDER), status=CampaignStatus.LIVE, tiers=0,
                                 title=TITLE, currency="CNY", goal_minor=5_000_000)
        campaign.deadline = deadline
        # What the founder wrote, in Chinese as a founder in China writes it.
        campaign.blurb = "能录下潮声的便携录音机。"
        campaign.description_md = "我们在海边做了三年实验，终于做出这台录音机。" * 3
        campaign.risks_md = "生产可能延期，我们会及时告诉大家。"
        campaign.budget_lines[0].label = "生产"
        tier = make_tier(campaign, minimum_minor=19_900, limit=50)
        tier.title = REWARD
        db.session.commit()
        yield {"slug": campaign.slug, "tier": tier.id, "deadline": deadline}
        db.session.remove()


def _deadline_in_shanghai(deadline: datetime) -> str:
    """The deadline as a Chinese reader in Shanghai reads it, written out here by hand
    (not by the app's filter): "2027年1月9日 02:30 中国标准时间"."""
    local = deadline.astimezone(SHANGHAI)
    assert local.hour == 2 and local.date() == deadline.astimezone(UTC).date() + timedelta(1)
    return f"{local.year}年{local.month}月{local.day}日 02:30 中国标准时间"


def _mail(app, smtp, to: str, subject_has: str | None = None, after: int = 0,
          timeout: float = 20.0):
    """The first message to ``to`` (whose subject contains ``subject_has``) among those
    the SMTP test server received after the first ``after``, as it arrives: the app
    delivers its outbox over SMTP meanwhile, as its send-email pass does."""
    end = time.monotonic() + timeout
    while True:
        with app.app_context():
            deliver_due(utcnow() + timedelta(seconds=1))
            db.session.remove()
        for recipients, message in smtp.messages[after:]:
            if to in recipients and (subject_has is None or subject_has in message["Subject"]):
                return message
        if time.monotonic() > end:
            pytest.fail(f"no message to {to} ({subject_has!r}) arrived: "
                        f"{[(r, m['Subject']) for r, m in smtp.messages]}")
        time.sleep(0.2)


def _link(message, path: str) -> str:
    text = message.get_body(("plain",)).get_content()
    return urlsplit(re.search(rf"https?://\S+{path}\S+", text).group(0)).path


def _html(message) -> str:
    return message.get_body(("html",)).get_content()


def _text(message) -> str:
    """The plain-text part, read as a page (the scan reads HTML)."""
    return f"<pre>{escape(message.get_body(('plain',)).get_content())}</pre>"


#: The page as the scan reads it, without the inside of the card form: Stripe draws it
#: (in its own frame, in the language pledge.js asks for); the sandbox's stand-in is not
#: localised.
_PAGE_WITHOUT_CARD_FORM = """() => {
  const copy = document.documentElement.cloneNode(true);
  copy.querySelectorAll("#card-element").forEach((el) => { el.innerHTML = ""; });
  return copy.outerHTML;
}"""
#: Records the options the page gives Stripe.js (its ``Stripe(key, options)``).
_WATCH_STRIPE = """
Object.defineProperty(window, "Stripe", {configurable: true, get() { return undefined; },
  set(made) {
    Object.defineProperty(window, "Stripe", {configurable: true, writable: true,
      value: function (key, options) {
        window.stripeOptions = options;
        return made(key, options);
      }});
  }});
"""


class Reading:
    """What a Chinese reader found in English (or not in Chinese) along the way: kept
    until the end, so that one run lists everything left to translate."""

    def __init__(self) -> None:
        self.problems: dict[str, list[str]] = {}

    def page(self, page, where: str) -> str:
        page.wait_for_load_state()
        html = page.evaluate(_PAGE_WITHOUT_CARD_FORM)
        lang = page.evaluate("document.documentElement.lang")
        if lang != "zh-Hans":
            self.problems.setdefault(where, []).append(f'<html lang="{lang}">')
        self.english(html, where)
        return page.inner_text("main")

    def english(self, html: str, where: str) -> None:
        left = english_left(html, ALLOWED)
        if left:
            self.problems.setdefault(where, []).extend(left)

    def email(self, message, where: str) -> None:
        if not CJK.search(message["Subject"]):
            self.problems.setdefault(where, []).append(f"subject: {message['Subject']}")
        self.english(f"<p>{message['Subject']}</p>", f"{where} (subject)")
        self.english(_html(message), f"{where} (HTML)")
        self.english(_text(message), f"{where} (text)")
        if 'lang="zh-Hans"' not in _html(message):
            self.problems.setdefault(where, []).append("its HTML is not marked lang=zh-Hans")


def test_a_visitor_in_shanghai_registers_and_backs_a_cny_campaign_in_chinese(
        app, browser, live_server, smtp, cny_campaign):
    reading = Reading()
    # A browser set to English, in Shanghai: the footer's switch is what makes it Chinese.
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="en-US",
                                  timezone_id="Asia/Shanghai")
    context.add_init_script(_WATCH_STRIPE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base = live_server
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(live_server + "/")
    assert page.evaluate("document.documentElement.lang") == "en"
    page.click('footer a[hreflang="zh-Hans"]')
    page.wait_for_url(live_server + "/")
    reading.page(page, "home")
    cookies = {c["name"]: c["value"] for c in context.cookies()}
    assert cookies.get("lang") == "zh_Hans" and cookies.get("tz") == "Asia/Shanghai", cookies

    # Registering: first with mistakes, each refused next to its field, in Chinese.
    page.click('header a[href="/register"]')
    page.wait_for_url(live_server + "/register")
    reading.page(page, "register")
    page.fill("#email", EMAIL)
    page.fill("#password", "short")
    page.fill("#confirm", "different")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    refusals = page.locator("main .error").all_inner_texts()
    assert len(refusals) >= 3, refusals  # the name missing, the password short and unequal
    reading.page(page, "register, refused")
    for refusal in refusals:
        if not CJK.search(refusal):
            reading.problems.setdefault("register, refusals", []).append(refusal)
    page.fill("#display_name", BACKER)
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(live_server + "/register/sent")
    reading.page(page, "register, sent")
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == EMAIL))
        assert (user.locale, user.timezone) == ("zh_Hans", "Asia/Shanghai")
        db.session.remove()

    # The confirmation link, from the email as the SMTP server received it.
    confirmation = _mail(app, smtp, EMAIL)
    reading.email(confirmation, "confirmation email")
    page.goto(live_server + _link(confirmation, "/account/confirm/"))
    reading.page(page, "confirm")
    page.click("main form button[type=submit]")
    page.wait_for_url(live_server + "/login")
    reading.page(page, "signed-out, confirmed")
    sign_in(page, EMAIL)
    reading.page(page, "home, signed in")

    # Backing the campaign: its page, the reward, the amount, the card.
    page.goto(f"{live_server}/campaigns/{cny_campaign['slug']}")
    body = reading.page(page, "campaign")
    assert "¥199.00" in body and "CN¥" not in body, body
    page.click(f'main a[href*="/pledge?tier={cny_campaign["tier"]}"]')
    page.wait_for_url(re.compile(r".*/pledge\?tier=\d+"))
    reading.page(page, "pledge form")
    page.fill("#amount", "199")
    page.click("#pledge-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/pledges/\d+/card$"))
    body = reading.page(page, "card")
    deadline = _deadline_in_shanghai(cny_campaign["deadline"])
    assert "¥199.00" in body and deadline in body, body
    page.wait_for_selector("#card-element input")
    assert page.evaluate("window.stripeOptions") == {"locale": "zh"}  # Stripe's form in Chinese
    sent_before = len(smtp.messages)
    type_card(page, "4242424242424242")
    page.click("#card-submit")
    page.wait_for_url(re.compile(r".*/pledges/\d+$"))

    # The pledge page: in Chinese, in yuan, the deadline on Shanghai's clock.
    body = reading.page(page, "pledge")
    assert "¥199.00" in body and "CN¥" not in body, body
    assert "中国标准时间" in body and deadline in body, body
    assert "18:30" not in body  # not UTC's hour
    with app.app_context():
        pledge = db.session.scalar(sa.select(Pledge).join(Pledge.backer).where(
            User.email == EMAIL))
        assert (pledge.status, pledge.currency, pledge.amount_minor, pledge.card_last4) == (
            PledgeStatus.ACTIVE, "CNY", 19_900, "4242")
        db.session.remove()

    # The pledge's confirmation, as the SMTP server received it.
    confirmed = _mail(app, smtp, EMAIL, after=sent_before)
    reading.email(confirmed, "pledge confirmation email")
    text = confirmed.get_body(("plain",)).get_content()
    assert "¥199.00" in text and "CN¥" not in text, text
    assert deadline in text, text
    assert TITLE in confirmed["Subject"]
    context.close()
    assert errors == []
    assert reading.problems == {}, "\n".join(
        f"{where}: {found}" for where, found in reading.problems.items())
