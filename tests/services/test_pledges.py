"""Pledge services with the in-process fake gateway: rules, units, totals, card setup."""

import random
from datetime import timedelta

import pytest
import sqlalchemy as sa

from crowdfund.campaigns.models import RewardTier
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.db import utcnow
from crowdfund.errors import DomainError, NotAllowed
from crowdfund.money import Money
from crowdfund.payments import gateway as current_gateway
from crowdfund.pledges import services
from crowdfund.pledges.models import Pledge, PledgeStatus, PledgeTransition
from crowdfund.pledges.totals import totals_of
from tests.factories import make_campaign, make_pledge, make_tier, make_user

P = PledgeStatus


def usd(major: str) -> Money:
    return Money.from_decimal(major, "USD")


@pytest.fixture
def live(session):
    founder = make_user(name="Founder")
    campaign = make_campaign(founder, status=CampaignStatus.LIVE, goal_minor=100_000, tiers=0)
    tier = make_tier(campaign, minimum_minor=2500, limit=3)
    shipping = make_tier(campaign, minimum_minor=4000, ships=True)  # ROW 15.00
    return campaign, tier, shipping


@pytest.fixture
def gw(app):
    return current_gateway()


def _activate(pledge, backer, gw, card="4242424242424242"):
    intent = services.ensure_setup_intent(pledge, backer, gw)
    gw.confirm_setup(intent.id, card)
    return services.confirm_card(pledge, gw, actor=backer)


def test_pledge_claims_a_unit_and_activates_after_card(session, live, gw):
    campaign, tier, _ = live
    backer = make_user()
    pledge = services.start_pledge(backer, campaign, tier, usd("30"), None)
    session.flush()
    assert pledge.status is P.PENDING and pledge.pending_expires_at is not None
    assert session.get(RewardTier, tier.id).claimed == 1
    assert totals_of(campaign).pledged == usd("0")  # pending pledges do not count
    assert _activate(pledge, backer, gw) is True
    assert pledge.status is P.ACTIVE and pledge.card_last4 == "4242"
    assert pledge.pending_expires_at is None
    assert backer.payment_customer_id in gw.customers
    assert gw.cards[pledge.payment_method_id]["customer"] == backer.payment_customer_id
    assert totals_of(campaign).pledged == usd("30") and totals_of(campaign).backers == 1
    transitions = session.scalars(sa.select(PledgeTransition)).all()
    assert [(t.from_status, t.to_status) for t in transitions] == [(P.PENDING, P.ACTIVE)]


def test_declined_card_leaves_the_pledge_pending(session, live, gw):
    campaign, tier, _ = live
    backer = make_user()
    pledge = services.start_pledge(backer, campaign, tier, usd("25"), None)
    intent = services.ensure_setup_intent(pledge, backer, gw)
    gw.confirm_setup(intent.id, "4000000000000002")
    with pytest.raises(services.CardSetupFailed, match="declined"):
        services.confirm_card(pledge, gw)
    assert pledge.status is P.PENDING and pledge.payment_method_id is None


def test_unauthenticated_3ds_card_is_not_accepted(session, live, gw):
    campaign, tier, _ = live
    backer = make_user()
    pledge = services.start_pledge(backer, campaign, None, usd("10"), None)
    intent = services.ensure_setup_intent(pledge, backer, gw)
    gw.confirm_setup(intent.id, "4000002500003155", authenticate=False)
    with pytest.raises(services.CardSetupFailed, match="Your card has not been confirmed yet"):
        services.confirm_card(pledge, gw)
    assert services.ensure_setup_intent(pledge, backer, gw).id == intent.id  # still usable
    gw.confirm_setup(intent.id, "4000002500003155", authenticate=True)
    assert services.confirm_card(pledge, gw) and pledge.status is P.ACTIVE


def test_setup_intent_of_another_pledge_is_refused(session, live, gw):
    campaign, tier, _ = live
    alice, bob = make_user(), make_user()
    a = services.start_pledge(alice, campaign, None, usd("10"), None)
    b = services.start_pledge(bob, campaign, None, usd("10"), None)
    intent = services.ensure_setup_intent(a, alice, gw)
    gw.confirm_setup(intent.id)
    services.ensure_setup_intent(b, bob, gw)
    b.setup_intent_id = intent.id  # as if bob posted alice's setup intent id
    with pytest.raises(services.CardSetupFailed, match="does not belong"):
        services.confirm_card(b, gw)
    assert b.status is P.PENDING


