"""The invest page: profile first, the quote shown before committing, then the card."""

import sqlalchemy as sa

from crowdfund.pledges.models import Pledge
from tests.factories import investor, live_offering


def test_invest_shows_what_the_amount_buys_before_committing(app, client, auth, session):
    campaign = live_offering()
    person = investor()
    session.commit()
    auth.login_as(person)
    page = client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    assert "Invest" in page and "you can invest up to $2,500.00" in page
    assert "Offering terms" in page and "investor" in page
    assert client.get(f"/campaigns/{campaign.slug}/pledge").location.endswith(
        f"/invest/{campaign.slug}")
    page = client.get(f"/invest/{campaign.slug}").get_data(as_text=True)
    assert "You can cancel for any reason until" in page
    response = client.post(f"/invest/{campaign.slug}", data={"amount": "1000"})
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "769 shares" in text and "$999.70" in text and "$0.30" in text
    assert session.scalar(sa.select(sa.func.count()).select_from(Pledge)) == 0
    # Changing the amount on the confirmation step shows the new quote, commits nothing.
    response = client.post(f"/invest/{campaign.slug}", data={"amount": "500",
                                                             "confirmed": "100000"})
    assert "384 shares" in response.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(Pledge)) == 0
    response = client.post(f"/invest/{campaign.slug}", data={"amount": "1000",
                                                             "confirmed": "100000"})
    assert response.status_code == 302 and "/card" in response.location
    pledge = session.scalar(sa.select(Pledge))
    assert (pledge.shares, pledge.amount_minor) == (769, 99_970)


def test_invest_refusals_and_the_profile_first(app, client, auth, session):
    from tests.factories import make_user

    campaign = live_offering()
    newcomer = make_user()
    person = investor()
    session.commit()
    auth.login_as(newcomer)
    response = client.get(f"/invest/{campaign.slug}")
    assert response.status_code == 302 and "/invest/profile" in response.location
    client.post("/logout")
    auth.login_as(person)
    response = client.post(f"/invest/{campaign.slug}", data={"amount": "3000"})
    assert response.status_code == 400
    assert ("Your limit for the next 12 months is $2,500.00; you have $0.00 committed; "
            "you can invest up to $2,500.00.") in response.get_data(as_text=True)
    response = client.post(f"/invest/{campaign.slug}", data={"amount": "12.345"})
    assert response.status_code == 400
    assert session.scalar(sa.select(sa.func.count()).select_from(Pledge)) == 0
