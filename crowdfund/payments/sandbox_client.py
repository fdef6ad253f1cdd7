"""Talking to the local Stripe sandbox's own ``/_config`` routes from the app's side (the
demo), with the standard library only: the sandbox's server (aiohttp, localstripe) is not
installed in production."""

from __future__ import annotations

import urllib.request


def forget_everything(api_base: str) -> None:
    """Empty the sandbox at ``api_base`` (``DELETE /_config/data``): its objects and the
    idempotent answers it remembers."""
    request = urllib.request.Request(f"{api_base}/_config/data",  # noqa: S310 - 127.0.0.1
                                     method="DELETE")
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310
        pass
