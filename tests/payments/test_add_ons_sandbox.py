"""A pledge with add-ons against the local Stripe sandbox over HTTP, through the real
adapter: charged at the deadline the whole amount (reward, add-ons and shipping) in one
PaymentIntent, refunded in full, and the ledger balanced after each step."""

from __future__ import annotations

import sqlalchemy as sa

from crowdfund.campaigns.add_on_models import AddOn
from crowdfund.campaigns.models import Campaign, RewardTier
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.extensions import db
from crowdfund.ledger import services as ledger
from crowdfund.ledger.models import Account
from crowdfund.money import Money
from crowdfund.payments import gateway as current_gateway
from crowdfund.payments.sandbox_client import confirm_setup_as_browser
from crowdfund.pledges import services as pledges
from crowdfund.pledges.models import Pledge, PledgeStatus
from crowdfund.settlement import refunds
from tests.factories import make_add_on, make_campaign, make_tier, make_user
from tests.sandbox import OK, end, sandbox_charges, settler


def _campaign(app) -> tuple[int, int, int, int]:
    """A live campaign ($100 goal) with a shipped reward ($40, $15 anywhere), a pin ($5,
    limited to 10) and a poster ($12, $4 a unit anywhere): (campaign, reward, pin, poster)."""
    with app.app_context():
        campaign = make_campaign(make_user(verified=True), status=CampaignStatus.LIVE, tiers=0,
                                 goal_minor=10_000)
        tier = make_tier(campaign, minimum_minor=4000, ships=True)
        pin = make_add_on(campaign, name="Pin", price_minor=500, limit=10)
        poster = make_add_on(campaign, name="Poster", price_minor=1200, rates={"ROW": 400})
        db.session.commit()
        return campaign.id, tier.id, pin.id, poster.id


def _back_with_add_ons(app, sandbox, campaign_id: int, tier_id: int,
                       add_ons: dict[int, int], amount: str) -> int:
    """A backer pledges ``amount`` for the reward and ``add_ons`` ({id: quantity}) shipped
    to France, and saves a card the way the browser does."""
    with app.app_context():
        gw = current_gateway()
        backer = make_user()
        campaign = db.session.get(Campaign, campaign_id)
        pledge = pledges.start_pledge(
            backer, campaign, db.session.get(RewardTier, tier_id), Money.from_decimal(amount,
                                                                                   "USD"),
            "FR", extras=[(db.session.get(AddOn, i), q) for i, q in add_ons.items()])
        db.session.flush()
        intent = pledges.ensure_setup_intent(pledge, backer, gw)
        db.session.commit()
        confirm_setup_as_browser(sandbox.base, intent.client_secret, OK,
                                 publishable_key="pk_test_suite")
        pledges.confirm_card(pledge, gw)
        db.session.commit()
        return pledge.id


def test_a_pledge_with_add_ons_is_charged_its_whole_amount_and_refunded(app, stripe_sandbox):
    campaign_id, tier_id, pin_id, poster_id = _campaign(app)
    # $40 reward + 3 x $5 pins + 2 x $12 posters + shipping $15 + 2 x $4 = $102
    pledge_id = _back_with_add_ons(app, stripe_sandbox, campaign_id, tier_id,
                                   {pin_id: 3, poster_id: 2}, "102")
    end(app, campaign_id)
    report = settler(app).settle(campaign_id)
    assert report.counts == {"succeeded": 1}, report

    (charge,) = sandbox_charges(stripe_sandbox, campaign_id)
    assert (charge["amount"], charge["status"]) == (10_200, "succeeded")
    assert charge["metadata"]["pledge_id"] == str(pledge_id)
    with app.app_context():
        pledge = db.session.get(Pledge, pledge_id)
        assert pledge.status is PledgeStatus.COLLECTED
        assert (pledge.amount_minor, pledge.shipping_minor, pledge.add_ons_amount.amount) == (
            10_200, 2_300, 3_900)
        assert ledger.check() == []
        assert ledger.balance(Account.PROCESSOR_BALANCE, "USD", campaign_id).amount == 10_200

        refund = refunds.request_refund(pledge, pledge.amount, make_user(operator=True),
                                        "The posters never came back from the printer")
        db.session.commit()
        refund_id = refund.id
    assert settler(app).refund(refund_id) == "succeeded"

    refunded = stripe_sandbox.get(
        f"/v1/refunds?payment_intent={charge['id']}&limit=10")["data"]
    assert [r["amount"] for r in refunded] == [10_200]
    with app.app_context():
        pledge = db.session.get(Pledge, pledge_id)
        assert (pledge.status, pledge.refunded_minor) == (PledgeStatus.REFUNDED, 10_200)
        assert ledger.check() == []
        assert ledger.founder_owed(campaign_id, "USD").amount <= 0  # nothing left to pay out
        # A refund gives money back, not units: the pin stays claimed as a tier's unit does.
        assert db.session.get(AddOn, pin_id).claimed == 3
        assert db.session.scalar(sa.select(AddOn.claimed).where(AddOn.id == poster_id)) == 2
        db.session.remove()
