"""Saved cards on the fake gateway: reused for another pledge (3-D Secure asked again where
the card needs it), offered only while they will work, removed only when nothing uses
them, and only ever the backer's own."""

import pytest

from crowdfund.campaigns.states import CampaignStatus
from crowdfund.money import Money
from crowdfund.pledges import saved_cards
from crowdfund.pledges import services as pledges
from crowdfund.pledges.models import PledgeStatus
from crowdfund.pledges.services import CardSetupFailed
from tests.factories import back_pledge, make_campaign, make_user

P = PledgeStatus


def _campaign(title="Second thing"):
    return make_campaign(status=CampaignStatus.LIVE, tiers=0, goal_minor=10_000, title=title)


def _second_pledge(first, title="Second thing"):
    """The first pledge's backer starts a pledge on another campaign."""
    return pledges.start_pledge(first.backer, _campaign(title), None,
                                Money.from_decimal("25", "USD"), None)


def test_a_second_pledge_reuses_the_first_pledges_card(session, gw):
    first = back_pledge(_campaign("First thing"), gw)
    second = _second_pledge(first)
    offered = saved_cards.offered_for(second, first.backer, gw)
    assert [c.card.payment_method_id for c in offered] == [first.payment_method_id]
    assert offered[0].brand_name == "Visa" and offered[0].expiry == "12/2034"
    attempt = saved_cards.begin_reuse(second, first.backer, first.payment_method_id, gw)
    intent = saved_cards.reuse(second, first.backer, first.payment_method_id, attempt, gw)
    assert intent.status == "succeeded" and second.status is P.PENDING  # read back first
    assert pledges.confirm_card(second, gw)
    assert second.status is P.ACTIVE and second.payment_method_id == first.payment_method_id
    assert second.card_last4 == "4242"
    # The key came from the pledge's own count of SetupIntents.
    assert f"pledge-{second.id}-setup-{attempt}" in gw.idempotent


def test_a_3ds_card_reused_asks_again_and_activates_only_after_it(session, gw):
    first = back_pledge(_campaign("First thing"), gw, "3ds")
    second = _second_pledge(first)
    attempt = saved_cards.begin_reuse(second, first.backer, first.payment_method_id, gw)
    intent = saved_cards.reuse(second, first.backer, first.payment_method_id, attempt, gw)
    assert intent.status == "requires_action"
    with pytest.raises(CardSetupFailed, match="not been confirmed yet"):
        pledges.confirm_card(second, gw)
    assert second.status is P.PENDING
    assert gw.authenticate_setup(intent.id) == "succeeded"  # the bank's challenge, passed
    assert pledges.confirm_card(second, gw) and second.status is P.ACTIVE


def test_another_backers_card_is_not_theirs(session, gw):
    first = back_pledge(_campaign("First thing"), gw)
    other = back_pledge(_campaign("Other thing"), gw)
    second = _second_pledge(first)
    with pytest.raises(saved_cards.CardNotSaved, match="not one of your saved cards"):
        saved_cards.begin_reuse(second, first.backer, other.payment_method_id, gw)
    with pytest.raises(saved_cards.CardNotSaved, match="not one of your saved cards"):
        saved_cards.remove(first.backer, other.payment_method_id, gw)
    assert second.setup_attempts == 0
    assert gw.cards[other.payment_method_id]["customer"] == other.backer.payment_customer_id


def test_a_card_expiring_before_the_deadline_is_neither_offered_nor_taken(session, gw):
    first = back_pledge(_campaign("First thing"), gw)
    gw.cards[first.payment_method_id].update(exp_month=1, exp_year=2020)
    second = _second_pledge(first)
    assert saved_cards.offered_for(second, first.backer, gw) == []
    with pytest.raises(CardSetupFailed, match="expires 01/2020"):
        saved_cards.begin_reuse(second, first.backer, first.payment_method_id, gw)
    assert [c.expired for c in saved_cards.account_cards(first.backer, gw)] == [True]


def test_a_backer_without_a_customer_has_no_saved_cards(session, gw):
    backer = make_user()
    assert saved_cards.cards_of(backer, gw) == [] and "list_cards" not in gw.calls


def test_a_card_in_use_is_not_removed_and_says_where(session, gw):
    first = back_pledge(_campaign("Lantern kit"), gw)
    with pytest.raises(saved_cards.CardInUse, match="“Lantern kit”. Replace the card there"):
        saved_cards.remove(first.backer, first.payment_method_id, gw)
    assert gw.cards[first.payment_method_id]["customer"] is not None
    [listed] = saved_cards.account_cards(first.backer, gw)
    assert [p.id for p in listed.used_by] == [first.id]


def test_removing_a_card_nothing_uses_detaches_it(session, gw):
    first = back_pledge(_campaign("First thing"), gw)
    pledges.cancel_pledge(first, first.backer)
    card = saved_cards.remove(first.backer, first.payment_method_id, gw)
    assert card.last4 == "4242"
    assert gw.cards[first.payment_method_id]["customer"] is None
    assert saved_cards.cards_of(first.backer, gw) == []
