"""Add-ons through the pages, without scripts: the founder's studio (bad input next to its
field, nothing half-written), the pledge and change forms with quantities, the pledge page,
the confirmation email and the backers CSV."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from crowdfund.campaigns.add_on_models import AddOn, AddOnShippingRate
from crowdfund.campaigns.states import CampaignKind, CampaignStatus
from crowdfund.extensions import db
from crowdfund.notifications.models import OutboxMessage
from crowdfund.payments import gateway as current_gateway
from crowdfund.pledges.models import Pledge, PledgeAddOn
from tests.factories import make_add_on, make_campaign, make_tier, make_user

S = CampaignStatus


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def claimed(app, add_on_id: int) -> int:
    with app.app_context():
        return db.session.get(AddOn, add_on_id).claimed


# --- the studio ----------------------------------------------------------------------------


@pytest.fixture
def rewards(session, founder):
    """The signed-in founder's draft with two rewards."""
    campaign = make_campaign(founder, status=S.DRAFT, tiers=2)
    session.commit()
    return campaign


ADD_ON = {"name": "Enamel pin", "description": "A **shiny** pin.", "price": "6.50",
          "quantity_limit": "40", "offered_with": "chosen", "ships": "yes",
          "shipping-0-destination": "US", "shipping-0-fee": "1", "shipping-1-destination": "ROW",
          "shipping-1-fee": "2.50"}


def test_a_founder_adds_an_add_on_with_shipping_for_chosen_rewards(app, client, rewards):
    tier_id = rewards.tiers[1].id
    assert client.get(f"/studio/{rewards.id}/add-ons/new").status_code == 200
    response = client.post(f"/studio/{rewards.id}/add-ons/new",
                           data={**ADD_ON, "tier_ids": str(tier_id)})
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        add_on = db.session.scalar(sa.select(AddOn))
        assert (add_on.name, add_on.price_minor, add_on.quantity_limit) == ("Enamel pin", 650, 40)
        assert add_on.tier_ids == [tier_id] and not add_on.all_tiers and add_on.ships
        assert {(r.destination, r.fee_minor) for r in add_on.shipping_rates} == {
            ("US", 100), ("ROW", 250)}
        add_on_id = add_on.id
    listing = client.get(f"/studio/{rewards.id}/add-ons").get_data(as_text=True)
    assert "Enamel pin" in listing and "$6.50 each" in listing and "with: Tier 2" in listing
    edit = client.get(f"/studio/{rewards.id}/add-ons/{add_on_id}").get_data(as_text=True)
    assert 'value="6.50"' in edit and 'value="2.50"' in edit
    assert client.post(f"/studio/{rewards.id}/add-ons/{add_on_id}",
                       data={**ADD_ON, "offered_with": "all", "ships": "no",
                             "price": "7"}).status_code == 302
    with app.app_context():
        add_on = db.session.get(AddOn, add_on_id)
        assert (add_on.price_minor, add_on.all_tiers, add_on.tier_ids, add_on.ships) == (
            700, True, [], False)
        assert add_on.shipping_rates == []
    assert client.post(f"/studio/{rewards.id}/add-ons/{add_on_id}/delete").status_code == 302
    assert count(app, AddOn) == 0 and count(app, AddOnShippingRate) == 0


@pytest.mark.parametrize(("changes", "message"), [
    ({"name": ""}, "This field is required."),
    ({"price": ""}, "Enter the price."),
    ({"price": "0", "offered_with": "all"}, "must be more than zero."),
    ({"price": "six"}, "Enter an amount"),
    ({"price": "1.001"}, "decimal places"),
    ({"quantity_limit": "0"}, "Between 1 and"),
    ({"quantity_limit": "lots"}, "Not a valid integer"),
    ({}, "Choose at least one reward it can be added to."),  # chosen, and none chosen
    ({"tier_ids": "abc"}, "Invalid choice"),
    ({"tier_ids": "2147483647"}, "not a valid choice"),
    ({"offered_with": "some"}, "Not a valid choice"),
    ({"shipping-1-destination": "US", "offered_with": "all"}, "United States is listed twice."),
    ({"shipping-0-fee": "-1"}, "cannot be negative"),
    ({"shipping-0-fee": ""}, "Each shipping row needs a destination and a fee."),
])
def test_bad_add_ons_are_refused_next_to_the_field_and_nothing_is_written(app, client,
                                                                           rewards, changes,
                                                                           message):
    response = client.post(f"/studio/{rewards.id}/add-ons/new", data={**ADD_ON, **changes})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count(app, AddOn) == 0 and count(app, AddOnShippingRate) == 0


