"""Identity checks reach the operators whether or not the person has a campaign yet: every
waiting check is on the operators' home, oldest first, with its age and a count; the
founder is emailed the decision (the identity page promises it): verified, or refused with
the operator's reason, once per decision."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from crowdfund.auth.models import IdentityVerification, VerificationStatus
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.notifications.models import OutboxMessage
from tests.factories import make_user


def _photo() -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (900, 600), (200, 190, 170)).save(buffer, "JPEG")
    buffer.seek(0)
    return buffer


def _send_check(client, auth, person):
    auth.login_as(person)
    response = client.post("/account/identity", data={
        "legal_name": f"{person.display_name} Legal", "date_of_birth": "1988-04-02",
        "address": "12 Harbour Street, Porto 4000-123, Portugal", "country": "PT",
        "document": (_photo(), "passport.jpg")}, content_type="multipart/form-data")
    assert response.status_code == 302
    auth.logout()


def _decision_emails(app, person):
    with app.app_context():
        return db.session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.kind == "identity_decided",
            OutboxMessage.to_email == person.email).order_by(OutboxMessage.id)).all()


@pytest.fixture
def operator(session):
    person = make_user(operator=True, name="Olga Operator")
    session.commit()
    return person


def test_a_check_from_someone_without_a_campaign_waits_on_the_operators_home(
        app, client, auth, session, operator):
    newer, older = make_user(name="Nadia Newcomer"), make_user(name="Oscar Early")
    session.commit()
    _send_check(client, auth, newer)
    _send_check(client, auth, older)
    with app.app_context():  # Oscar sent his three days ago: he comes first
        record = db.session.scalar(sa.select(IdentityVerification).where(
            IdentityVerification.user_id == older.id))
        record.submitted_at = utcnow() - timedelta(days=3, hours=2)
        db.session.commit()
    auth.login_as(operator)
    home = client.get("/operators/").get_data(as_text=True)
    assert "Identity checks waiting (2)" in home
    assert "<dt><a href=\"#identity-checks\">Identity checks waiting</a></dt><dd>2</dd>" in home
    queue = home[home.index('id="identity-checks"'):]
    assert queue.index("Oscar Early") < queue.index("Nadia Newcomer")
    assert ">3 days</td>" in queue and f'href="/operators/founders/{newer.id}"' in queue
    founders = client.get("/operators/founders").get_data(as_text=True)
    assert "Nadia Newcomer" in founders and "Waiting for a decision" in founders


def test_the_founder_is_emailed_each_decision_with_the_reason(app, client, auth, session,
                                                              operator):
    person = make_user(name="Fiona Founder")
    session.commit()
    _send_check(client, auth, person)
    auth.login_as(operator)
    client.post(f"/operators/founders/{person.id}", data={
        "status": "rejected", "legal_name": "",
        "note": "The photo is blurred: the birth date cannot be read."})
    [refused] = _decision_emails(app, person)
    assert refused.subject == "Your identity check: documents not accepted"
    assert "the birth date cannot be read" in refused.text_body
    assert refused.unsubscribe_url is None  # transactional: always sent
    home = client.get("/operators/").get_data(as_text=True)
    assert "Identity checks waiting (0)" in home and "No identity check is waiting." in home
    auth.logout()
    _send_check(client, auth, person)
    auth.login_as(operator)
    verified = {"status": "verified", "legal_name": "Fiona Q. Founder", "note": "Passport"}
    client.post(f"/operators/founders/{person.id}", data=verified)
    client.post(f"/operators/founders/{person.id}", data=verified)  # saved again: no email
    emails = _decision_emails(app, person)
    assert [m.subject for m in emails] == ["Your identity check: documents not accepted",
                                           "Your identity is verified"]
    assert "is deleted on" in emails[1].text_body and emails[1].unsubscribe_url is None
    with app.app_context():
        record = db.session.scalar(sa.select(IdentityVerification).where(
            IdentityVerification.user_id == person.id))
        assert record.status is VerificationStatus.VERIFIED



@pytest.mark.postgres_only
def test_the_same_decision_twice_at_once_emails_once(app, session, operator):
    from crowdfund.auth.models import User
    from crowdfund.auth.services import set_verification
    from tests.factories import race

    person = make_user()
    session.commit()

    def decide():
        set_verification(db.session.get(User, person.id), db.session.get(User, operator.id),
                         status=VerificationStatus.VERIFIED, legal_name="P. Person",
                         note="Passport")

    assert race(app, decide, decide) == ["ok", "ok"]
    assert [m.subject for m in _decision_emails(app, person)] == ["Your identity is verified"]