def test_customer_and_setup_intent_are_idempotent(session, live, gw):
    campaign, _, _ = live
    backer = make_user()
    pledge = services.start_pledge(backer, campaign, None, usd("10"), None)
    first = services.ensure_setup_intent(pledge, backer, gw)
    again = services.ensure_setup_intent(pledge, backer, gw)
    assert first.id == again.id and gw.calls.count("create_customer") == 1
    gw.confirm_setup(first.id)
    services.confirm_card(pledge, gw)
    replacement = services.ensure_setup_intent(pledge, backer, gw)  # to replace the card
    assert replacement.id != first.id and pledge.setup_attempts == 2


@pytest.mark.parametrize(
    ("tier_key", "amount", "destination", "message"),
    [("tier", "24.99", None, "Pledge at least $25.00 for this reward."),
     ("none", "0.50", None, "Pledge at least $1.00."),
     ("shipping", "50", None, "Choose where to ship"),
     ("shipping", "50", "FR", "Pledge at least $55.00 ($40.00 for the reward plus $15.00"),
     ("none", "100001", None, "A pledge can be at most $100,000.00.")],
)
def test_amount_rules(session, live, tier_key, amount, destination, message):
    campaign, tier, shipping = live
    chosen = {"tier": tier, "shipping": shipping, "none": None}[tier_key]
    with pytest.raises(DomainError, match=message.replace("$", r"\$").replace("(", r"\(")):
        services.start_pledge(make_user(), campaign, chosen, usd(amount), destination)
    assert session.scalar(sa.select(sa.func.count()).select_from(Pledge)) == 0
    assert session.get(RewardTier, tier.id).claimed == 0


def test_shipping_is_part_of_the_amount(session, live):
    campaign, _, shipping = live
    pledge = services.start_pledge(make_user(), campaign, shipping, usd("60"), "FR")
    assert pledge.amount == usd("60") and pledge.shipping == usd("15")
    assert pledge.reward_amount == usd("45") and pledge.destination == "FR"


def test_tier_of_another_campaign_is_refused(session, live):
    campaign, _, _ = live
    other = make_campaign(status=CampaignStatus.LIVE, tiers=0)
    foreign = make_tier(other)
    with pytest.raises(DomainError, match="another campaign"):
        services.start_pledge(make_user(), campaign, foreign, usd("50"), None)


@pytest.mark.parametrize("status", [CampaignStatus.DRAFT, CampaignStatus.SUBMITTED,
                                    CampaignStatus.FUNDED, CampaignStatus.CANCELLED])
def test_only_live_campaigns_take_pledges(session, status):
    campaign = make_campaign(status=status)
    with pytest.raises(services.CampaignClosed, match="This campaign is not taking pledges"):
        services.start_pledge(make_user(), campaign, None, usd("10"), None)


def test_ended_campaign_takes_no_pledges(session, live):
    campaign, _, _ = live
    with pytest.raises(services.CampaignClosed, match="ended"):
        services.start_pledge(make_user(), campaign, None, usd("10"), None,
                              now=campaign.deadline + timedelta(seconds=1))


def test_founder_cannot_back_own_campaign(session, live):
    campaign, _, _ = live
    with pytest.raises(NotAllowed, match="You cannot back your own campaign"):
        services.start_pledge(campaign.founder, campaign, None, usd("10"), None)


def test_one_open_pledge_per_backer(session, live, gw):
    campaign, tier, _ = live
    backer = make_user()
    first = services.start_pledge(backer, campaign, tier, usd("25"), None)
    second = services.start_pledge(backer, campaign, tier, usd("30"), None)  # retry: replaces
    session.flush()
    assert first.status is P.CANCELLED and second.status is P.PENDING
    assert session.get(RewardTier, tier.id).claimed == 1
    _activate(second, backer, gw)
    with pytest.raises(services.AlreadyBacking, match="You already back this campaign") as info:
        services.start_pledge(backer, campaign, None, usd("5"), None)
    assert info.value.pledge_id == second.id


def test_database_refuses_two_open_pledges(session, live):
    campaign, _, _ = live
    backer = make_user()
    make_pledge(campaign, backer)
    with pytest.raises(sa.exc.IntegrityError, match=r"uq_pledges_one_open_per_backer|UNIQUE "
                       r"constraint failed: pledges\.campaign_id, pledges\.backer_id"):
        make_pledge(campaign, backer, status=P.PENDING)