def test_a_failed_edit_leaves_the_add_on_as_it_was(app, client, session, rewards):
    add_on = make_add_on(rewards, name="Pin", price_minor=500, rates={"US": 100})
    session.commit()
    response = client.post(f"/studio/{rewards.id}/add-ons/{add_on.id}",
                           data={**ADD_ON, "name": "Renamed", "shipping-1-destination": "US",
                                 "offered_with": "all"})
    assert response.status_code == 400 and "listed twice" in response.get_data(as_text=True)
    with app.app_context():
        again = db.session.get(AddOn, add_on.id)
        assert (again.name, again.price_minor, [r.destination for r in again.shipping_rates]) \
            == ("Pin", 500, ["US"])


def test_without_scripts_add_another_destination_keeps_what_was_typed(app, client, rewards):
    response = client.post(f"/studio/{rewards.id}/add-ons/new",
                           data={**ADD_ON, "more_rows": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'value="Enamel pin"' in page
    assert 'name="shipping-4-fee"' in page and count(app, AddOn) == 0


def test_a_backed_add_on_of_a_live_campaign_is_read_only(app, client, session, founder):
    live = make_campaign(founder, status=S.LIVE, tiers=1)
    add_on = make_add_on(live, name="Pin", price_minor=500, limit=10)
    add_on.claimed = 2
    spare = make_add_on(live, name="Sticker", price_minor=200)
    session.commit()
    listing = client.get(f"/studio/{live.id}/add-ons").get_data(as_text=True)
    assert "has backers: read-only" in listing
    response = client.post(f"/studio/{live.id}/add-ons/{add_on.id}",
                           data={**ADD_ON, "offered_with": "all"})
    assert response.status_code == 400 and "has backers" in response.get_data(as_text=True)
    client.post(f"/studio/{live.id}/add-ons/{add_on.id}/delete")
    assert claimed(app, add_on.id) == 2  # still there, unchanged
    with app.app_context():
        assert db.session.get(AddOn, add_on.id).name == "Pin"
    # a new one, and one nobody backs, can still be added or changed while live
    assert client.post(f"/studio/{live.id}/add-ons/{spare.id}",
                       data={**ADD_ON, "offered_with": "all"}).status_code == 302
    assert client.post(f"/studio/{live.id}/add-ons/new",
                       data={**ADD_ON, "offered_with": "all"}).status_code == 302


def test_other_people_and_equity_offerings_have_no_add_on_pages(app, client, session,
                                                               founder):
    equity = make_campaign(founder, kind=CampaignKind.EQUITY, tiers=0)
    others = make_campaign(make_user(), tiers=1)
    theirs = make_add_on(others)
    session.commit()
    assert client.get(f"/studio/{equity.id}/add-ons").status_code == 404
    assert client.get(f"/studio/{others.id}/add-ons").status_code == 404
    assert client.post(f"/studio/{others.id}/add-ons/{theirs.id}/delete").status_code == 404
    assert count(app, AddOn) == 1


# --- pledging ------------------------------------------------------------------------------


@pytest.fixture
def shop(session, auth):
    """A live campaign with a digital reward ($25) and a shipped one ($40, $15 anywhere); a
    pin ($5, 3 units, any reward), a poster ($12, $2 a unit to the US, $4 elsewhere, with
    the shipped reward only); a signed-in backer."""
    campaign = make_campaign(make_user(name="Founder"), status=S.LIVE, tiers=0,
                             goal_minor=100_000)
    digital = make_tier(campaign, minimum_minor=2500)
    shipped = make_tier(campaign, minimum_minor=4000, ships=True)
    pin = make_add_on(campaign, name="Pin", price_minor=500, limit=3)
    poster = make_add_on(campaign, name="Poster", price_minor=1200,
                         rates={"US": 200, "ROW": 400}, tiers=[shipped])
    backer = make_user(name="Backer")
    session.commit()
    auth.login_as(backer)
    return dict(campaign=campaign, digital=digital, shipped=shipped, pin=pin, poster=poster,
                backer=backer)


def _lines(app, pledge_id: int) -> dict[int, int]:
    with app.app_context():
        return dict(db.session.execute(sa.select(PledgeAddOn.add_on_id, PledgeAddOn.quantity)
                                       .where(PledgeAddOn.pledge_id == pledge_id)).all())


def _activate(app, client, pledge_id: int) -> None:
    client.get(f"/pledges/{pledge_id}/card")
    with app.app_context():
        current_gateway().confirm_setup(db.session.get(Pledge, pledge_id).setup_intent_id)
    client.post(f"/pledges/{pledge_id}/card", data={"setup_intent": "x"})


def test_the_pledge_form_offers_the_add_ons(client, shop):
    page = client.get(f"/campaigns/{shop['campaign'].slug}/pledge").get_data(as_text=True)
    pin, poster = shop["pin"], shop["poster"]
    assert f'name="add_on_{pin.id}"' in page and f'name="add_on_{poster.id}"' in page
    assert "Pin</strong> · $5.00 each" in page and "3 left" in page
    assert "With: Limited." in page  # the poster: with the shipped reward only
    assert "United States (+$2.00)" in page and "per unit" in page


def test_a_pledge_with_add_ons_without_scripts(app, client, shop):
    s = shop
    response = client.post(f"/campaigns/{s['campaign'].slug}/pledge", data={
        "tier": str(s["shipped"].id), "destination": "US", "amount": "79",
        f"add_on_{s['pin'].id}": "2", f"add_on_{s['poster'].id}": "1"})
    assert response.status_code == 302, response.get_data(as_text=True)
    pledge_id = int(response.headers["Location"].split("/")[2])
    with app.app_context():
        pledge = db.session.get(Pledge, pledge_id)
        assert (pledge.amount_minor, pledge.shipping_minor) == (7900, 1700)
    assert _lines(app, pledge_id) == {s["pin"].id: 2, s["poster"].id: 1}
    assert claimed(app, s["pin"].id) == 2
    _activate(app, client, pledge_id)
    page = client.get(f"/pledges/{pledge_id}").get_data(as_text=True)
    assert "2 × Pin ($10.00)" in page and "1 × Poster ($12.00)" in page
    assert "$17.00 to United States" in page
    with app.app_context():
        email = db.session.scalar(sa.select(OutboxMessage).where(
            OutboxMessage.kind == "pledge_confirmed"))
        assert "2 × Pin ($10.00), 1 × Poster ($12.00)" in email.text_body
        assert "$79.00" in email.text_body


@pytest.mark.parametrize(("data", "field", "message", "status"), [
    ({"tier": "digital", "poster": "1"}, "poster", "“Poster” cannot be added to “Limited”.",
     400),
    ({"tier": "none", "pin": "1", "amount": "10"}, "pin",
     "Add-ons come with a reward: choose one first.", 400),
    ({"pin": "100"}, "pin", "Choose a quantity from 0 to 99.", 400),
    ({"pin": "-1"}, "pin", "Choose a quantity from 0 to 99.", 400),
    ({"pin": "two"}, "pin", "Not a valid integer value.", 400),
    ({"pin": "4"}, "pin", "Only 3 of “Pin” are left.", 409),
    ({"pin": "2", "amount": "34.99"}, "amount",
     "Pledge at least $35.00 ($25.00 for the reward plus $10.00 for add-ons).", 400),
    ({"tier": "shipped", "poster": "1", "amount": "100"}, "destination",
     "Choose where to ship your reward.", 400),
])
def test_bad_add_ons_in_a_pledge_are_refused_next_to_the_field(app, client, shop, data, field,
                                                              message, status):
    s = shop
    form = {"tier": str(s["digital"].id), "amount": "100"}
    for key, value in data.items():
        if key == "tier":
            form["tier"] = str(s[value].id) if value != "none" else "none"
        elif key in ("pin", "poster"):
            form[f"add_on_{s[key].id}"] = value
        else:
            form[key] = value
    response = client.post(f"/campaigns/{s['campaign'].slug}/pledge", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == status, page[:300]
    name = f"add_on_{s[field].id}" if field in ("pin", "poster") else field
    errors = page.split(f'id="{name}-error"', 1)
    assert len(errors) == 2 and message in errors[1].split("</div>", 1)[0]  # at its field
    assert count(app, Pledge) == 0 and claimed(app, s["pin"].id) == 0


def test_changing_a_pledge_moves_its_add_ons(app, client, shop):
    s = shop
    response = client.post(f"/campaigns/{s['campaign'].slug}/pledge", data={
        "tier": str(s["digital"].id), "amount": "35", f"add_on_{s['pin'].id}": "2"})
    pledge_id = int(response.headers["Location"].split("/")[2])
    _activate(app, client, pledge_id)
    form = client.get(f"/pledges/{pledge_id}/edit").get_data(as_text=True)
    assert f'name="add_on_{s["pin"].id}" step="1" type="number" value="2"' in form
    change = {"tier": str(s["shipped"].id), "destination": "FR", "amount": "80",
              f"add_on_{s['pin'].id}": "1", f"add_on_{s['poster'].id}": "2"}
    short = client.post(f"/pledges/{pledge_id}/edit", data=change)
    # $40 + $5 + 2 x $12, shipping $15 + 2 x $4 to France
    assert short.status_code == 400 and ("Pledge at least $92.00 ($40.00 for the reward, "
                                         "$29.00 for add-ons and $23.00 shipping).") in \
        short.get_data(as_text=True)
    assert _lines(app, pledge_id) == {s["pin"].id: 2} and claimed(app, s["pin"].id) == 2
    changed = client.post(f"/pledges/{pledge_id}/edit", data={**change, "amount": "92"})
    assert changed.status_code == 302, changed.get_data(as_text=True)
    assert _lines(app, pledge_id) == {s["pin"].id: 1, s["poster"].id: 2}
    assert (claimed(app, s["pin"].id), claimed(app, s["poster"].id)) == (1, 2)
    with app.app_context():
        pledge = db.session.get(Pledge, pledge_id)
        assert (pledge.amount_minor, pledge.shipping_minor, pledge.destination) == (
            9200, 2300, "FR")
    assert client.post(f"/pledges/{pledge_id}/cancel").status_code == 302
    assert (claimed(app, s["pin"].id), claimed(app, s["poster"].id)) == (0, 0)


def test_the_backers_csv_lists_the_add_ons(app, client, auth, shop):
    s = shop
    response = client.post(f"/campaigns/{s['campaign'].slug}/pledge", data={
        "tier": str(s["shipped"].id), "destination": "US", "amount": "79",
        f"add_on_{s['pin'].id}": "2", f"add_on_{s['poster'].id}": "1"})
    _activate(app, client, int(response.headers["Location"].split("/")[2]))
    auth.logout()
    auth.login_as(s["campaign"].founder)
    body = client.get(f"/studio/{s['campaign'].id}/backers.csv").get_data(as_text=True)
    (row,) = list(csv.DictReader(io.StringIO(body)))
    assert (row["add_ons"], row["add_ons_amount"], row["amount"], row["shipping"]) == (
        "2 x Pin; 1 x Poster", "22.00", "79.00", "17.00")
