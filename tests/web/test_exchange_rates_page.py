"""The operators' exchange rates page: rates in force, history and who loaded what; a CSV
upload or a rate typed by hand, whose problems are answered next to their field (400)
with nothing written; operators only; CSRF."""

from __future__ import annotations

import io

import sqlalchemy as sa

from crowdfund.equity.rate_models import ExchangeRate, ExchangeRateLoad
from crowdfund.extensions import db
from tests.factories import make_user

GOOD = (b"date,base,quote,rate\n"
        b"2026-11-30,EUR,USD,1.0834\n"
        b"2026-11-30,EUR,JPY,162.37\n")


def _counts() -> tuple[int, int]:
    db.session.rollback()
    return (db.session.scalar(sa.select(sa.func.count()).select_from(ExchangeRate)),
            db.session.scalar(sa.select(sa.func.count()).select_from(ExchangeRateLoad)))


def _upload(client, data: bytes, name: str = "ecb.csv", source: str = "ECB reference rate"):
    return client.post("/operators/rates/upload", content_type="multipart/form-data",
                       data={"upload-file": (io.BytesIO(data), name),
                             "upload-source": source})


def _add(client, **changes):
    data = {"add-effective_on": "2026-11-30", "add-base": "GBP", "add-quote": "USD",
            "add-rate": "1.2710", "add-source": "Bank of England"}
    data.update({f"add-{name}": value for name, value in changes.items()})
    return client.post("/operators/rates/add", data=data)


def _error_of(page: str, field: str) -> str:
    """The errors shown under ``field`` (the forms macro's ``<div id="...-error">``)."""
    start = page.index(f'<div id="{field}-error">')
    return page[start:page.index("</div>", start)]


def _operator(auth, name="Ada Ops"):
    operator = make_user(operator=True, name=name)
    db.session.commit()
    auth.login_as(operator)
    return operator


def test_an_operator_uploads_a_file_and_sees_it_in_force(app, client, auth, session):
    _operator(auth)
    empty = client.get("/operators/rates").get_data(as_text=True)
    assert "No exchange rate yet: commitments that need one are refused" in empty
    assert 'aria-current="page">Exchange rates</a>' in empty
    done = _upload(client, GOOD)
    assert done.status_code == 302 and done.location == "/operators/rates"
    page = client.get("/operators/rates").get_data(as_text=True)
    assert "ecb.csv: 2 rates added, 0 loaded already." in page
    assert "EUR → USD" in page and "1.0834" in page and "162.37" in page
    assert "the file ecb.csv" in page and "by Ada Ops" in page
    assert _counts() == (2, 1)
    again = _upload(client, GOOD)
    assert again.status_code == 302
    assert "ecb.csv: 0 rates added, 2 loaded already." in client.get(
        "/operators/rates").get_data(as_text=True)
    assert _counts() == (2, 2)


def test_a_bad_file_is_answered_next_to_its_field_and_nothing_is_written(
        app, client, auth, session):
    _operator(auth)
    bad = _upload(client, b"date,base,quote,rate\n2026-11-30,EUR,USD,1.08\n"
                          b"2026-11-30,EUR,ABC,1\n2026-13-01,EUR,GBP,0.85\n")
    assert bad.status_code == 400
    errors = _error_of(bad.get_data(as_text=True), "upload-file")
    assert "2 problems in these rates; nothing was loaded." in errors
    assert "Line 3: ABC is not a currency we support." in errors
    assert "Line 4: Write the date as YYYY-MM-DD, such as 2026-12-07." in errors
    assert _counts() == (0, 0)
    no_file = client.post("/operators/rates/upload", data={"upload-source": "ECB"})
    assert no_file.status_code == 400
    assert "Choose a CSV file." in _error_of(no_file.get_data(as_text=True), "upload-file")
    no_source = _upload(client, GOOD, source="")
    assert "Say where the rates come from." in _error_of(no_source.get_data(as_text=True),
                                                         "upload-source")
    assert _counts() == (0, 0)


def test_a_rate_typed_by_hand(app, client, auth, session):
    _operator(auth, name="Grace Ops")
    done = _add(client)
    assert done.status_code == 302
    page = client.get("/operators/rates").get_data(as_text=True)
    assert "Rate added: 1 GBP = 1.2710 USD from 2026-11-30." in page
    assert "a rate typed by hand" in page and "Bank of England" in page
    assert "GBP → USD" in page and "1.271" in page
    assert _counts() == (1, 1)
    same = _add(client, rate="1.271")
    assert same.status_code == 302
    assert "This rate was loaded already: nothing changed." in client.get(
        "/operators/rates").get_data(as_text=True)
    assert _counts() == (1, 2)


def test_a_bad_rate_typed_by_hand_is_answered_next_to_its_field(app, client, auth, session):
    _operator(auth)
    assert _add(client).status_code == 302
    cases = [({"rate": "0"}, "add-rate", "The rate must be more than zero."),
             ({"rate": "1,27"}, "add-rate", "Write the rate as a decimal number"),
             ({"rate": "1.3"}, "add-rate", "GBP to USD on 2026-11-30 is loaded already, at "
                                           "1.271: a loaded rate never changes."),
             ({"quote": "GBP"}, "add-quote", "The two currencies are the same."),
             ({"quote": "XYZ"}, "add-quote", "Not a valid choice."),
             ({"effective_on": "30/11/2026"}, "add-effective_on", "Not a valid date value."),
             ({"effective_on": "2099-01-01"}, "add-effective_on",
              "The date must be from 2000 until tomorrow.")]
    for changes, field, message in cases:
        refused = _add(client, **changes)
        assert refused.status_code == 400, changes
        assert message in _error_of(refused.get_data(as_text=True), field), changes
    assert _counts() == (1, 1)


def test_only_operators_reach_the_page(app, client, auth, session):
    assert client.get("/operators/rates").status_code == 302  # to sign in
    assert _upload(client, GOOD).status_code == 302
    someone = make_user()
    db.session.commit()
    auth.login_as(someone)
    assert client.get("/operators/rates").status_code == 403
    assert _upload(client, GOOD).status_code == 403
    assert _add(client).status_code == 403
    assert _counts() == (0, 0)


def test_loading_needs_the_form_token(app, client, auth, session):
    _operator(auth)
    app.config["WTF_CSRF_ENABLED"] = True  # the suite's cleanup turns it off again
    page = client.get("/operators/rates").get_data(as_text=True)
    assert 'name="upload-csrf_token"' in page and 'name="add-csrf_token"' in page
    for response in (_upload(client, GOOD), _add(client)):
        assert response.status_code == 400
        assert b"The form expired or was sent from elsewhere" in response.data
    assert _counts() == (0, 0)