def test_sold_out_and_abandoned_units_come_back(session, live):
    campaign, tier, _ = live
    now = utcnow()
    pledges = [services.start_pledge(make_user(), campaign, tier, usd("25"), None, now=now)
               for _ in range(3)]
    with pytest.raises(services.TierSoldOut, match="sold out"):
        services.start_pledge(make_user(), campaign, tier, usd("25"), None, now=now)
    later = now + timedelta(minutes=31)
    late = services.start_pledge(make_user(), campaign, tier, usd("25"), None, now=later)
    session.flush()
    assert {p.status for p in pledges} == {P.CANCELLED}
    assert late.status is P.PENDING and session.get(RewardTier, tier.id).claimed == 1


def test_change_switches_units_and_amount(session, live, gw):
    campaign, tier, shipping = live
    backer = make_user()
    pledge = services.start_pledge(backer, campaign, tier, usd("25"), None)
    _activate(pledge, backer, gw)
    services.change_pledge(pledge, backer, shipping, usd("70"), "US")
    session.flush()
    assert session.get(RewardTier, tier.id).claimed == 0
    assert session.get(RewardTier, shipping.id).claimed == 1
    assert pledge.amount == usd("70") and pledge.shipping == usd("15") and pledge.status is P.ACTIVE
    services.change_pledge(pledge, backer, None, usd("5"), None)
    assert pledge.tier_id is None and pledge.destination is None


def test_change_to_a_sold_out_tier_keeps_the_old_one(session, live, gw):
    campaign, tier, shipping = live
    for _ in range(3):
        services.start_pledge(make_user(), campaign, tier, usd("25"), None)
    backer = make_user()
    pledge = services.start_pledge(backer, campaign, None, usd("25"), None)
    _activate(pledge, backer, gw)
    with pytest.raises(services.TierSoldOut, match="“Limited” is sold out"):
        services.change_pledge(pledge, backer, tier, usd("25"), None)
    assert pledge.tier_id is None and session.get(RewardTier, tier.id).claimed == 3


def test_only_the_backer_changes_or_cancels(session, live, gw):
    campaign, tier, _ = live
    backer = make_user()
    pledge = services.start_pledge(backer, campaign, tier, usd("25"), None)
    intruder = make_user()
    with pytest.raises(NotAllowed, match="This is not your pledge"):
        services.change_pledge(pledge, intruder, None, usd("500"), None)
    with pytest.raises(NotAllowed, match="This is not your pledge"):
        services.cancel_pledge(pledge, intruder)
    with pytest.raises(NotAllowed, match="This is not your pledge"):
        services.ensure_setup_intent(pledge, intruder, gw)


def test_cancel_releases_the_unit(session, live, gw):
    campaign, tier, _ = live
    backer = make_user()
    pledge = services.start_pledge(backer, campaign, tier, usd("25"), None)
    _activate(pledge, backer, gw)
    services.cancel_pledge(pledge, backer)
    session.flush()
    assert pledge.status is P.CANCELLED and session.get(RewardTier, tier.id).claimed == 0
    with pytest.raises(DomainError, match="This pledge is already closed"):
        services.cancel_pledge(pledge, backer)


class TestLastDay:
    """In the last 24 hours, no cancel or reduction that takes the campaign below its goal."""

    @pytest.fixture
    def funded_ish(self, session, live, gw):
        campaign, _, _ = live  # goal $1,000
        backer, other = make_user(), make_user()
        mine = services.start_pledge(backer, campaign, None, usd("300"), None)
        _activate(mine, backer, gw)
        theirs = services.start_pledge(other, campaign, None, usd("750"), None)
        _activate(theirs, other, gw)
        return campaign, backer, mine

    def test_before_the_last_day_anything_goes(self, funded_ish):
        campaign, backer, mine = funded_ish
        services.change_pledge(mine, backer, None, usd("10"), None,
                               now=campaign.deadline - timedelta(hours=24, seconds=1))
        assert mine.amount == usd("10")

    def test_reduction_that_stays_above_goal_is_fine(self, funded_ish):
        campaign, backer, mine = funded_ish
        services.change_pledge(mine, backer, None, usd("250"), None,
                               now=campaign.deadline - timedelta(hours=1))
        assert mine.amount == usd("250")  # 1,000 left: exactly the goal

    def test_reduction_below_goal_is_refused(self, funded_ish):
        campaign, backer, mine = funded_ish
        with pytest.raises(services.LastDayRule, match="below its goal"):
            services.change_pledge(mine, backer, None, usd("249.99"), None,
                                   now=campaign.deadline - timedelta(hours=24))
        assert mine.amount == usd("300")

    def test_cancel_below_goal_is_refused_but_increase_is_fine(self, funded_ish):
        campaign, backer, mine = funded_ish
        last_hour = campaign.deadline - timedelta(hours=1)
        with pytest.raises(services.LastDayRule, match=r"below its goal \(\$1,000\.00\)\. "
                                                       r"It would drop to \$750\.00"):
            services.cancel_pledge(mine, backer, now=last_hour)
        services.change_pledge(mine, backer, None, usd("400"), None, now=last_hour)
        assert mine.status is P.ACTIVE and mine.amount == usd("400")

    def test_below_goal_anyway_means_no_lock(self, session, live, gw):
        campaign, _, _ = live
        backer = make_user()
        mine = services.start_pledge(backer, campaign, None, usd("300"), None)
        _activate(mine, backer, gw)
        services.cancel_pledge(mine, backer, now=campaign.deadline - timedelta(hours=1))
        assert mine.status is P.CANCELLED


