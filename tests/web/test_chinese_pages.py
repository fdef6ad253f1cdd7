"""Every page a person can open, read in Simplified Chinese, has no English left (issue 26).

Each kind of visitor (an anonymous one, a backer with a pledge, a founder with a live
reward campaign, a funded one and an equity offering, an operator signed in with two-factor)
chooses Chinese with the footer's cookie and opens every page route of the app's URL map
with the test data's ids (as test_permissions.py walks them), so a new page is covered
without editing this file. Each page answered with HTML is read by ``english_left``: the
names of the people and campaigns below may stay in Latin letters, and so may what the
founders wrote (here in Chinese, as a founder in Shenzhen writes it).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import date, timedelta

import pyotp
import pytest
from flask import template_rendered

from crowdfund.campaigns.faq import FaqEntry
from crowdfund.campaigns.funding import set_flexible_funding
from crowdfund.campaigns.states import CampaignStatus, FundingModel
from crowdfund.community.models import (
    CampaignUpdate,
    Comment,
    DeliveryReport,
    DeliveryStatus,
    SpendingReport,
)
from crowdfund.db import utcnow
from crowdfund.equity.services import offering_of
from crowdfund.extensions import db
from crowdfund.fulfilment.models import QuestionKind, SurveyQuestion
from crowdfund.fulfilment.surveys import open_survey
from crowdfund.payments import gateway
from crowdfund.pledges.models import PledgeAddOn, PledgeStatus
from tests.factories import (
    AuthActions,
    live_offering,
    make_add_on,
    make_campaign,
    make_pledge,
    make_user,
    with_two_factor,
)
from tests.factories_cards import save_card
from tests.i18n_scan import english_left

ROLES = ("anonymous", "backer", "founder", "operator")
#: Routes that are not pages: files, probes, the language switch itself (a redirect).
NOT_PAGES = {"static", "main.uploads", "health.healthz", "health.readyz",
             "main.choose_language"}
#: Who the test data's people and campaigns are: names stay in Latin letters.
NAMES = {"founder": "Ada Lovelace", "backer": "Grace Hopper", "operator": "Alan Turing",
         "reward": "Tidewater Lamp", "funded": "Harbour Clock", "flexible": "Keel Kettle",
         "kept": "Keel Radio",
         "equity": "Tidewater Instruments", "issuer": "Tidewater Instruments Inc."}


def _founders_texts(campaign, title: str) -> None:
    """What a founder in Shenzhen writes, in Chinese (the founder's words stay untouched by
    translation, so they must not be taken for English left)."""
    campaign.title = title
    campaign.blurb = "一盏会随日出日落自动调光的台灯。"
    campaign.description_md = "我们在深圳设计并生产这盏台灯，用了两年时间打磨细节。\n\n" * 2
    campaign.risks_md = "元器件可能涨价，我们已预留预算。"
    for i, tier in enumerate(campaign.tiers):
        tier.title = f"早鸟版{i + 1}"
        tier.description = "台灯一盏，包邮。"
        tier.estimated_delivery = date(2026, 1, 1)
    for line in campaign.budget_lines:
        line.label = "模具与首批生产"


@pytest.fixture
def world(session, app, monkeypatch):
    monkeypatch.setitem(app.config, "OPERATOR_TWO_FACTOR_REQUIRED", True)
    founder = make_user(name=NAMES["founder"], verified=True)
    founder.bio, founder.location = "硬件发起人，住在深圳。", "深圳"
    backer = make_user(name=NAMES["backer"])
    operator = make_user(name=NAMES["operator"], operator=True)
    seed, _codes = with_two_factor(operator)
    reward = make_campaign(founder, status=CampaignStatus.LIVE, tiers=2)
    _founders_texts(reward, NAMES["reward"])
    funded = make_campaign(founder, status=CampaignStatus.FUNDED, days_left=-5)
    _founders_texts(funded, NAMES["funded"])
    # Flexible funding: one live, one that ended below its goal and charged all the same;
    # operators turned it off in one category (with a reason in Chinese).
    flexible = make_campaign(founder, status=CampaignStatus.LIVE, tiers=1,
                             funding_model=FundingModel.FLEXIBLE)
    _founders_texts(flexible, NAMES["flexible"])
    kept = make_campaign(founder, status=CampaignStatus.COLLECTING, days_left=-3,
                         funding_model=FundingModel.FLEXIBLE)
    _founders_texts(kept, NAMES["kept"])
    kept.pledged_at_deadline_minor, kept.backers_at_deadline = 5_000, 1
    set_flexible_funding(operator, "games", False, "游戏类项目多次延期交付。")
    equity = live_offering()
    equity.founder_id = founder.id
    equity.title, equity.blurb = NAMES["equity"], "为海洋测量仪器融资。"
    equity.description_md, equity.risks_md = "我们制造测量仪器。", "初创公司风险较高。"
    for line in equity.budget_lines:
        line.label = "模具与首批生产"
    offering_of(equity).use_of_proceeds_md = "模具和首批生产。"
    # An issuer incorporated in the EU: its key investment information sheet is a page too.
    offering_of(equity).issuer_jurisdiction = "DE"
    pledge = make_pledge(reward, backer, tier=reward.tiers[0])
    add_on = make_add_on(reward, name="备用灯罩", price_minor=800, limit=50,
                         rates={"CN": 500, "ROW": 900}, tiers=[reward.tiers[0]])
    add_on.description = "可替换的磨砂灯罩。"
    pledge.add_ons.append(PledgeAddOn(add_on=add_on, quantity=2, unit_price_minor=800,
                                      shipping_minor=0))
    pledge.payment_method_id, pledge.card_brand, pledge.card_last4 = "pm_card", "visa", "4242"
    pledge.card_exp_month, pledge.card_exp_year = 12, utcnow().year + 2
    paid = make_pledge(funded, backer, tier=funded.tiers[0], status=PledgeStatus.COLLECTED)
    flexible_pledge = make_pledge(flexible, backer, tier=flexible.tiers[0])
    # Saved cards (the account's list, the card page's choice), one waiting for 3-D Secure
    # again on the flexible pledge's card page.
    gw = gateway()
    save_card(gw, backer, "pm_card")
    save_card(gw, backer, "pm_other", "1881")
    flexible_pledge.setup_intent_id = gw.create_setup_intent(
        customer_id=backer.payment_customer_id, metadata={"pledge_id": str(flexible_pledge.id)},
        idempotency_key="zh-3ds",
        payment_method_id=save_card(gw, backer, "pm_3ds", "3155", needs_3ds=True)).id
    kept_pledge = make_pledge(kept, backer, status=PledgeStatus.COLLECTED)
    # Late pledges: the campaign charged already takes them for 30 days; one paid (counted
    # apart on its pages), the backer's own waiting for its card.
    kept.late_pledge_days = 30
    make_pledge(kept, make_user(name="王五"), status=PledgeStatus.COLLECTED,
                tier=kept.tiers[0]).late = True
    late_pledge = make_pledge(kept, backer, status=PledgeStatus.PENDING, tier=kept.tiers[0])
    late_pledge.late = True
    # Its survey (the pledge manager): an address in China and the founder's question.
    funded.tiers[0].ships, paid.destination = True, "CN"
    db.session.add(SurveyQuestion(tier_id=funded.tiers[0].id, kind=QuestionKind.SIZE,
                                  prompt="尺码？", options=["S", "M"], author_id=founder.id))
    open_survey(paid)
    question = Comment(campaign_id=reward.id, author_id=backer.id, kind="question",
                       body="什么时候发货？")
    # Two updates, each with its own page: a public one with a comment, a backers-only one.
    updates = [CampaignUpdate(campaign_id=reward.id, number=1, title="开模完成",
                              body_md="模具已经做好了。", visibility="public",
                              author_id=founder.id),
               CampaignUpdate(campaign_id=reward.id, number=2, title="给支持者的话",
                              body_md="感谢每一位支持者。", visibility="backers",
                              author_id=founder.id)]
    db.session.add_all([question, *updates])
    db.session.flush()
    db.session.add(Comment(campaign_id=reward.id, update_id=updates[0].id,
                           author_id=backer.id, body="模具看起来很棒！"))
    db.session.add_all([
        Comment(campaign_id=reward.id, author_id=founder.id, parent_id=question.id,
                body="预计明年一月。"),
        *updates,
        DeliveryReport(tier_id=funded.tiers[0].id, status=DeliveryStatus.DELAYED,
                       expected_on=date(2027, 3, 1), note="供应商延期。", author_id=founder.id),
        SpendingReport(campaign_id=funded.id, budget_line_id=funded.budget_lines[0].id,
                       amount_minor=30_000, currency=funded.currency,
                       spent_on=utcnow().date() - timedelta(days=1), note="模具",
                       author_id=founder.id)])
    # The campaign page's extras: a FAQ entry and a reward's picture.
    entry = FaqEntry(campaign_id=reward.id, question="支持香港配送吗？",
                     answer_md="支持，**运费另计**。")
    db.session.add(entry)
    reward.tiers[0].image_path = "rewards/test.png"
    session.commit()
    campaigns = [reward, funded, equity, flexible, kept]
    return {
        "people": {"founder": founder, "backer": backer, "operator": operator},
        "seed": seed,
        "ids": {"campaign_id": [c.id for c in campaigns], "slug": [c.slug for c in campaigns],
                "pledge_id": [pledge.id, paid.id, flexible_pledge.id, kept_pledge.id,
                              late_pledge.id],
                "user_id": [founder.id],
                "tier_id": [reward.tiers[0].id], "line_id": [reward.budget_lines[0].id],
                "add_on_id": [add_on.id], "update_id": [u.id for u in updates],
                "entry_id": [entry.id],
                "holding_id": [1], "category": ["technology"], "token": ["not-a-token"]},
    }


def _pages(app, ids: dict[str, list]) -> tuple[list[tuple[str, str]], list[str]]:
    """(endpoint, url) of every GET route with each combination of the test data's ids, and
    the routes that could not be walked (an argument the test data has no value for)."""
    pages, unknown = set(), []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in NOT_PAGES:
            continue
        names = sorted(rule.arguments)
        if any(name not in ids for name in names):
            unknown.append(rule.rule)
            continue
        for values in itertools.product(*(ids[name] for name in names)):
            with app.test_request_context():
                pages.add((rule.endpoint, app.url_for(rule.endpoint, **dict(zip(names, values,
                                                                                strict=True)))))
    return sorted(pages), unknown


def _sign_in(client, role: str, world) -> None:
    if role == "anonymous":
        return
    user = world["people"][role]
    response = AuthActions(client).login_as(user)
    if role == "operator":
        assert response.location == "/login/code"
        code = pyotp.TOTP(world["seed"]).now()
        assert client.post("/login/code", data={"code": code}).status_code == 302


def _read_every_page(app, client, world) -> tuple[int, dict[str, dict[str, list[str]]]]:
    """How many pages answered with HTML, and the English left on each: {template: {url:
    [runs]}}."""
    # A campaign's address (its slug) is chosen by its founder, like its title.
    allowed = (set(NAMES.values()) | {p.email for p in world["people"].values()}
               | set(world["ids"]["slug"]))
    pages, _unknown = _pages(app, world["ids"])
    found: dict[str, dict[str, list[str]]] = defaultdict(dict)
    read = 0
    rendered: list[str] = []

    def record(sender, template, context, **extra):
        rendered.append(template.name or "?")

    for _endpoint, url in pages:
        rendered.clear()
        with template_rendered.connected_to(record, app):
            response = client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        read += 1
        left = english_left(response.get_data(as_text=True), allowed)
        if left:
            found[rendered[0] if rendered else "?"][url] = left
    return read, found


def _summary(read: int, found: dict[str, dict[str, list[str]]]) -> str:
    lines = [f"{read} pages read, {sum(map(len, found.values()))} with English left:"]
    for template, urls in sorted(found.items()):
        runs = sorted({run for left in urls.values() for run in left})
        lines.append(f"{template} ({len(urls)} pages, e.g. {next(iter(urls))}): "
                     + " | ".join(runs))
    return "\n".join(lines)


def test_every_page_route_is_walked(app, world):
    pages, unknown = _pages(app, world["ids"])
    assert unknown == [] and len(pages) >= 60


@pytest.mark.parametrize("role", ROLES)
def test_every_page_reads_in_chinese(app, world, role):
    client = app.test_client()
    client.set_cookie("lang", "zh_Hans")
    _sign_in(client, role, world)
    read, found = _read_every_page(app, client, world)
    assert read >= 10, f"{role}: only {read} pages answered"
    assert not found, f"{role}: " + _summary(read, found)
