"""What a person paying reads when a card is refused: our own sentence for the gateway's
codes (translated like every text), never the gateway's English; the gateway's words stay
the exception's text, for logs and operators."""

import pytest
import stripe

from crowdfund.payments.gateway import (
    AuthenticationRequired,
    CardDeclined,
    InvalidRequest,
    PaymentError,
    SetupIntentInfo,
)
from crowdfund.payments.stripe_gateway import _translate


def _card_error(code, decline_code=None, message="Stripe's own words for it."):
    body = {"error": {"type": "card_error", "code": code, "message": message,
                      **({"decline_code": decline_code} if decline_code else {})}}
    return stripe.CardError(message, None, code, json_body=body, http_status=402)


@pytest.mark.parametrize(("code", "decline_code", "expected"), [
    ("card_declined", "insufficient_funds", "Your card has insufficient funds."),
    ("card_declined", "generic_decline", "Your card was declined."),
    ("card_declined", "stolen_card", "Your card was declined."),  # the reason is not told
    ("expired_card", None, "Your card has expired."),
    ("incorrect_cvc", None, "Your card's security code (CVC) is incorrect."),
    ("processing_error", None, "An error occurred while processing your card. Please try "
                               "again."),
    ("some_new_code", None, "Your card was declined."),
])
def test_a_refused_card_reads_in_our_words(app, code, decline_code, expected):
    error = _translate(_card_error(code, decline_code))
    assert isinstance(error, CardDeclined)
    with app.test_request_context():
        assert error.user_message == expected
    assert str(error) == "Stripe's own words for it."  # for logs and operators
    assert error.code == code and error.decline_code == decline_code


def test_authentication_and_other_failures(app):
    needs = _translate(_card_error("authentication_required"))
    assert isinstance(needs, AuthenticationRequired)
    with app.test_request_context():
        assert needs.user_message == "Your bank needs you to confirm this payment."
        assert InvalidRequest("No such customer: cus_1", code="resource_missing").user_message \
            == "The payment service could not complete this. Please try again."
        assert PaymentError("x", user_message="Said by the caller.").user_message \
            == "Said by the caller."


def test_a_card_not_set_up_says_why_in_our_words(app):
    failed = SetupIntentInfo(id="seti_1", status="requires_payment_method", client_secret="s",
                             customer_id="cus_1", payment_method_id=None,
                             error_message="Stripe's own words.", error_code="card_declined",
                             decline_code="expired_card")
    done = SetupIntentInfo(id="seti_2", status="succeeded", client_secret="s",
                           customer_id="cus_1", payment_method_id="pm_1")
    with app.test_request_context():
        assert failed.user_message == "Your card has expired."
        assert done.user_message is None
