"""Privacy rights through the pages: "Download my data" (everything, as JSON) and "Close my
account" (told first what happens; open pledges cancelled; personal data erased from every
table, the books kept under the account's number, and they still balance)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from crowdfund.auth.models import User
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.community import comments, following
from crowdfund.equity import investors
from crowdfund.extensions import db
from crowdfund.ledger import services as ledger
from crowdfund.pledges.models import Pledge, PledgeStatus
from tests.factories import (
    PASSWORD,
    back_pledge,
    ended,
    every_string_containing,
    make_campaign,
    make_user,
)

S = CampaignStatus


def _grace_with_a_history(session, gw, settler):
    """Grace backed a campaign that was funded and charged, backs a live one, commented,
    follows a founder, declared an investor profile."""
    funded = make_campaign(status=S.LIVE, goal_minor=5_000, title="Funded kettle")
    paid = back_pledge(funded, gw, amount="60")
    grace = paid.backer
    grace.email, grace.display_name = "grace.hopper@example.com", "Grace Hopper"
    grace.bio, grace.location = "Rear admiral", "Arlington, Virginia"
    ended(funded)
    session.commit()
    settler.settle(funded.id)
    live = make_campaign(status=S.LIVE, title="Live lamp")
    from crowdfund.pledges import services as pledges
    from tests.factories import CARDS

    open_pledge = pledges.start_pledge(grace, live, None, Money_usd("30"), None)
    intent = pledges.ensure_setup_intent(open_pledge, grace, gw)
    gw.confirm_setup(intent.id, CARDS["ok"])
    pledges.confirm_card(open_pledge, gw)
    comments.post_comment(live, grace, "Will it ship to Lisbon? Grace Hopper asks.")
    following.follow_founder(grace, live.founder)
    investors.save_profile(grace, investors.ProfileInput("US", Decimal(90_000),
                                                         Decimal(200_000), False, Decimal(0)))
    from crowdfund.auth.models import IdentityVerification, VerificationStatus

    session.add(IdentityVerification(  # she sent her identity documents (postal address)
        user=grace, status=VerificationStatus.PENDING, legal_name="Grace Brewster Hopper",
        date_of_birth=date(1906, 12, 9), address="1 Navy Yard, Washington DC 20374"))
    session.commit()
    return grace, open_pledge.id


def Money_usd(major):  # noqa: N802 - reads like the type
    from crowdfund.money import Money

    return Money.from_decimal(major, "USD")


def test_download_my_data_has_everything(app, client, auth, session, gw, settler):
    grace, open_id = _grace_with_a_history(session, gw, settler)
    auth.login_as(grace)
    response = client.post("/account/data/download")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.data)
    assert data["account"]["email"] == "grace.hopper@example.com"
    assert data["account"]["location"] == "Arlington, Virginia"
    assert {p["campaign"] for p in data["pledges"]} == {"Funded kettle", "Live lamp"}
    assert [c["status"] for c in data["charges"]] == ["succeeded"]
    assert data["comments"][0]["body"].startswith("Will it ship to Lisbon?")
    assert len(data["follows"]) == 1 and data["investor_profile"]["jurisdiction"] == "US"
    assert data["sessions"][0]["ip"] == "127.0.0.1"
    assert any(s["succeeded"] for s in data["sign_in_attempts"])
    assert {e["kind"] for e in data["emails"]} >= {"pledge_confirmed", "receipt"}
    assert data["two_factor"] == {"on": False}
    assert data["identity_check"]["address"].startswith("1 Navy Yard")


def test_closing_erases_the_person_and_keeps_the_books(app, client, auth, session, gw,
                                                       settler):
    grace, open_id = _grace_with_a_history(session, gw, settler)
    grace_id = grace.id
    auth.login_as(grace)
    page = client.get("/account/data").get_data(as_text=True)
    assert "Your pledge of $30.00 in Live lamp is cancelled: nothing is charged" in page
    assert "Charges, refunds and the ledger" in page and "bookkeeping" in page
    wrong = client.post("/account/close", data={"password": "not my password"})
    assert wrong.status_code == 400 and b"Your password is incorrect." in wrong.data
    closed = client.post("/account/close", data={"password": PASSWORD})
    assert closed.status_code == 302 and closed.location == "/"
    assert client.get("/account/profile").status_code == 302  # signed out
    with app.app_context():
        assert db.session.get(Pledge, open_id).status is PledgeStatus.CANCELLED
        assert db.session.get(User, grace_id).closed_at is not None
        assert ledger.check() == []
        found = every_string_containing(["grace.hopper", "Grace Hopper", "Hopper",
                                         "Arlington", "Rear admiral", "Navy Yard"])
        record = db.session.get(User, grace_id).verification
        assert record.date_of_birth is None
    assert found == []
    assert auth.login("grace.hopper@example.com").status_code == 401
    # The address is free for a new account.
    again = client.post("/register", data={"display_name": "Grace", "email":
                                           "grace.hopper@example.com", "password":
                                           "lantern orchard velvet", "confirm":
                                           "lantern orchard velvet"})
    assert again.location == "/register/sent"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).where(
            User.email == "grace.hopper@example.com")) == 1


def test_what_keeps_an_account_open(app, client, auth, session):
    founder = make_user()
    make_campaign(founder, status=S.LIVE, title="Running now")
    session.commit()
    auth.login_as(founder)
    page = client.get("/account/data").get_data(as_text=True)
    assert "cannot be closed yet" in page and "Running now is live" in page
    refused = client.post("/account/close", data={"password": PASSWORD})
    assert refused.status_code == 400 and b"cannot be closed yet" in refused.data
    with app.app_context():
        assert db.session.get(User, founder.id).closed_at is None


def test_a_pledge_that_can_no_longer_be_cancelled_keeps_the_account_open(app, client, auth,
                                                                         session):
    from datetime import timedelta

    from crowdfund.db import utcnow
    from tests.factories import live_offering, make_pledge

    offering = live_offering()
    offering.deadline = utcnow() + timedelta(hours=20)  # inside the 48-hour cutoff
    investor = make_user()
    make_pledge(offering, investor, amount_minor=10_000)
    session.commit()
    auth.login_as(investor)
    page = client.get("/account/data").get_data(as_text=True)
    assert "cannot be closed yet" in page and "this commitment stands" in page
    assert client.post("/account/close", data={"password": PASSWORD}).status_code == 400
