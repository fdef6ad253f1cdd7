"""A sandbox deployment (``SANDBOX_DEPLOYMENT=1``: no real payments) says so on every page,
the operators' console included; any other deployment shows nothing of the kind."""

from tests.factories import make_user

BANNER = "this site takes no real payments"


def test_every_page_of_a_sandbox_deployment_says_so(app, client, auth, session, monkeypatch):
    monkeypatch.setitem(app.config, "SANDBOX_DEPLOYMENT", True)
    operator = make_user(operator=True)
    session.commit()
    for url in ("/", "/login", "/no-such-page"):
        assert BANNER in client.get(url).get_data(as_text=True), url
    auth.login_as(operator)
    for url in ("/operators/", "/operators/settlement", "/account/profile"):
        page = client.get(url)
        assert page.status_code == 200 and BANNER in page.get_data(as_text=True), url


def test_a_deployment_taking_real_payments_shows_no_banner(app, client):
    assert app.config["SANDBOX_DEPLOYMENT"] is False
    assert BANNER not in client.get("/").get_data(as_text=True)
