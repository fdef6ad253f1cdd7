"""Saved cards as Stripe handles them, added to the sandbox's localstripe.

localstripe creates a SetupIntent only empty (``payment_method`` and ``confirm`` are a 400
"Unexpected"), so a card saved on a customer cannot be set up again from the server.
:func:`install` replaces its ``POST /v1/setup_intents`` by one that also takes
``payment_method`` (a card that must be attached to the SetupIntent's ``customer``, or to
nobody; another customer's card is a 400 as on Stripe) and ``confirm=true``: the
SetupIntent is confirmed at once with localstripe's own rules, so a 3-D Secure test card
answers ``requires_action`` (asked again every time, as Stripe does for
``4000 0025 0000 3155`` on-session) and a card refused at setup a 402 ``card_declined``.
Listing a customer's cards (``GET /v1/payment_methods?customer=&type=card``) and detaching
one are localstripe's own. See docs/money.md#saved-cards.
"""

from __future__ import annotations

from aiohttp import web

_PATH = "/v1/setup_intents"


def install(app: web.Application) -> None:
    """Replace localstripe's POST route that creates SetupIntents."""
    import localstripe.resources as resources
    from localstripe import server
    from localstripe.errors import UserError

    for resource in app.router.resources():
        if resource.canonical == _PATH:
            for route in resource:
                if route.method == "POST":
                    route._handler = _creator(resources, server, UserError)
                    return
    raise RuntimeError(f"localstripe has no POST {_PATH} route any more")


def _true(value) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _creator(resources, server, user_error):
    async def handler(request: web.Request) -> web.Response:
        data = await server.get_post_data(request) or {}
        expand = data.pop("expand", None)
        payment_method = data.pop("payment_method", None)
        confirm = _true(data.pop("confirm", False))
        data.pop("return_url", None)  # a redirect after 3-D Secure: not simulated
        card = None
        if payment_method is not None:
            if not isinstance(payment_method, str):
                raise user_error(400, "Bad request")
            card = resources.PaymentMethod._api_retrieve(payment_method)  # 404 if unknown
            if card.customer is not None and card.customer != data.get("customer"):
                raise user_error(400, f"The payment method {payment_method} belongs to "
                                      "another customer.",
                                 {"code": "payment_method_not_available",
                                  "param": "payment_method"})
        elif confirm:
            raise user_error(400, "A SetupIntent confirmed at creation needs a "
                                  "payment_method.")
        intent = resources.SetupIntent._api_create(**data)
        if card is not None:
            if confirm:
                resources.SetupIntent._api_confirm(intent.id, payment_method=card.id)
            else:
                intent.payment_method = card.id
                intent.status = "requires_confirmation"
        return server.json_response(intent._export(expand=expand))

    return handler
