"""Stripe's list requests as reconciliation makes them, added to the sandbox's localstripe.

localstripe lists PaymentIntents, charges, refunds and balance transactions, but without
Stripe's ``created`` filter (400, or a 500 "Not implemented" for charges but ``gt``), in
storage order, and balance transactions only at the old ``/v1/balance/history`` path. The
launcher (``sandbox.py``) replaces those list routes by :func:`install`'s, which take
``created[gt|gte|lt|lte]`` (or an exact ``created``), keep each resource's own filters
(refunds of one ``payment_intent``, charges of one ``customer``), answer newest first, and
page with ``limit`` and ``starting_after`` as Stripe does; ``/v1/balance_transactions``
is served too. The sandbox's balance transactions always have a fee of 0.
"""

from __future__ import annotations

from aiohttp import web

#: List paths and the localstripe class each lists.
_LISTS = {
    "/v1/payment_intents": "PaymentIntent",
    "/v1/charges": "Charge",
    "/v1/refunds": "Refund",
    "/v1/balance/history": "BalanceTransaction",
    "/v1/balance_transactions": "BalanceTransaction",
}
_BOUNDS = {"gt": lambda at, v: at > v, "gte": lambda at, v: at >= v,
           "lt": lambda at, v: at < v, "lte": lambda at, v: at <= v}


def install(app: web.Application) -> None:
    """Replace (or add) the GET list route of each of :data:`_LISTS` in localstripe's app."""
    import localstripe.resources as resources
    from localstripe import server

    replaced = set()
    for resource in app.router.resources():
        if resource.canonical in _LISTS:
            for route in resource:
                if route.method == "GET":
                    cls = getattr(resources, _LISTS[resource.canonical])
                    route._handler = _lister(cls, resource.canonical, resources, server)
                    replaced.add(resource.canonical)
    path = "/v1/balance_transactions"
    if path not in replaced:
        cls = resources.BalanceTransaction
        app.router.add_get(path, _lister(cls, path, resources, server))
        app.router.add_get(path + "/{id}", server.api_retrieve(cls, path))


def _created_filter(created, user_error):
    """``created`` as Stripe takes it (a dict of bounds, or one exact time) as a test."""
    if created is None:
        return lambda at: True
    if not isinstance(created, dict):
        created = {"eq": created}
    try:
        bounds = [(key, int(value)) for key, value in created.items()]
    except (TypeError, ValueError):
        raise user_error(400, "Invalid created") from None
    if not all(key in _BOUNDS or key == "eq" for key, _ in bounds):
        raise user_error(400, "Invalid created")
    return lambda at: all(at == v if key == "eq" else _BOUNDS[key](at, v) for key, v in bounds)


def _lister(cls, url: str, resources, server):
    async def handler(request: web.Request) -> web.Response:
        from localstripe.errors import UserError

        data = server.unflatten_data(request.query)
        keep = _created_filter(data.pop("created", None), UserError)
        page_args = {"limit": data.pop("limit", None),
                     "starting_after": data.pop("starting_after", None)}
        expand = data.pop("expand", None)
        listed = cls._api_list_all(url, **data)  # its own filters, and its own 400s
        items = [item for item in listed._list if keep(item.created)]
        items.sort(key=lambda item: item.created, reverse=True)  # newest first, as Stripe
        page = resources.List(url, **page_args)
        page._list = items
        return server.json_response(page._export(expand=expand))

    return handler
