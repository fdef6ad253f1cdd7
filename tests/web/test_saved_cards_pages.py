"""The saved cards' pages on the fake gateway: the account's "Saved cards" (listed from the
gateway, with what each pays for; Remove asks first, refuses a card in use and anybody
else's card), and the card page offering them (expired ones not offered, 3-D Secure run
again when the bank asks)."""

import pytest

from crowdfund.campaigns.states import CampaignStatus
from crowdfund.money import Money
from crowdfund.pledges import services as pledges
from crowdfund.pledges.models import PledgeStatus
from tests.factories import (
    back_pledge,
    investor,
    live_offering,
    make_campaign,
    make_user,
    pledge_of,
)
from tests.factories_cards import save_card

P = PledgeStatus


@pytest.fixture
def backer_with_card(session, auth, gw):
    """A backer whose active pledge to "Tide clock" pays with the card it saved."""
    first = back_pledge(make_campaign(status=CampaignStatus.LIVE, tiers=0, title="Tide clock"),
                        gw)
    session.commit()
    auth.login_as(first.backer)
    return first


def _new_pledge(session, backer, title="Paper lanterns"):
    campaign = make_campaign(status=CampaignStatus.LIVE, tiers=0, title=title)
    pledge = pledges.start_pledge(backer, campaign, None, Money.from_decimal("25", "USD"), None)
    session.commit()
    return pledge


def test_the_profile_leads_to_the_saved_cards(client, backer_with_card):
    assert 'href="/account/cards"' in client.get("/account/profile").get_data(as_text=True)


def test_the_account_lists_the_gateways_cards_with_what_they_pay_for(client, session, gw,
                                                                    backer_with_card):
    save_card(gw, backer_with_card.backer, "pm_old", "0005", exp_month=1, exp_year=2021)
    session.commit()
    page = client.get("/account/cards")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Visa ending in 4242" in html and "Tide clock" in html
    assert f'/pledges/{backer_with_card.id}/card">replace the card' in html
    assert "Visa ending in 0005, expires 01/2021 <strong>(expired)</strong>" in html
    assert "Remove this card?" in html  # Remove asks first


def test_a_card_in_use_is_not_removed(client, session, gw, backer_with_card):
    pm = backer_with_card.payment_method_id
    answer = client.post(f"/account/cards/{pm}/remove", follow_redirects=True)
    assert "This card pays for your pledges to: “Tide clock”. Replace the card there first" \
        in answer.get_data(as_text=True)
    assert gw.cards[pm]["customer"] is not None


def test_a_card_nothing_uses_is_removed_at_the_gateway(client, session, gw, backer_with_card):
    pm = save_card(gw, backer_with_card.backer, "pm_spare", "1881")
    session.commit()
    answer = client.post(f"/account/cards/{pm}/remove", follow_redirects=True)
    assert "The card ending in 1881 is removed from your account." in answer.get_data(
        as_text=True)
    assert gw.cards[pm]["customer"] is None and "detach_payment_method" in gw.calls


def test_anybody_elses_card_is_not_found(client, session, gw, backer_with_card):
    theirs = save_card(gw, make_user(), "pm_theirs")
    mine = _new_pledge(session, backer_with_card.backer)
    session.commit()
    assert client.post(f"/account/cards/{theirs}/remove").status_code == 404
    assert client.post("/account/cards/%00pm/remove").status_code == 404
    assert client.post(f"/pledges/{mine.id}/card/saved",
                       data={"payment_method": theirs}).status_code == 404
    assert gw.cards[theirs]["customer"] is not None and "detach_payment_method" not in gw.calls
    assert pledge_of(mine.id).setup_attempts == 0  # the refused choice counted nothing


def test_the_card_page_offers_saved_cards_but_not_expired_ones(client, session, gw,
                                                               backer_with_card):
    save_card(gw, backer_with_card.backer, "pm_old", "0005", exp_month=1, exp_year=2021)
    pledge = _new_pledge(session, backer_with_card.backer)
    html = client.get(f"/pledges/{pledge.id}/card").get_data(as_text=True)
    assert "Your saved cards" in html and "Or use a new card" in html
    assert f'value="{backer_with_card.payment_method_id}"' in html
    assert 'value="pm_old"' not in html and 'id="setup-auth-form"' not in html


def test_choosing_a_saved_card_activates_the_pledge(client, session, gw, backer_with_card):
    pledge = _new_pledge(session, backer_with_card.backer)
    answer = client.post(f"/pledges/{pledge.id}/card/saved",
                         data={"payment_method": backer_with_card.payment_method_id},
                         follow_redirects=True)
    assert "Thank you! Your pledge is active." in answer.get_data(as_text=True)
    assert pledge_of(pledge.id).status is P.ACTIVE


def test_a_3ds_saved_card_is_confirmed_on_the_card_page(client, session, gw, backer_with_card):
    pm = save_card(gw, backer_with_card.backer, "pm_3ds", "3155", needs_3ds=True)
    pledge = _new_pledge(session, backer_with_card.backer)
    answer = client.post(f"/pledges/{pledge.id}/card/saved", data={"payment_method": pm},
                         follow_redirects=True)
    html = answer.get_data(as_text=True)
    assert "Your bank asks you to confirm this card." in html and 'id="setup-auth-form"' in html
    assert pledge_of(pledge.id).status is P.PENDING
    gw.authenticate_setup(pledge_of(pledge.id).setup_intent_id)
    client.post(f"/pledges/{pledge.id}/card",
                data={"setup_intent": pledge_of(pledge.id).setup_intent_id})
    assert pledge_of(pledge.id).status is P.ACTIVE


def test_the_saved_cards_page_reads_in_chinese(client, backer_with_card):
    client.set_cookie("lang", "zh_Hans")
    html = client.get("/account/cards").get_data(as_text=True)
    assert "已保存的银行卡" in html and "更换银行卡" in html


def test_an_investment_is_paid_with_a_saved_card(client, auth, session, gw):
    person = investor()
    pm = save_card(gw, person, "pm_investor", "4444")
    offering = live_offering()
    session.commit()
    auth.login_as(person)
    response = client.post(f"/invest/{offering.slug}", data={"amount": "1000",
                                                             "confirmed": "100000"})
    pledge_id = int(response.location.split("/")[2])
    card = client.get(f"/pledges/{pledge_id}/card").get_data(as_text=True)
    assert "Investment" in card and "Visa ending in 4444" in card
    answer = client.post(f"/pledges/{pledge_id}/card/saved", data={"payment_method": pm},
                         follow_redirects=True)
    assert "Thank you! Your investment is active." in answer.get_data(as_text=True)
    assert pledge_of(pledge_id).status is P.ACTIVE and pledge_of(pledge_id).card_last4 == "4444"


def test_replacing_the_card_of_an_active_pledge_offers_the_other_saved_cards(
        client, session, gw, backer_with_card):
    spare = save_card(gw, backer_with_card.backer, "pm_spare", "1881")
    session.commit()
    html = client.get(f"/pledges/{backer_with_card.id}/card").get_data(as_text=True)
    assert f'value="{spare}"' in html
    assert f'value="{backer_with_card.payment_method_id}"' not in html  # its own card
    answer = client.post(f"/pledges/{backer_with_card.id}/card/saved",
                         data={"payment_method": spare}, follow_redirects=True)
    assert "Your card is updated." in answer.get_data(as_text=True)
    assert pledge_of(backer_with_card.id).payment_method_id == spare
