"""One hourly budget of account emails per address, every kind of request together:
registering with it, "forgot password" and moving an account to it, from any clients,
send it at most ACCOUNT_EMAILS_PER_ADDRESS messages (beyond: the same answers, no mail)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from crowdfund.auth import recovery
from crowdfund.auth.models import User
from crowdfund.extensions import db
from crowdfund.notifications.models import OutboxMessage
from tests.factories import PASSWORD, make_user, race

ADDRESS = "grace@example.com"


def _mail_to(app, address: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).where(
            OutboxMessage.to_email == address)) or 0


def test_every_kind_of_request_shares_the_addresss_budget(app, client, auth, session):
    make_user(ADDRESS, name="Grace")
    mover = make_user("ada@example.com", name="Ada")
    session.commit()
    client.environ_base["REMOTE_ADDR"] = "10.3.0.1"  # Ada's own client
    auth.login_as(mover)
    anonymous = app.test_client()
    answers = []
    for n in range(3):
        answers.append(anonymous.post(
            "/register", environ_base={"REMOTE_ADDR": f"10.1.0.{n}"},
            data={"display_name": "Someone", "email": ADDRESS, "password": "lantern orchard "
                  "velvet", "confirm": "lantern orchard velvet"}).location)
        answers.append(anonymous.post("/password/forgot", data={"email": ADDRESS},
                                      environ_base={"REMOTE_ADDR": f"10.2.0.{n}"}).location)
        answers.append(client.post("/account/email", data={"email": ADDRESS,
                                                           "password": PASSWORD}).location)
    # The same answers throughout.
    assert answers == ["/register/sent", "/password/forgot/sent", "/account/profile"] * 3
    assert app.config["ACCOUNT_EMAILS_PER_ADDRESS"] == 3
    assert _mail_to(app, ADDRESS) == 3


@pytest.mark.postgres_only
def test_requests_of_every_kind_at_once_keep_to_the_addresss_budget(app, session):
    make_user(ADDRESS, name="Grace")
    movers = [make_user(f"mover{n}@example.com").id for n in range(4)]
    session.commit()

    def register(n):
        return lambda: recovery.register(ADDRESS, "lantern orchard velvet", "Someone",
                                         f"10.1.0.{n}")

    def forgot(n):
        return lambda: recovery.request_password_reset(ADDRESS, f"10.2.0.{n}")

    def move(n):
        return lambda: recovery.request_email_change(
            db.session.get(User, movers[n]), ADDRESS, PASSWORD, f"10.3.0.{n}")

    outcomes = race(app, *[make(n) for n in range(4) for make in (register, forgot, move)])
    assert outcomes == ["ok"] * 12
    assert _mail_to(app, ADDRESS) == app.config["ACCOUNT_EMAILS_PER_ADDRESS"]
