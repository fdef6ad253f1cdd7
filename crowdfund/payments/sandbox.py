"""The local Stripe sandbox: localstripe on 127.0.0.1, behaving like Stripe where we rely on it.

    python -m crowdfund.payments.sandbox --port 8420 [--webhook-url URL --webhook-secret S]

What this launcher adds to localstripe (see docs/money.md#the-local-sandbox):

- no pickle of the whole store to a shared file in /tmp on every write;
- binds 127.0.0.1 only;
- ``Idempotency-Key`` replay: a repeated key gets the first response again (Stripe keeps
  them 24 h), and the same key with other parameters is refused, as Stripe does;
- with ``--faults`` (tests only): ``POST /_config/faults`` queues injected failures (429 with
  ``Stripe-Rate-Limited-Reason``, 500, delays) for matching requests, and
  ``DELETE /_config/idempotency`` forgets the remembered keys (Stripe's 24 hours, passed);
- Stripe's ``created`` filter and newest-first order on the lists reconciliation reads
  (``sandbox_lists.py``);
- ``DELETE /_config/data`` also forgets the remembered idempotent responses;
- with ``--state-file PATH`` (``make run``: ``instance/sandbox-state.pickle``) everything is
  kept in that file across restarts (``sandbox_disk``); without, in memory only (tests);
- its Stripe.js card form takes an expiry as people type it: a two- or four-digit year
  ("30", "2030"), or "12/30" in the month box; a card number with spaces;
- a saved card's SetupIntent created and confirmed on the server (``sandbox_cards.py``),
  and its Stripe.js runs the 3-D Secure challenge of such a SetupIntent
  (``confirmCardSetup(clientSecret)`` with no card).

Ready when ``GET /js.stripe.com/v3/`` answers 200.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from crowdfund.payments import sandbox_cards, sandbox_lists
from crowdfund.payments.sandbox_disk import StateFile

log = logging.getLogger("crowdfund.sandbox")


@dataclass
class _Stored:
    fingerprint: str
    status: int
    body: bytes
    content_type: str


@dataclass
class FaultRule:
    """Answer matching requests with ``status`` (or only delay them), ``count`` times."""

    method: str = "POST"
    path_prefix: str = "/v1/"
    status: int | None = None
    delay: float = 0.0
    count: int = 1


@dataclass
class SandboxState:
    responses: dict[str, _Stored] = field(default_factory=dict)
    locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    faults: list[FaultRule] = field(default_factory=list)
    #: Requests seen per (method, path prefix) — lets tests see retries happen.
    seen: dict[str, int] = field(default_factory=dict)
    #: When each request arrived (wall clock) and what it was: the observed request rate.
    stamps: list[tuple[float, str]] = field(default_factory=list)


def _error_body(status: int) -> dict:
    if status == 429:
        return {"error": {"type": "invalid_request_error", "code": "rate_limit",
                          "message": "Too many requests hit the API too quickly."}}
    return {"error": {"type": "api_error", "message": "Injected server error."}}


def build_app(*, faults: bool = False, state_file: str | None = None) -> web.Application:
    """localstripe's aiohttp app with our middlewares and routes added; with
    ``state_file``, its state is read from that file and kept there."""
    import localstripe.resources as resources
    from localstripe.errors import UserError

    # Never pickle the store to /tmp/localstripe.pickle (slow, shared between instances).
    resources.Store.dump_to_disk = lambda self: None
    from localstripe import server

    app = server.app
    state = SandboxState()
    app["sandbox_state"] = state
    # localstripe's own middlewares first (errors, auth), then ours around the handlers.
    if state_file:  # read now, saved after write requests and at shutdown
        disk = StateFile(state_file, resources.store, state.responses, _Stored)
        app["sandbox_loaded"] = disk.load()
        app.on_shutdown.append(disk.on_shutdown)
        app.middlewares.append(disk.middleware())
    app.middlewares.append(_fault_middleware(state))
    app.middlewares.append(_idempotency_middleware(state, UserError))
    app["stripe_js"] = stripe_js()
    config = _ConfigRoutes(state, resources)
    # Replace localstripe's DELETE /_config/data by ours (it also forgets idempotency keys),
    # and its Stripe.js by the one that reads a card as people type it.
    for resource in app.router.resources():
        if resource.canonical == "/_config/data":
            for route in resource:
                if route.method == "DELETE":
                    route._handler = config.clear
        if resource.canonical == "/js.stripe.com/v3/":
            for route in resource:
                route._handler = _stripe_js
    sandbox_lists.install(app)  # Stripe's list filters (reconciliation): see that module
    sandbox_cards.install(app)  # a saved card's SetupIntent confirmed on the server
    if faults:
        app.router.add_post("/_config/faults", config.set_faults)
        app.router.add_get("/_config/faults/seen", config.get_seen)
        app.router.add_get("/_config/stamps", config.get_stamps)
        app.router.add_delete("/_config/idempotency", config.forget_keys)
    return app


#: localstripe's Stripe.js, changed where it misreads what people type: (its text, ours).
_STRIPE_JS_FIXES = [
    # The year box: localstripe put "20" before whatever was typed ("2030" -> "202030").
    ("""          number: this._inputs.number.value,
          exp_month: this._inputs.exp_month.value,
          exp_year: '20' + this._inputs.exp_year.value,""",
     """          number: this._inputs.number.value.replace(/[\\s-]/g, ''),
          ...crowdfundExpiry(this._inputs.exp_month.value, this._inputs.exp_year.value),"""),
    # It moved on to the CVC once "20" was typed, before the rest of "2030".
    ("this.value.card.exp_year.length >= 4", "crowdfundYearTyped(this._inputs.exp_year.value)"),
    # confirmCardSetup(clientSecret) with no card: a saved card's SetupIntent, confirmed on
    # the server, waits for 3-D Secure; Stripe.js runs the challenge (localstripe threw).
    ("        if (data.payment_method.card instanceof Element) {",
     "        if (!data || !data.payment_method) {\n          data = null;\n"
     "        } else if (data.payment_method.card instanceof Element) {"),
    ("""        let response = await fetch(url, {
          method: 'POST',
          body: JSON.stringify({
            key: apiKey,
            use_stripe_sdk: true,
            client_secret: clientSecret,
            payment_method_data: {
              type: 'card',""",
     """        let response = data === null ? crowdfundWaiting() : await fetch(url, {
          method: 'POST',
          body: JSON.stringify({
            key: apiKey,
            use_stripe_sdk: true,
            client_secret: clientSecret,
            payment_method_data: {
              type: 'card',"""),
]
_STRIPE_JS_HELPERS = """
// crowdfund: an expiry as people type it ("12" and "30" or "2030"; or "12/30" in one box).
function crowdfundExpiry(month, year) {
  const both = /^\\s*(\\d{1,2})\\s*\\/\\s*(\\d{2}|\\d{4})\\s*$/.exec(month);
  if (both) { month = both[1]; year = both[2]; }
  year = year.replace(/\\D/g, '');
  return {exp_month: month.trim(), exp_year: year.length === 2 ? '20' + year : year};
}
// A year is complete at four digits, or two that cannot begin one ("20" may become "2030").
function crowdfundYearTyped(year) {
  const digits = year.replace(/\\D/g, '');
  return digits.length >= 4 || (digits.length === 2 && digits !== '20');
}
// What the first confirm step would answer for a SetupIntent already waiting for 3-D Secure.
function crowdfundWaiting() {
  return {status: 200, json: async () => ({status: 'requires_action'})};
}
"""


def stripe_js() -> str:
    """localstripe's Stripe.js with :data:`_STRIPE_JS_FIXES` applied."""
    import localstripe

    text = (Path(localstripe.__file__).parent / "localstripe-v3.js").read_text()
    for theirs, ours in _STRIPE_JS_FIXES:
        if text.count(theirs) != 1:
            raise RuntimeError(f"localstripe's Stripe.js changed: {theirs.strip()[:60]!r}")
        text = text.replace(theirs, ours)
    return text + _STRIPE_JS_HELPERS


async def _stripe_js(request: web.Request) -> web.Response:
    return web.Response(text=request.app["stripe_js"], content_type="application/javascript")


def _fault_middleware(state: SandboxState):
    """Counts every request; delays or fails those the current fault rules match."""
    @web.middleware
    async def fault_middleware(request: web.Request, handler):
        key = f"{request.method} {request.path}"
        state.seen[key] = state.seen.get(key, 0) + 1
        state.stamps.append((time.time(), key))
        rule = next((r for r in state.faults if r.count > 0 and request.method == r.method
                     and request.path.startswith(r.path_prefix)), None)
        if rule is None:
            return await handler(request)
        rule.count -= 1
        if rule.delay:
            await asyncio.sleep(rule.delay)
        if rule.status is None:
            return await handler(request)
        headers = {"Stripe-Rate-Limited-Reason": "global-rate"} if rule.status == 429 else {}
        return web.json_response(_error_body(rule.status), status=rule.status,
                                 headers=headers)

    return fault_middleware


def _idempotency_middleware(state: SandboxState, user_error: type[Exception]):
    """Stripe's idempotency keys, which localstripe lacks: the first answer to a key is
    replayed; the same key with other parameters is refused."""
    @web.middleware
    async def idempotency_middleware(request: web.Request, handler):
        key = request.headers.get("Idempotency-Key")
        if request.method != "POST" or not key:
            return await handler(request)
        body = await request.read()
        fingerprint = hashlib.sha256(
            request.method.encode() + request.path.encode() + b"\0" + body
        ).hexdigest()
        async with state.locks.setdefault(key, asyncio.Lock()):
            stored = state.responses.get(key)
            if stored is not None:
                return _replay(stored, fingerprint)
            try:
                response = await handler(request)
            except user_error as error:  # localstripe's 4xx (card declined...): Stripe
                response = error.to_response()  # stores those under the key too
            if response.status < 500 and response.status != 429 and isinstance(
                response, web.Response
            ):
                state.responses[key] = _Stored(fingerprint, response.status, response.body,
                                               response.content_type)
            return response

    return idempotency_middleware


def _replay(stored: _Stored, fingerprint: str) -> web.Response:
    if stored.fingerprint != fingerprint:
        return web.json_response({"error": {
            "type": "idempotency_error",
            "message": "Keys for idempotent requests can only be used with the "
                       "same parameters they were first used with."}}, status=400)
    return web.Response(body=stored.body, status=stored.status,
                        content_type=stored.content_type,
                        headers={"Idempotent-Replayed": "true"})


class _ConfigRoutes:
    """Our ``/_config`` routes: fault rules, the requests seen, and a full reset."""

    def __init__(self, state: SandboxState, resources) -> None:
        self.state, self.resources = state, resources  # localstripe's module: its store

    async def set_faults(self, request: web.Request) -> web.Response:
        rules = (await request.json()).get("rules", [])
        self.state.faults[:] = [FaultRule(**rule) for rule in rules]
        return web.json_response({"rules": len(self.state.faults)})

    async def get_seen(self, request: web.Request) -> web.Response:
        return web.json_response(self.state.seen)

    async def get_stamps(self, request: web.Request) -> web.Response:
        """``[[unix time, "METHOD /path"], ...]`` for requests since ``?since=<unix time>``."""
        try:
            since = float(request.query.get("since", "0"))
        except ValueError:
            return web.json_response({"error": "since: a number"}, status=400)
        return web.json_response([stamp for stamp in self.state.stamps if stamp[0] >= since])

    async def forget_keys(self, request: web.Request) -> web.Response:
        """Forget every remembered idempotency key, as Stripe does after 24 hours."""
        self.state.responses.clear()
        return web.Response()

    async def clear(self, request: web.Request) -> web.Response:
        self.resources.store.clear()
        for kept in (self.state.responses, self.state.locks, self.state.faults,
                     self.state.seen, self.state.stamps):
            kept.clear()
        return web.Response()


def register_webhook(url: str, secret: str) -> None:
    """Deliver events to ``url``, signed with ``secret`` (Stripe's scheme)."""
    from localstripe.webhooks import register_webhook as _register

    _register("crowdfund", url, secret, None)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--webhook-url")
    parser.add_argument("--webhook-secret")
    parser.add_argument("--faults", action="store_true", help="enable POST /_config/faults (tests)")
    parser.add_argument("--state-file", help="keep the sandbox's state in this file across "
                        "restarts (read at start, written after changes and at shutdown)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    app = build_app(faults=args.faults, state_file=args.state_file)
    if args.state_file:
        print(f"Stripe sandbox state: {args.state_file} ({app['sandbox_loaded']} objects "
              "kept from before)", flush=True)
    if args.webhook_url:
        if not args.webhook_secret:
            parser.error("--webhook-url needs --webhook-secret")
        register_webhook(args.webhook_url, args.webhook_secret)
    print(f"Stripe sandbox (localstripe) on http://{args.host}:{args.port}", flush=True)
    web.run_app(app, host=args.host, port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
