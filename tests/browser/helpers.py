"""What a person does in the browser tests: read in a language, sign in, type a card into
Stripe.js's form."""

from __future__ import annotations

from tests.factories import PASSWORD


def in_language(context, base: str, language: str) -> None:
    """Pages of ``context`` in ``language`` ("en", "zh_Hans"...), as after the footer's
    switch: its ``lang`` cookie (people of the tests have no language of their own)."""
    if language != "en":
        context.add_cookies([{"name": "lang", "value": language, "url": base}])


def sign_in(page, email):
    page.goto(page.base + "/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: not url.endswith("/login"))  # home, or operators' console


def type_card(page, number):
    page.wait_for_selector("#card-element input[placeholder=number]")
    page.fill("#card-element input[placeholder=number]", number)
    page.fill("#card-element input[placeholder=exp_month]", "12")
    page.fill("#card-element input[placeholder=exp_year]", "34")
    page.fill("#card-element input[placeholder=cvc]", "123")
    page.fill("#card-element input[placeholder=postal_code]", "10001")
