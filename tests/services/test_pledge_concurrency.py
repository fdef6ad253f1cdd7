"""200 backers race for a reward limited to 50 units: exactly 50 get one, on either database."""

import threading

import sqlalchemy as sa

from crowdfund.auth.models import User
from crowdfund.campaigns.models import Campaign, RewardTier
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.extensions import db
from crowdfund.money import Money
from crowdfund.pledges import services
from crowdfund.pledges.models import Pledge, PledgeStatus
from tests.factories import make_campaign, make_tier, make_user

THREADS = 200
UNITS = 50


def test_limited_tier_is_never_oversold(app, session):
    campaign = make_campaign(status=CampaignStatus.LIVE, tiers=0)
    tier = make_tier(campaign, minimum_minor=1000, limit=UNITS)
    backer_ids = [make_user(name=f"Racer {n}").id for n in range(THREADS)]
    session.commit()
    campaign_id, tier_id = campaign.id, tier.id
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def race(backer_id: int) -> None:
        with app.app_context():  # its own session and connection
            try:
                barrier.wait(timeout=60)
                backer = db.session.get(User, backer_id)
                camp = db.session.get(Campaign, campaign_id)
                chosen = db.session.get(RewardTier, tier_id)
                services.start_pledge(backer, camp, chosen, Money(1000, "USD"), None)
                db.session.commit()
                outcome = "pledged"
            except services.TierSoldOut:
                db.session.rollback()
                outcome = "sold out"
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                db.session.rollback()
                outcome = f"error: {exc!r}"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=race, args=(b,)) for b in backer_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    errors = [o for o in outcomes if o.startswith("error")]
    assert not errors, errors[:3]
    assert outcomes.count("pledged") == UNITS
    assert outcomes.count("sold out") == THREADS - UNITS
    with app.app_context():
        assert db.session.get(RewardTier, tier_id).claimed == UNITS
        held = db.session.scalar(sa.select(sa.func.count()).select_from(Pledge).where(
            Pledge.tier_id == tier_id, Pledge.status == PledgeStatus.PENDING))
        assert held == UNITS
