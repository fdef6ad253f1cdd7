"""Talking to the local Stripe sandbox from the app's side (the demo, tests): its own
``/_config`` routes, and what its fake Stripe.js does in a browser. The standard library
only: the sandbox's server (aiohttp, localstripe) is not installed in production, where
``flask demo seed`` may still run against a sandbox deployment (SANDBOX_DEPLOYMENT)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request


def forget_everything(api_base: str) -> None:
    """Empty the sandbox at ``api_base`` (``DELETE /_config/data``): its objects and the
    idempotent answers it remembers."""
    request = urllib.request.Request(f"{api_base}/_config/data",  # noqa: S310 - 127.0.0.1
                                     method="DELETE")
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310
        pass


def confirm_setup_as_browser(api_base: str, client_secret: str, number: str | None = None,
                             *, publishable_key: str = "pk_test_sandbox") -> dict:
    """Do what Stripe.js's confirmCardSetup does against the sandbox (demo seed, tests).

    With ``number``: submit that test card. Without: the second step after a 3-D Secure
    challenge ("Complete authentication"). Returns the sandbox's JSON answer.
    """
    seti = client_secret.split("_secret_")[0]
    body: dict = {"key": publishable_key, "use_stripe_sdk": True, "client_secret": client_secret}
    if number:
        body["payment_method_data"] = {"type": "card", "card": {
            "number": number, "exp_month": "12", "exp_year": "2034", "cvc": "123"}}
    request = urllib.request.Request(  # noqa: S310 - the sandbox on 127.0.0.1
        f"{api_base}/v1/setup_intents/{seti}/confirm", data=json.dumps(body).encode(),
        method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        return json.loads(error.read() or b"{}")


def confirm_payment_as_browser(api_base: str, client_secret: str, *, success: bool = True,
                               publishable_key: str = "pk_test_sandbox") -> dict:
    """Do what Stripe.js's confirmCardPayment does against the sandbox: answer the 3-D
    Secure challenge of a PaymentIntent ("Complete" or "Fail authentication")."""
    pi = client_secret.split("_secret_")[0]
    body = {"key": publishable_key, "client_secret": client_secret}
    request = urllib.request.Request(  # noqa: S310 - the sandbox on 127.0.0.1
        f"{api_base}/v1/payment_intents/{pi}/_authenticate?success={str(success).lower()}",
        data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        return json.loads(error.read() or b"{}")
