"""A founder's identity check: the founder sends legal name, birth date, address and a
document image (re-encoded, in a private folder: only operators see it); an operator
refuses with a reason or approves, beside the account; the document is deleted after the
decision plus a retention period; every step is in the audit trail. A verified founder is
needed to submit an equity offering and to be paid; the campaign page says what was
checked and when."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from crowdfund.auth.models import (
    IdentityVerification,
    User,
    VerificationStatus,
    VerificationTransition,
)
from crowdfund.campaigns.states import CampaignKind, CampaignStatus
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.storage import storage
from tests.factories import make_campaign, make_user

V = VerificationStatus


def _photo(gps: bool = True) -> io.BytesIO:
    image = Image.new("RGB", (900, 600), (200, 190, 170))
    exif = Image.Exif()
    if gps:
        exif[0x010F] = "PhoneMaker"  # Make
        exif[0x0131] = "PhoneOS 17 at 38.7N 9.1W"  # Software (stands for any metadata)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    buffer.seek(0)
    return buffer


def _send(client, **changes):
    data = {"legal_name": "Fiona Q. Founder", "date_of_birth": "1988-04-02",
            "address": "12 Harbour Street, Porto 4000-123, Portugal", "country": "PT",
            "document": (_photo(), "passport.jpg")}
    data.update(changes)
    return client.post("/account/identity", data=data, content_type="multipart/form-data")


@pytest.fixture
def fiona(session, auth):
    user = make_user(name="Fiona Founder")
    session.commit()
    auth.login_as(user)
    return user


def _record(app, user_id):
    with app.app_context():
        record = db.session.scalar(sa.select(IdentityVerification).where(
            IdentityVerification.user_id == user_id))
        db.session.expunge(record)
        return record


def test_the_document_is_private_re_encoded_and_decided_on(app, client, auth, session,
                                                           fiona):
    sent = _send(client)
    assert sent.status_code == 302
    record = _record(app, fiona.id)
    assert record.status is V.PENDING and record.document_key.startswith("identity/")
    assert record.date_of_birth == date(1988, 4, 2) and "Porto" in record.address
    with app.app_context():
        stored = storage().get(record.document_key).data
    assert b"PhoneMaker" not in stored and b"Exif" not in stored  # metadata gone
    # Nobody but operators reads it: not the public uploads route, not the founder.
    assert client.get(f"/uploads/{record.document_key}").status_code == 404
    assert client.get(f"/operators/founders/{fiona.id}/document").status_code == 403
    operator = make_user(operator=True)
    session.commit()
    auth.logout()
    auth.login_as(operator)
    page = client.get(f"/operators/founders/{fiona.id}").get_data(as_text=True)
    assert "Fiona Q. Founder" in page and "Porto" in page and "Apr 2, 1988" in page
    document = client.get(f"/operators/founders/{fiona.id}/document")
    assert document.status_code == 200 and document.data == stored
    assert "no-store" in document.headers["Cache-Control"]
    # Refusing needs a reason, which the founder reads.
    bare = client.post(f"/operators/founders/{fiona.id}",
                       data={"status": "rejected", "legal_name": "", "note": ""})
    assert bare.status_code == 400 and b"Say why" in bare.data
    client.post(f"/operators/founders/{fiona.id}", data={
        "status": "rejected", "legal_name": "Fiona Q. Founder",
        "note": "The photo is blurred: the birth date cannot be read."})
    auth.logout()
    auth.login_as(fiona)
    assert b"the birth date cannot be read" in client.get("/account/identity").data
    assert _send(client).status_code == 302  # again, a better photo
    auth.logout()
    auth.login_as(operator)
    client.post(f"/operators/founders/{fiona.id}", data={
        "status": "verified", "legal_name": "Fiona Q. Founder",
        "note": "Passport matches name, birth date and photo."})
    record = _record(app, fiona.id)
    assert record.status is V.VERIFIED
    assert record.document_delete_after - record.checked_at == timedelta(days=30)
    with app.app_context():
        steps = db.session.execute(sa.select(
            VerificationTransition.to_status, VerificationTransition.actor_id).where(
            VerificationTransition.verification_id == record.id)
            .order_by(VerificationTransition.id)).all()
    assert steps == [(V.PENDING, fiona.id), (V.REJECTED, operator.id),
                     (V.PENDING, fiona.id), (V.VERIFIED, operator.id)]


def test_the_document_is_deleted_after_the_retention(app, client, session, fiona):
    from crowdfund.jobs import run_once

    _send(client)
    record = _record(app, fiona.id)
    with app.app_context():
        row = db.session.get(IdentityVerification, record.id)
        row.status, row.checked_at = V.VERIFIED, utcnow() - timedelta(days=31)
        row.document_delete_after = utcnow() - timedelta(days=1)
        db.session.commit()
        assert run_once()["identity documents deleted"] == 1
        assert storage().get(record.document_key) is None
        assert db.session.get(IdentityVerification, record.id).document_key is None


@pytest.mark.parametrize(("changes", "message"), [
    ({"date_of_birth": "2015-01-01"}, "at least 18 years old"),
    ({"date_of_birth": "next tuesday"}, "Not a valid date value."),
    ({"date_of_birth": "2999-01-01"}, "real date of birth"),
    ({"address": "Porto"}, "full address"),
    ({"country": ""}, "Choose the country you live in."),
    ({"country": "XX"}, "Choose a country from the list."),
    ({"legal_name": ""}, "This field is required."),
    ({"document": (io.BytesIO(b"not an image"), "passport.jpg")}, "not an image"),
    ({"document": (io.BytesIO(b"%PDF-1.4"), "passport.pdf")}, "Use a photo")])
def test_a_submission_with_bad_input_is_refused_and_stores_nothing(app, client, fiona,
                                                                   changes, message):
    import pathlib

    stored = pathlib.Path(app.config["UPLOAD_FOLDER"]) / "identity"
    before = set(stored.glob("*"))
    response = _send(client, **changes)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(
            IdentityVerification)) == 0
    assert set(stored.glob("*")) == before  # a document stored for a refused form is gone


def test_an_equity_offering_and_a_payout_need_a_verified_founder(app, client, session,
                                                                  fiona):
    from crowdfund.campaigns import services as campaigns

    offering = make_campaign(fiona, kind=CampaignKind.EQUITY, tiers=0)
    session.commit()
    checklist = {item.label: item.done for item in campaigns.readiness(offering)}
    assert checklist["Your identity verified"] is False
    page = client.post(f"/studio/{offering.id}/submit", follow_redirects=True)
    assert "Your identity verified" in page.get_data(as_text=True)
    assert db.session.get(type(offering), offering.id).status is CampaignStatus.DRAFT


def test_the_campaign_page_says_what_was_checked_and_when(app, client, auth, session, fiona):
    from crowdfund.auth.services import set_verification

    _send(client)
    operator = make_user(operator=True)
    live = make_campaign(fiona, status=CampaignStatus.LIVE)
    session.commit()
    with app.app_context():
        set_verification(db.session.get(User, fiona.id), db.session.get(User, operator.id),
                         status=V.VERIFIED, legal_name="Fiona Q. Founder", note="Passport")
        db.session.commit()
    page = client.get(f"/campaigns/{live.slug}").get_data(as_text=True)
    assert re.search(r"Legal name, date of birth and address checked against an identity "
                     r"document on \w{3} \d+, \d{4}", page)


def test_an_unverified_founder_is_not_paid(app, session):
    from crowdfund.errors import DomainError
    from crowdfund.settlement import payouts
    from crowdfund.settlement.models import Payout, PayoutStatus

    founder = make_user()
    campaign = make_campaign(founder, status=CampaignStatus.SETTLED)
    founder.payout_account_id = "acct_1"
    payout = Payout(campaign_id=campaign.id, amount_minor=10_000, currency="USD",
                    status=PayoutStatus.DUE, idempotency_key=f"campaign-{campaign.id}-payout",
                    due_at=utcnow())
    session.add(payout)
    session.flush()
    with pytest.raises(DomainError, match="Verify the founder's identity"):
        payouts.mark_paid(payout, make_user(operator=True), "BANK-123")
    assert payouts.begin_transfer(payout, "acct_1") is False
    assert payout.status is PayoutStatus.DUE


def test_a_refused_form_with_the_same_photo_keeps_the_document_in_use(app, client, fiona):
    assert _send(client).status_code == 302
    key = _record(app, fiona.id).document_key
    assert _send(client, address="Porto").status_code == 400  # same photo, a bad address
    with app.app_context():
        assert storage().get(key) is not None  # still the one the check refers to


@pytest.mark.postgres_only
def test_two_first_decisions_at_once_make_one_check(app, session):
    """One row per founder: the first check read under a lock (it used to be a unique
    violation, a 500, for the second of two at once)."""
    from crowdfund.auth.services import set_verification
    from tests.factories import race

    founder, operator = make_user(), make_user(operator=True)
    session.commit()

    def decide():
        set_verification(db.session.get(User, founder.id), db.session.get(User, operator.id),
                         status=V.VERIFIED, legal_name="Fiona Founder", note="Passport")

    assert race(app, decide, decide) == ["ok", "ok"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(
            IdentityVerification)) == 1


def test_the_payouts_page_asks_an_unverified_founder_for_their_document(client, fiona):
    page = client.get("/studio/payouts").get_data(as_text=True)
    assert "We pay only founders whose identity is verified" in page
    assert 'href="/account/identity"' in page


def test_a_document_that_cannot_be_deleted_does_not_stop_the_others(app, session,
                                                                    monkeypatch):
    from crowdfund.auth import identity
    from crowdfund.supervision import JobFailure

    people = [make_user(), make_user()]
    for n, person in enumerate(people):
        session.add(IdentityVerification(
            user=person, status=V.VERIFIED, legal_name="X", document_key=f"identity/{n}.jpg",
            document_delete_after=utcnow() - timedelta(days=1)))
    session.commit()
    real = storage()

    class Flaky:
        def delete(self, key):
            if key == "identity/0.jpg":
                raise OSError("disk says no")
            real.delete(key)

    monkeypatch.setattr(identity, "storage", Flaky)
    with app.app_context():
        assert identity.delete_expired_documents() == 1
        keys = dict(db.session.execute(sa.select(IdentityVerification.user_id,
                                                 IdentityVerification.document_key)).all())
        assert keys == {people[0].id: "identity/0.jpg", people[1].id: None}
        failure = db.session.scalar(sa.select(JobFailure).where(
            JobFailure.job == "identity document"))
        assert "disk says no" in failure.last_error


#: What a founder might type to run script in an operator's browser.
HOSTILE = {"legal_name": "<script>alert('name')</script> Fiona",
           "address": '<img src=x onerror="alert(1)"> 12 Harbour Street, Porto'}
ESCAPED = {"legal_name": "&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt; Fiona",
           "address": "&lt;img src=x onerror=&#34;alert(1)&#34;&gt; 12 Harbour Street, Porto"}


def test_identity_details_are_escaped_where_operators_and_the_founder_read_them(
        app, client, auth, session, fiona):
    assert _send(client, **HOSTILE).status_code == 302
    operator = make_user(operator=True)
    session.commit()
    auth.logout()
    auth.login_as(operator)
    page = client.get(f"/operators/founders/{fiona.id}").get_data(as_text=True)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert f"<dd>{ESCAPED['legal_name']}</dd>" in page  # what the founder sent
    assert f'value="{ESCAPED["legal_name"]}"' in page  # the decision form, filled in
    assert f"<dd>{ESCAPED['address']}</dd>" in page
    waiting = client.get("/operators/").get_data(as_text=True)  # the checks waiting
    assert "<script>alert" not in waiting and ESCAPED["legal_name"] in waiting
    note = "Not this: <b onmouseover=alert(2)>" + HOSTILE["legal_name"]
    client.post(f"/operators/founders/{fiona.id}", data={
        "status": "rejected", "legal_name": HOSTILE["legal_name"], "note": note})
    audit = client.get("/operators/audit").get_data(as_text=True)
    assert "<b onmouseover" not in audit and "<script>alert" not in audit
    assert "Not this: &lt;b onmouseover=alert(2)&gt;&lt;script&gt;" in audit
    auth.logout()
    auth.login_as(fiona)
    own = client.get("/account/identity").get_data(as_text=True)
    assert "<b onmouseover" not in own and "<script>alert" not in own
    assert "Not this: &lt;b onmouseover=alert(2)&gt;" in own
