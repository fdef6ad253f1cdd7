"""Error pages: 404, 403 and 500 are pages people can read, and a 500 keeps nothing half-done."""

import sqlalchemy as sa

from crowdfund.auth.models import User
from crowdfund.extensions import db
from tests.factories import make_user


def test_404_page(client):
    response = client.get("/campaigns/no-such-thing")
    assert response.status_code == 404 and b"We can\xe2\x80\x99t find that page" in response.data


def test_403_page(client, auth, session):
    user = make_user()
    session.commit()
    auth.login_as(user)
    response = client.get("/operators/")
    assert response.status_code == 403 and b"You can\xe2\x80\x99t do that" in response.data


def test_500_page_and_rollback(app, client, monkeypatch):
    def broken():
        db.session.add(User(email="half@example.com", password_hash="x", display_name="Half"))
        db.session.flush()
        raise RuntimeError("boom")

    monkeypatch.setitem(app.view_functions, "main.index", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    response = client.get("/")
    assert response.status_code == 500
    assert b"Something went wrong on our side" in response.data
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_oversized_request_is_refused(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 100)
    response = client.post("/register", data={"display_name": "x" * 500})
    assert response.status_code == 413
