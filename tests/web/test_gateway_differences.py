"""The operators' page of differences with the gateway: what to do, a resolve form whose
bad input is answered next to its field, two-factor asked again before resolving, and a
resolution that two operators cannot both make (PostgreSQL race)."""

from __future__ import annotations

import time
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa

from crowdfund.auth.models import User, UserSession
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.settlement.books import differences
from crowdfund.settlement.books.differences import Found
from crowdfund.settlement.books.models import (
    DifferenceKind,
    DifferenceStatus,
    DifferenceTransition,
    GatewayDifference,
)
from tests.factories import PASSWORD, make_user, race, with_two_factor


def _open_difference(gateway_id: str = "pi_outside") -> int:
    differences.record([Found(DifferenceKind.CHARGE_NOT_OURS, gateway_id, None, "nothing",
                              "USD 150.31 succeeded")])
    db.session.commit()
    return db.session.scalar(sa.select(GatewayDifference.id).where(
        GatewayDifference.gateway_object_id == gateway_id))


def test_the_page_shows_what_to_do_and_refuses_a_resolution_without_a_reason(
        app, client, auth, session):
    difference_id = _open_difference()
    auth.login_as(make_user(operator=True, name="Ada Ops"))
    page = client.get("/operators/differences").get_data(as_text=True)
    assert "Open (1)" in page and "pi_outside" in page
    assert "USD 150.31 succeeded" in page
    assert "What to do:</strong> Money was taken that no pledge of ours asked for" in page
    field = f"d{difference_id}-reason"
    for bad, message in (("", "Say what you found and did."),
                         ("ok", "Between 5 and 500 characters.")):
        refused = client.post(f"/operators/differences/{difference_id}/resolve",
                              data={field: bad})
        assert refused.status_code == 400
        text = refused.get_data(as_text=True)
        assert f'<div id="{field}-error"><p class="error" role="alert">{message}</p>' in text
    assert differences.open_count() == 1
    done = client.post(f"/operators/differences/{difference_id}/resolve",
                       data={field: "Made by staff in the dashboard; refunded"},
                       follow_redirects=True)
    text = done.get_data(as_text=True)
    assert f"Difference #{difference_id} resolved." in text
    assert "Open (0)" in text and "Made by staff in the dashboard; refunded" in text
    assert "Ada Ops" in text
    again = client.post(f"/operators/differences/{difference_id}/resolve",
                        data={field: "Resolving it a second time"})
    assert again.status_code == 409
    assert "This difference was resolved already by Ada Ops." in again.get_data(as_text=True)
    assert client.post("/operators/differences/999999/resolve",
                       data={"d999999-reason": "Nothing here at all"}).status_code == 404


def test_only_operators_see_the_page(app, client, auth, session):
    _open_difference()
    auth.login_as(make_user())
    assert client.get("/operators/differences").status_code == 403


def test_resolving_asks_for_a_fresh_second_factor(app, client, session):
    difference_id = _open_difference()
    operator = make_user(operator=True)
    seed, _codes = with_two_factor(operator)
    session.commit()
    client.post("/login", data={"email": operator.email, "password": PASSWORD})
    client.post("/login/code", data={"code": pyotp.TOTP(seed).now()})
    with app.app_context():
        db.session.execute(sa.update(UserSession).values(
            second_factor_at=utcnow() - timedelta(minutes=11)))
        db.session.commit()
    asked = client.post(f"/operators/differences/{difference_id}/resolve",
                        data={f"d{difference_id}-reason": "Refunded in the dashboard"})
    assert asked.status_code == 302 and asked.location.startswith("/account/two-factor/verify")
    assert differences.open_count() == 1
    client.post("/account/two-factor/verify",
                data={"code": pyotp.TOTP(seed).at(time.time() + 30), "next": "/operators/"})
    done = client.post(f"/operators/differences/{difference_id}/resolve",
                       data={f"d{difference_id}-reason": "Refunded in the dashboard"})
    assert done.status_code == 302 and differences.open_count() == 0


def _resolving(difference_id: int, operator_id: int, reason: str):
    return lambda: differences.resolve(db.session.get(GatewayDifference, difference_id),
                                       db.session.get(User, operator_id), reason)


@pytest.mark.postgres_only
def test_two_operators_resolving_one_difference_at_once_resolve_it_once(app, session):
    for round_ in range(8):
        difference_id = _open_difference(f"pi_race_{round_}")
        operators = [make_user(operator=True).id for _ in range(2)]
        session.commit()

        outcomes = race(app, _resolving(difference_id, operators[0], "Refunded at the gateway"),
                        _resolving(difference_id, operators[1], "Recorded as a staff test"))
        assert sorted(outcomes) == ["AlreadyResolved", "ok"], outcomes
        db.session.expire_all()
        row = db.session.get(GatewayDifference, difference_id)
        assert row.status is DifferenceStatus.RESOLVED
        audits = db.session.scalars(sa.select(DifferenceTransition).where(
            DifferenceTransition.difference_id == difference_id)).all()
        assert len(audits) == 1
        assert (audits[0].actor_id, audits[0].reason) == (row.resolved_by_id, row.reason)
