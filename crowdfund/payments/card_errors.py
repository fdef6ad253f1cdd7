"""What a person paying reads when the gateway refuses a card: our own sentences, in the
reader's language, chosen by the gateway's error code (and the bank's decline code), never
the gateway's English.

Codes are Stripe's (``error.code`` and ``error.decline_code`` of a card error and of a
SetupIntent's ``last_setup_error``; in the browser, Stripe.js speaks the page's language
itself: ``static/js/pledge.js``). Reasons a bank gives that a card is lost, stolen or
fraudulent are not told (Stripe's advice): those cards read as declined.
"""

from __future__ import annotations

from crowdfund.i18n import _l

#: A declined card, whatever the bank's reason.
DECLINED = _l("Your card was declined.")
#: The gateway failed (not the card): nothing the person did wrong.
SERVICE_FAILED = _l("The payment service could not complete this. Please try again.")
#: The bank wants the cardholder to confirm the payment (3-D Secure).
AUTHENTICATE = _l("Your bank needs you to confirm this payment.")

_FUNDS = _l("Your card has insufficient funds.")
_EXPIRED = _l("Your card has expired.")
_CVC = _l("Your card's security code (CVC) is incorrect.")
_NUMBER = _l("Your card number is incorrect.")
_EXPIRY = _l("Your card's expiry date is incorrect.")
_POSTAL = _l("Your card's postal code is incorrect.")
_LIMIT = _l("Your card has reached its limit. Try another card, or ask your bank to allow "
            "the payment.")
_NOT_SUPPORTED = _l("Your card does not support this kind of payment. Try another card.")
_CURRENCY = _l("Your card does not support this currency. Try another card.")
_TRY_LATER = _l("Your bank could not process the payment just now. Please try again in a "
                "few minutes.")
_PROCESSING = _l("An error occurred while processing your card. Please try again.")
_AUTH_FAILED = _l("Your bank could not confirm this payment. Please try again.")
_NO_CARD = _l("There is no saved card for this payment. Please pay with another card.")

#: Gateway and bank codes -> what the person reads.
MESSAGES = {
    "card_declined": DECLINED,
    "generic_decline": DECLINED,
    "authentication_required": AUTHENTICATE,
    "insufficient_funds": _FUNDS,
    "expired_card": _EXPIRED,
    "incorrect_cvc": _CVC,
    "invalid_cvc": _CVC,
    "incorrect_number": _NUMBER,
    "invalid_number": _NUMBER,
    "invalid_expiry_month": _EXPIRY,
    "invalid_expiry_year": _EXPIRY,
    "incorrect_zip": _POSTAL,
    "postal_code_invalid": _POSTAL,
    "card_velocity_exceeded": _LIMIT,
    "withdrawal_count_limit_exceeded": _LIMIT,
    "card_decline_rate_limit_exceeded": _LIMIT,
    "card_not_supported": _NOT_SUPPORTED,
    "transaction_not_allowed": _NOT_SUPPORTED,
    "currency_not_supported": _CURRENCY,
    "try_again_later": _TRY_LATER,
    "issuer_not_available": _TRY_LATER,
    "reenter_transaction": _TRY_LATER,
    "processing_error": _PROCESSING,
    "payment_intent_authentication_failure": _AUTH_FAILED,
    "setup_intent_authentication_failure": _AUTH_FAILED,
    "no_card": _NO_CARD,
}


def message_for(*codes: str | None) -> str | None:
    """Our sentence for the first of ``codes`` we know (the most precise first: the bank's
    decline code, then the gateway's code), in the reader's language; None for none."""
    for code in codes:
        if code and code in MESSAGES:
            return str(MESSAGES[code])
    return None
