"""Add-ons through the services: the amount (reward + add-ons + shipping per destination),
the rules of which add-on goes with which reward and how many, units claimed and moved
when a pledge changes, given back whenever a pledge ends uncharged; the founder's edits."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from crowdfund.campaigns import add_ons as editing
from crowdfund.campaigns.add_on_models import AddOn
from crowdfund.campaigns.services import CampaignLocked
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.db import utcnow
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.money import Money
from crowdfund.pledges import services
from crowdfund.pledges.add_ons import AddOnSoldOut
from crowdfund.pledges.models import Pledge, PledgeAddOn, PledgeStatus
from crowdfund.settlement import recovery, refunds
from crowdfund.settlement import services as settlement
from tests.factories import back_pledge, make_add_on, make_campaign, make_tier, make_user

P = PledgeStatus


def usd(major) -> Money:
    return Money.from_decimal(str(major), "USD")


@pytest.fixture
def shop(session):
    """A live campaign: a digital reward ($25) and a shipped one ($40, $15 anywhere); a pin
    ($5, 3 units, no shipping, with any reward), a poster ($12, $2 to the US and $4
    elsewhere per unit, only with the shipped reward), a mug ($8, ships to the US only)."""
    campaign = make_campaign(make_user(name="Founder"), status=CampaignStatus.LIVE, tiers=0,
                             goal_minor=100_000)
    digital = make_tier(campaign, minimum_minor=2500)
    shipped = make_tier(campaign, minimum_minor=4000, ships=True)  # ROW $15.00
    pin = make_add_on(campaign, name="Pin", price_minor=500, limit=3)
    poster = make_add_on(campaign, name="Poster", price_minor=1200,
                         rates={"US": 200, "ROW": 400}, tiers=[shipped])
    mug = make_add_on(campaign, name="Mug", price_minor=800, rates={"US": 300})
    session.commit()
    return dict(campaign=campaign, digital=digital, shipped=shipped, pin=pin, poster=poster,
                mug=mug)


def _claimed(add_on: AddOn) -> int:
    db.session.expire_all()
    return db.session.get(AddOn, add_on.id).claimed


def _lines(pledge: Pledge) -> dict[str, tuple[int, int, int]]:
    """{name: (quantity, unit price, shipping)} as the database has them."""
    rows = db.session.execute(
        sa.select(AddOn.name, PledgeAddOn.quantity, PledgeAddOn.unit_price_minor,
                  PledgeAddOn.shipping_minor).join(AddOn)
        .where(PledgeAddOn.pledge_id == pledge.id))
    return {name: (q, price, ship) for name, q, price, ship in rows}


# --- the amount ----------------------------------------------------------------------------


def test_the_amount_is_reward_plus_add_ons_plus_shipping_to_the_destination(session, shop):
    s = shop
    pledge = services.start_pledge(make_user(), s["campaign"], s["shipped"], usd(79), "US",
                                   extras=[(s["pin"], 2), (s["poster"], 1)])
    session.commit()
    # $40 reward + 2 x $5 + 1 x $12 + shipping: reward $15, poster $2 to the US
    assert (pledge.amount_minor, pledge.shipping_minor) == (7900, 1700)
    assert pledge.add_ons_amount == usd(22) and pledge.reward_amount == usd(40)
    assert pledge.destination == "US"
    assert _lines(pledge) == {"Pin": (2, 500, 0), "Poster": (1, 1200, 200)}
    assert (_claimed(s["pin"]), _claimed(s["poster"])) == (2, 1)


def test_shipping_per_unit_follows_the_destination_and_raises_the_minimum(session, shop):
    s = shop
    with pytest.raises(DomainError, match=r"Pledge at least \$87\.00 \(\$40\.00 for the "
                       r"reward, \$24\.00 for add-ons and \$23\.00 shipping\)\.") as refused:
        services.start_pledge(make_user(), s["campaign"], s["shipped"], usd(79), "FR",
                              extras=[(s["poster"], 2)])  # 2 x $4 to France, + $15
    assert refused.value.field == "amount"
    pledge = services.start_pledge(make_user(), s["campaign"], s["shipped"], usd(90), "FR",
                                   extras=[(s["poster"], 2)])
    assert (pledge.amount_minor, pledge.shipping_minor) == (9000, 2300)
    assert pledge.reward_amount == usd(43)  # $3 given over the minimum


def test_an_add_on_that_ships_keeps_the_destination_of_a_digital_reward(session, shop):
    s = shop
    pledge = services.start_pledge(make_user(), s["campaign"], s["digital"], usd(36), "US",
                                   extras=[(s["mug"], 1)])
    assert (pledge.amount_minor, pledge.shipping_minor, pledge.destination) == (3600, 300, "US")
    with pytest.raises(DomainError, match="Choose where to ship your reward."):
        services.start_pledge(make_user(), s["campaign"], s["digital"], usd(36), None,
                              extras=[(s["mug"], 1)])
    with pytest.raises(DomainError, match="“Mug” does not ship there.") as refused:
        services.start_pledge(make_user(), s["campaign"], s["digital"], usd(36), "FR",
                              extras=[(s["mug"], 1)])
    assert refused.value.field == f"add_on_{s['mug'].id}"
    plain = services.start_pledge(make_user(), s["campaign"], s["digital"], usd(25), "US")
    assert plain.destination is None  # nothing ships


@pytest.mark.parametrize(("tier", "add_on", "quantity", "message"), [
    ("digital", "poster", 1, "“Poster” cannot be added to “Limited”."),
    (None, "pin", 1, "Add-ons come with a reward: choose one first."),
    ("digital", "pin", 100, "Choose a quantity from 0 to 99."),
    ("digital", "pin", -1, "Choose a quantity from 0 to 99."),
    ("digital", "pin", 4, "Only 3 of “Pin” are left."),
])
def test_refusals_name_the_add_on_and_write_nothing(session, shop, tier, add_on, quantity,
                                                    message):
    s = shop
    with pytest.raises(DomainError, match=message) as refused:
        services.start_pledge(make_user(), s["campaign"], s[tier] if tier else None, usd(500),
                              "US", extras=[(s[add_on], quantity)])
    assert refused.value.field == f"add_on_{s[add_on].id}"
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(Pledge)) == 0
    assert _claimed(s["pin"]) == 0


def test_an_add_on_of_another_campaign_is_refused(session, shop):
    other = make_campaign(status=CampaignStatus.LIVE, tiers=0)
    foreign = make_add_on(other)
    with pytest.raises(DomainError, match="That add-on belongs to another campaign."):
        services.start_pledge(make_user(), shop["campaign"], shop["digital"], usd(100), None,
                              extras=[(foreign, 1)])


def test_a_quantity_of_zero_is_no_add_on(session, shop):
    pledge = services.start_pledge(make_user(), shop["campaign"], shop["digital"], usd(25),
                                   None, extras=[(shop["pin"], 0)])
    assert pledge.add_ons == [] and _claimed(shop["pin"]) == 0


# --- units: claimed, moved, given back --------------------------------------------------


def test_changing_a_pledge_moves_its_add_on_units(session, shop, gw):
    s = shop
    backer = make_user()
    pledge = services.start_pledge(backer, s["campaign"], s["digital"], usd(35), None,
                                   extras=[(s["pin"], 2)])
    session.commit()
    services.change_pledge(pledge, backer, s["shipped"], usd(74), "US",
                           extras=[(s["pin"], 1), (s["poster"], 1)])
    session.commit()
    assert (_claimed(s["pin"]), _claimed(s["poster"])) == (1, 1)
    assert _lines(pledge) == {"Pin": (1, 500, 0), "Poster": (1, 1200, 200)}
    assert (pledge.amount_minor, pledge.shipping_minor) == (7400, 1700)

    services.change_pledge(pledge, backer, s["shipped"], usd(70), "US", extras=[(s["pin"], 3)])
    session.commit()
    assert (_claimed(s["pin"]), _claimed(s["poster"])) == (3, 0)
    with pytest.raises(AddOnSoldOut, match="“Pin” is sold out."):
        services.start_pledge(make_user(), s["campaign"], s["digital"], usd(30), None,
                              extras=[(s["pin"], 1)])
    session.rollback()

    services.change_pledge(pledge, backer, s["digital"], usd(25), None)
    session.commit()
    assert (_claimed(s["pin"]), _claimed(s["poster"]), _lines(pledge)) == (0, 0, {})
    assert (pledge.shipping_minor, pledge.destination) == (0, None)


def test_a_change_asking_for_more_than_is_left_changes_nothing(session, shop):
    s = shop
    first, second = make_user(), make_user()
    mine = services.start_pledge(first, s["campaign"], s["digital"], usd(30), None,
                                 extras=[(s["pin"], 1)])
    services.start_pledge(second, s["campaign"], s["digital"], usd(35), None,
                          extras=[(s["pin"], 2)])
    session.commit()
    with pytest.raises(AddOnSoldOut, match="“Pin” is sold out.") as refused:
        services.change_pledge(mine, first, s["digital"], usd(35), None, extras=[(s["pin"], 2)])
    assert refused.value.status_code == 409
    session.rollback()
    assert _claimed(s["pin"]) == 3 and _lines(mine) == {"Pin": (1, 500, 0)}
    assert db.session.get(Pledge, mine.id).amount_minor == 3000


def test_cancelling_or_replacing_a_pledge_gives_its_add_ons_back(session, shop, gw):
    s = shop
    pledge = back_pledge(s["campaign"], gw, amount="35", tier=s["digital"])
    services.change_pledge(pledge, pledge.backer, s["digital"], usd(35), None,
                           extras=[(s["pin"], 2)])
    session.commit()
    assert _claimed(s["pin"]) == 2
    services.cancel_pledge(pledge, pledge.backer)
    session.commit()
    assert _claimed(s["pin"]) == 0 and _lines(pledge) == {"Pin": (2, 500, 0)}  # history kept

    backer = make_user()
    services.start_pledge(backer, s["campaign"], s["digital"], usd(35), None,
                          extras=[(s["pin"], 2)])
    services.start_pledge(backer, s["campaign"], s["digital"], usd(30), None,
                          extras=[(s["pin"], 1)])  # the pending one replaced
    session.commit()
    assert _claimed(s["pin"]) == 1


def test_units_held_by_abandoned_attempts_come_back_for_the_next_backer(session, shop):
    s = shop
    now = utcnow()
    services.start_pledge(make_user(), s["campaign"], s["digital"], usd(40), None, now=now,
                          extras=[(s["pin"], 3)])
    session.commit()
    with pytest.raises(AddOnSoldOut, match="“Pin” is sold out."):
        services.start_pledge(make_user(), s["campaign"], s["digital"], usd(30), None,
                              now=now, extras=[(s["pin"], 1)])
    session.rollback()
    later = now + timedelta(hours=1)  # the first attempt's card never came
    late = services.start_pledge(make_user(), s["campaign"], s["digital"], usd(35), None,
                                 now=later, extras=[(s["pin"], 2)])
    session.commit()
    assert _claimed(s["pin"]) == 2 and _lines(late) == {"Pin": (2, 500, 0)}


def test_a_stopped_campaign_releases_every_add_on_unit(session, shop, gw):
    s = shop
    for quantity in (1, 2):
        pledge = services.start_pledge(make_user(), s["campaign"], s["shipped"], usd(100),
                                       "US", extras=[(s["pin"], quantity), (s["poster"], 1)])
    session.commit()
    assert (_claimed(s["pin"]), _claimed(s["poster"])) == (3, 2)
    released = services.release_open_pledges(s["campaign"], reason="Stopped")
    session.commit()
    assert released == 2 and db.session.get(Pledge, pledge.id).status is P.RELEASED
    assert (_claimed(s["pin"]), _claimed(s["poster"])) == (0, 0)


def test_a_failed_campaign_releases_its_add_on_units_at_the_deadline(session, shop, gw):
    s = shop
    pledge = back_pledge(s["campaign"], gw, amount="30", tier=s["digital"])
    services.change_pledge(pledge, pledge.backer, s["digital"], usd(35), None,
                           extras=[(s["pin"], 2)])
    s["campaign"].deadline = utcnow() - timedelta(minutes=1)
    session.commit()
    assert settlement.decide_at_deadline(s["campaign"]) is True  # below its goal: failed
    after = 0
    while (after := settlement.close_out(s["campaign"], after)) is not None:
        pass
    session.commit()
    assert db.session.get(Pledge, pledge.id).status is P.RELEASED and _claimed(s["pin"]) == 0


def test_a_dropped_pledge_gives_its_add_ons_back(session, shop, gw):
    s = shop
    pledge = back_pledge(s["campaign"], gw, amount="30", tier=s["digital"])
    services.change_pledge(pledge, pledge.backer, s["digital"], usd(35), None,
                           extras=[(s["pin"], 2)])
    pledge.status = P.ERRORED  # charged at the deadline, declined, never fixed
    session.commit()
    recovery.drop(pledge)
    session.commit()
    assert db.session.get(Pledge, pledge.id).status is P.DROPPED and _claimed(s["pin"]) == 0


def test_an_operator_cancelling_a_funded_campaign_frees_the_unpaid_pledges_add_ons(
        session, shop, gw):
    s = shop
    pledge = back_pledge(s["campaign"], gw, amount="30", tier=s["digital"])
    services.change_pledge(pledge, pledge.backer, s["digital"], usd(35), None,
                           extras=[(s["pin"], 2)])
    pledge.status = P.ERRORED
    s["campaign"].status = CampaignStatus.COLLECTING
    session.commit()
    refunds.cancel_funded(s["campaign"], make_user(operator=True), "Fraud found")
    session.commit()
    assert db.session.get(Pledge, pledge.id).status is P.DROPPED and _claimed(s["pin"]) == 0


# --- the founder's edits -------------------------------------------------------------------


def _input(**changes) -> editing.AddOnInput:
    values = dict(name="Sticker", description="", price=usd(3), quantity_limit=None,
                  ships=False, shipping=[], all_tiers=True, tier_ids=[])
    values.update(changes)
    return editing.AddOnInput(**values)


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"price": usd(0)}, "price", "The price must be more than zero."),
    ({"price": Money(300, "EUR")}, "price", "Use the campaign's currency."),
    ({"price": usd(1_000_000)}, "price", "The price can be at most"),
    ({"quantity_limit": 0}, "quantity_limit", "A limited add-on has at least 1 unit."),
    ({"all_tiers": False}, "tier_ids", "Choose at least one reward it can be added to."),
    ({"all_tiers": False, "tier_ids": [2**31 - 1]}, "tier_ids",
     "Choose among this campaign's rewards."),
    ({"ships": True}, "shipping", "Add at least one destination with its shipping fee."),
    ({"ships": True, "shipping": [("US", usd(1)), ("US", usd(2))]}, "shipping",
     "United States is listed twice."),
])
def test_a_founder_s_bad_add_on_is_refused_at_its_field(session, shop, changes, field,
                                                        message):
    campaign = shop["campaign"]
    with pytest.raises(DomainError, match=message) as refused:
        editing.add_add_on(campaign, campaign.founder, _input(**changes))
    assert refused.value.field == field


def test_a_backed_add_on_is_read_only_once_live_and_never_below_its_claims(session, shop):
    s = shop
    campaign, founder = s["campaign"], s["campaign"].founder
    services.start_pledge(make_user(), campaign, s["digital"], usd(35), None,
                          extras=[(s["pin"], 2)])
    session.commit()
    with pytest.raises(CampaignLocked, match="This add-on has backers, so it can no longer"):
        editing.update_add_on(s["pin"], founder, _input(name="Pin", price=usd(5)))
    with pytest.raises(CampaignLocked, match="so it cannot be removed"):
        editing.delete_add_on(s["pin"], founder)
    # one nobody backs changes and goes as a tier does; new ones can be added while live
    editing.update_add_on(s["mug"], founder, _input(name="Big mug", price=usd(9),
                                                    all_tiers=False,
                                                    tier_ids=[s["shipped"].id]))
    added = editing.add_add_on(campaign, founder, _input())
    session.commit()
    assert (s["mug"].name, s["mug"].tier_ids, added.position) == ("Big mug",
                                                                  [s["shipped"].id], 3)
    editing.delete_add_on(s["mug"], founder)
    session.commit()
    assert db.session.get(AddOn, s["mug"].id) is None


def test_a_limit_never_goes_below_the_units_claimed(session):
    draft = make_campaign(status=CampaignStatus.DRAFT, tiers=1)
    add_on = make_add_on(draft, limit=5)
    add_on.claimed = 4  # units held (as if pledged before it went back to draft)
    editing.update_add_on(add_on, draft.founder, _input(quantity_limit=4))
    with pytest.raises(DomainError, match="4 units are already claimed: the limit cannot be "
                       "lower.") as refused:
        editing.update_add_on(add_on, draft.founder, _input(quantity_limit=3))
    assert refused.value.field == "quantity_limit"


def test_removing_an_add_on_takes_the_lines_of_ended_pledges_with_it(session, shop):
    s = shop
    backer = make_user()
    pledge = services.start_pledge(backer, s["campaign"], s["digital"], usd(36), "US",
                                   extras=[(s["mug"], 1)])
    services.cancel_pledge(pledge, backer)
    session.commit()
    editing.delete_add_on(s["mug"], s["campaign"].founder)
    session.commit()
    assert _lines(pledge) == {} and db.session.get(Pledge, pledge.id).amount_minor == 3600


def test_equity_offerings_have_no_add_ons(session):
    from tests.factories import live_offering

    campaign = live_offering()
    with pytest.raises(DomainError, match="Only reward campaigns have add-ons."):
        editing.add_add_on(campaign, campaign.founder, _input())
