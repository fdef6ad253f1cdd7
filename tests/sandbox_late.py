"""Late pledges against the local Stripe sandbox over HTTP, the way the late pledge pages
and the browser do (payments, services and web tests share these)."""

from __future__ import annotations

import signal
import time
from datetime import timedelta

import sqlalchemy as sa

from bench.common import pledges_with_cards
from crowdfund.auth.models import User
from crowdfund.campaigns.add_on_models import AddOn
from crowdfund.campaigns.models import Campaign, RewardTier
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.extensions import db
from crowdfund.money import Money
from crowdfund.payments import gateway as current_gateway
from crowdfund.payments.sandbox_client import confirm_payment_as_browser, confirm_setup_as_browser
from crowdfund.pledges import services as pledges
from crowdfund.pledges.late import start_late_pledge
from crowdfund.pledges.models import Pledge, PledgeStatus
from crowdfund.settlement.services import begin_attempt
from tests.factories import make_campaign, make_tier, make_user
from tests.sandbox import back, end, settler

OK = "4242424242424242"


def funded_with_late_window(app, sandbox, *, days: int = 10, late_price_minor: int = 6000,
                            limit: int | None = None) -> tuple[int, int]:
    """A reward campaign ($50 goal) backed by one $60 pledge on time, past its deadline and
    charged (collecting), taking late pledges for ``days`` days: its tier ($50, late
    ``late_price_minor``, ``limit`` units). Returns (campaign id, tier id)."""
    with app.app_context():
        campaign = make_campaign(make_user(verified=True), status=CampaignStatus.LIVE,
                                 tiers=0, goal_minor=5000)
        tier = make_tier(campaign, minimum_minor=5000, limit=limit)
        tier.late_price_minor = late_price_minor
        campaign.late_pledge_days = days
        db.session.commit()
        campaign_id, tier_id = campaign.id, tier.id
    back(app, sandbox, campaign_id, OK, "60")
    end(app, campaign_id)
    report = settler(app).settle(campaign_id)
    assert report.counts == {"succeeded": 1}, report
    return campaign_id, tier_id


def start_late(app, campaign_id: int, tier_id: int, amount: str, *,
               add_ons: dict[int, int] | None = None, backer_id: int | None = None) -> int:
    """A backer starts a late pledge (the form): pending, its units claimed."""
    with app.app_context():
        backer = db.session.get(User, backer_id) if backer_id else make_user()
        campaign = db.session.get(Campaign, campaign_id)
        pledge = start_late_pledge(
            backer, campaign, db.session.get(RewardTier, tier_id),
            Money.from_decimal(amount, campaign.currency), None,
            extras=[(db.session.get(AddOn, i), q) for i, q in (add_ons or {}).items()])
        db.session.commit()
        return pledge.id


def save_late_card(app, sandbox, pledge_id: int, card: str = OK) -> None:
    """The card page's first half: the SetupIntent confirmed as Stripe.js does, the card
    read back and saved on the late pledge."""
    with app.app_context():
        gw = current_gateway()
        pledge = db.session.get(Pledge, pledge_id)
        intent = pledges.ensure_setup_intent(pledge, pledge.backer, gw)
        db.session.commit()
        answer = confirm_setup_as_browser(sandbox.base, intent.client_secret, card,
                                          publishable_key="pk_test_suite")
        if answer.get("status") == "requires_action":
            confirm_setup_as_browser(sandbox.base, intent.client_secret,
                                     publishable_key="pk_test_suite")
        pledges.save_card(pledge, gw)
        db.session.commit()


def authenticate_as_browser(sandbox, payment_intent_id: str, *, success: bool = True) -> None:
    """Stripe.js's ``confirmCardPayment`` on the late pledge's PaymentIntent (3-D Secure)."""
    intent = sandbox.get(f"/v1/payment_intents/{payment_intent_id}")
    confirm_payment_as_browser(sandbox.base, intent["client_secret"], success=success,
                               publishable_key="pk_test_suite")


def pay_late(app, sandbox, campaign_id: int, tier_id: int, amount: str,
             card: str = OK) -> tuple[int, str]:
    """The whole late pledge: the form, the card saved, charged at once (3-D Secure
    completed in the browser when asked). Returns (pledge id, outcome)."""
    pledge_id = start_late(app, campaign_id, tier_id, amount)
    save_late_card(app, sandbox, pledge_id, card)
    outcome = settler(app).charge_late(pledge_id)
    return pledge_id, outcome


def late_pledges_left_unanswered(app, cards: list[tuple[str, str]], campaign_id: int, *,
                                 first: int) -> list[int]:
    """Late pledges of a funded campaign, one per saved card (``bench.cluster.saved_cards``),
    whose card page was killed right after it committed the charge attempt (attempt
    ``started``, never sent), older than LATE_PLEDGE_READ_BACK_AFTER: what the read-back
    job resumes. Seeded in bulk (``bench.common``); ``first`` numbers their backers."""
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        before = set(db.session.scalars(sa.select(Pledge.id).where(
            Pledge.campaign_id == campaign_id)))
        pledges_with_cards(campaign, cards, first=first)
        made = db.session.scalars(sa.select(Pledge).where(
            Pledge.campaign_id == campaign_id, Pledge.id.not_in(before))).all()
        long_ago = app.config["LATE_PLEDGE_READ_BACK_AFTER"] + timedelta(seconds=1)
        for pledge in made:
            pledge.late, pledge.status = True, PledgeStatus.PENDING
            begin_attempt(pledge).created_at -= long_ago
        db.session.commit()
        return [p.id for p in made]


def run_killed(process, sandbox, *, seconds: float) -> bool:
    """Let ``process`` run ``seconds`` from its first PaymentIntent request (or until it
    ends), then SIGKILL it if it still runs. Returns whether it was killed."""
    def requests() -> int:
        return sandbox.get("/_config/faults/seen").get("POST /v1/payment_intents", 0)

    before, deadline = requests(), time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline and requests() == before:
        time.sleep(0.02)
    deadline = time.monotonic() + seconds
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    killed = process.poll() is None
    if killed:
        process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    return killed