def test_totals_invariant_over_random_operations(session, live, gw):
    """Pledged total and backers always equal the sum over active pledges."""
    campaign, tier, shipping = live
    rng = random.Random(20261122)
    backers = [make_user() for _ in range(8)]
    model: dict[int, int] = {}  # backer id -> active amount (minor units)
    for _ in range(120):
        backer = rng.choice(backers)
        pledge = services.open_pledge_of(backer, campaign)
        op = rng.choice(["pledge", "change", "cancel"])
        amount = usd(str(rng.randint(25, 200)))
        chosen = rng.choice([None, tier, shipping])
        destination = "US" if chosen is shipping else None
        try:
            with session.begin_nested():
                if op == "pledge" and (pledge is None or pledge.status is P.PENDING):
                    new = services.start_pledge(backer, campaign, chosen, amount, destination)
                    _activate(new, backer, gw)
                    model[backer.id] = new.amount_minor
                elif op == "change" and pledge is not None and pledge.status is P.ACTIVE:
                    services.change_pledge(pledge, backer, chosen, amount, destination)
                    model[backer.id] = pledge.amount_minor
                elif op == "cancel" and pledge is not None and pledge.status is P.ACTIVE:
                    services.cancel_pledge(pledge, backer)
                    del model[backer.id]
        except DomainError:  # sold out, or an amount under the reward's minimum: refused
            pass
        totals = totals_of(campaign)
        assert totals.pledged.amount == sum(model.values())
        assert totals.backers == len(model)
        active_on_tier = session.scalar(sa.select(sa.func.count()).select_from(Pledge).where(
            Pledge.tier_id == tier.id, Pledge.status.in_([P.ACTIVE, P.PENDING])))
        assert session.get(RewardTier, tier.id).claimed == active_on_tier <= 3


def test_card_confirmed_after_the_pledge_expired_is_refused(session, live, gw):
    campaign, tier, _ = live
    backer = make_user()
    now = utcnow()
    pledge = services.start_pledge(backer, campaign, tier, usd("25"), None, now=now)
    intent = services.ensure_setup_intent(pledge, backer, gw)
    assert services.release_abandoned(now + timedelta(minutes=31)) == 1
    gw.confirm_setup(intent.id)
    with pytest.raises(services.CardSetupFailed, match="no longer open"):
        services.confirm_card(pledge, gw)
    assert pledge.status is P.CANCELLED and pledge.payment_method_id is None
    assert session.get(RewardTier, tier.id).claimed == 0


def test_a_pledge_for_a_sold_out_reward_is_refused_before_any_write(app, session, live):
    from tests.factories import count_queries

    campaign, tier, _ = live
    for _ in range(3):
        services.start_pledge(make_user(), campaign, tier, usd("25"), None)
    late = make_user()
    session.flush()
    with count_queries(app) as statements, pytest.raises(services.TierSoldOut,
                                                         match="“Limited” is sold out"):
        services.start_pledge(late, campaign, tier, usd("25"), None)
    writes = [s for s in statements if s.lstrip().upper().startswith(
        ("INSERT", "UPDATE", "DELETE", "SAVEPOINT"))]
    assert writes == []  # the 500-way race: losers cost a couple of reads


@pytest.mark.parametrize("destination", ["ROW", "XX", "us", "United States", "U"])
def test_a_reward_ships_only_to_a_country(session, destination):
    """"Rest of world" is a rate, not a place: a pledge names a country (a code no form
    sends would otherwise reach the database, where PostgreSQL refuses it with a 500)."""
    campaign = make_campaign(status=CampaignStatus.LIVE, tiers=0)
    tier = make_tier(campaign, ships=True)  # rest of world: $15.00
    backer = make_user()
    with pytest.raises(DomainError, match="does not ship there"):
        services.start_pledge(backer, campaign, tier, usd("60"), destination)
    assert services.start_pledge(backer, campaign, tier, usd("60"), "PT").destination == "PT"
