"""Backing and settling against the local Stripe sandbox over HTTP, the way the browser
and the settle job do (payments and browser tests share these)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.money import Money
from crowdfund.payments import gateway as current_gateway
from crowdfund.payments.sandbox_client import confirm_setup_as_browser
from crowdfund.pledges import services as pledges
from crowdfund.pledges.models import Pledge
from crowdfund.settlement.runner import Settler
from tests.factories import make_campaign, make_user

ROOT = Path(__file__).resolve().parents[1]
OK, DECLINES_AT_CHARGE, THREE_DS = "4242424242424242", "4000000000000341", "4000002500003155"


def new_campaign(app, goal_minor: int, currency: str = "USD") -> int:
    with app.app_context():
        campaign = make_campaign(status=CampaignStatus.LIVE, tiers=0, goal_minor=goal_minor,
                                 currency=currency)
        db.session.commit()
        return campaign.id


def back(app, sandbox, campaign_id: int, card: str, amount: str) -> int:
    """A backer pledges ``amount`` (in the campaign's currency) and saves ``card`` the way
    the browser does."""
    with app.app_context():
        gw = current_gateway()
        backer = make_user()
        campaign = db.session.get(Campaign, campaign_id)
        pledge = pledges.start_pledge(backer, campaign, None,
                                      Money.from_decimal(amount, campaign.currency), None)
        db.session.flush()
        intent = pledges.ensure_setup_intent(pledge, backer, gw)
        db.session.commit()
        answer = confirm_setup_as_browser(sandbox.base, intent.client_secret, card,
                                          publishable_key="pk_test_suite")
        if answer.get("status") == "requires_action":
            confirm_setup_as_browser(sandbox.base, intent.client_secret,
                                     publishable_key="pk_test_suite")
        pledges.confirm_card(pledge, gw)
        db.session.commit()
        return pledge.id


def end(app, campaign_id: int) -> None:
    with app.app_context():
        db.session.get(Campaign, campaign_id).deadline = utcnow() - timedelta(minutes=1)
        db.session.commit()


def sandbox_charges(sandbox, campaign_id: int) -> list[dict]:
    """Every PaymentIntent the sandbox holds for the campaign."""
    found = sandbox.get("/v1/payment_intents?limit=100")
    assert not found["has_more"]
    return [pi for pi in found["data"] if pi["metadata"].get("campaign_id") == str(campaign_id)]


def pledge_rows(app, campaign_id: int) -> dict[int, Pledge]:
    with app.app_context():
        rows = db.session.scalars(sa.select(Pledge).where(Pledge.campaign_id == campaign_id))
        return {p.id: p for p in rows}


def settle_process(app, sandbox, **extra_env) -> subprocess.Popen:
    """``flask settle`` (one whole pass) as a process of its own, on the test's database
    and the sandbox; ``extra_env``: more settings (``SETTLE_REQUESTS_PER_SECOND``...)."""
    env = {**os.environ, "CROWDFUND_ENV": "testing", "FLASK_APP": "wsgi",
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "UPLOAD_FOLDER": app.config["UPLOAD_FOLDER"], "PAYMENT_GATEWAY": "stripe",
           "STRIPE_SECRET_KEY": "sk_test_suite", "STRIPE_PUBLISHABLE_KEY": "pk_test_suite",
           "STRIPE_API_BASE": sandbox.base, **extra_env}
    return subprocess.Popen(  # noqa: S603 - our own command
        [sys.executable, "-m", "flask", "settle"], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def settler(app) -> Settler:
    with app.app_context():
        return Settler(app, current_gateway(), worker="test", sleep=lambda s: None)
