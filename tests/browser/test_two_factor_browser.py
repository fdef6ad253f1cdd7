"""An operator signs in in a real browser: password, then the code of their authenticator
app, then the console (which refuses them before the code)."""

from __future__ import annotations

import pyotp

from crowdfund.extensions import db
from tests.factories import PASSWORD, make_user, with_two_factor


def test_an_operator_signs_in_with_a_totp_code(app, page):
    app.config["OPERATOR_TWO_FACTOR_REQUIRED"] = True
    try:
        with app.app_context():
            operator = make_user(operator=True, name="Olga Operator")
            seed, _codes = with_two_factor(operator)
            db.session.commit()
            email = operator.email
            db.session.remove()
        page.goto(f"{page.base}/login")
        page.fill("#email", email)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{page.base}/login/code")
        page.goto(f"{page.base}/operators/")  # not before the code
        page.wait_for_url(lambda url: "/login" in url)
        page.goto(f"{page.base}/login/code")
        page.fill("#code", pyotp.TOTP(seed).now())
        page.click("button[type=submit]")
        page.wait_for_url(f"{page.base}/operators/")
        assert "Signed in" not in page.url and page.locator("h1").first.inner_text()
        page.goto(f"{page.base}/operators/settlement")
        assert page.url.endswith("/operators/settlement")
    finally:
        app.config["OPERATOR_TWO_FACTOR_REQUIRED"] = False
