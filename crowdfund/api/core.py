"""What every API operation shares (docs/api.md): the OpenAPI document, problem details,
bearer tokens, rate limits, caching headers, CORS, and the reader's language.

The API is JSON only and stateless: the session cookie is never read (no page can be
driven through the API, so CSRF does not apply), a request is signed in only by its
``Authorization: Bearer`` token. Errors have one shape, RFC 9457 problem details.
"""

from __future__ import annotations

import functools
import hashlib
import http
from collections.abc import Callable

from flask import Flask, current_app, g, jsonify, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import AnonymousUserMixin
from flask_smorest import Api
from flask_smorest import Blueprint as ApiBlueprint
from werkzeug.exceptions import HTTPException

from crowdfund.api.messages import translated
from crowdfund.api.schemas import ProblemSchema
from crowdfund.auth.api_tokens import ApiToken, Scope, TokenInvalid, authenticate
from crowdfund.auth.models import User
from crowdfund.errors import DomainError
from crowdfund.extensions import csrf, db
from crowdfund.i18n import _
from crowdfund.payments.gateway import AuthenticationRequired, CardDeclined, PaymentError
from crowdfund.web import client_ip

PREFIX = "/api/v1"
PROBLEM = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
#: An error response in the document: problem details (``@bp.alt_response(404, **...)``).
PROBLEM_DOC = {"schema": ProblemSchema, "content_type": PROBLEM}
#: Where a problem's ``type`` points: the API's own documentation of it.
TYPE_BASE = "/api/v1/docs#problem-"


def is_api_request() -> bool:
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


# --- problem details ------------------------------------------------------------------------

#: Titles of the statuses the API answers with, translated when shown.
def _title(code: int) -> str:
    titles = {
        400: _("Bad request"), 401: _("Not signed in"), 403: _("Not allowed"),
        404: _("Not found"), 405: _("Method not allowed"), 406: _("Not acceptable"),
        409: _("Conflict"), 410: _("Gone"), 412: _("Precondition failed"),
        413: _("Too large"), 415: _("Unsupported media type"),
        422: _("Invalid input"), 429: _("Too many requests"),
        500: _("Server error"), 502: _("Payment service error"),
        503: _("Unavailable"),
    }
    return titles.get(code, _("Error"))


def problem(status: int, detail: str | None = None, *, kind: str | None = None,
            errors: dict | None = None, headers: dict | None = None):
    """A problem details answer (RFC 9457): ``type`` a URI naming the kind of problem,
    ``title`` its short name, ``status``, ``detail`` this occurrence in words, and for
    invalid input ``errors``: {field: [messages]}."""
    body = {"type": TYPE_BASE + (kind or str(status)), "title": _title(status),
            "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _field_errors(messages) -> dict[str, list[str]]:
    """webargs' {location: {field: [messages]}} as {field: [messages]} (nested fields
    joined with dots)."""
    flat: dict[str, list[str]] = {}

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list) and not any(isinstance(v, dict | list) for v in value):
            flat.setdefault(prefix or "body", []).extend(translated(v) for v in value)
        else:
            flat.setdefault(prefix or "body", []).append(translated(value))

    for location_errors in (messages or {}).values():
        walk("", location_errors)
    return flat


def problem_for(error: HTTPException):
    """Any HTTP error raised in the API as problem details."""
    code = error.code or 500
    data = getattr(error, "data", None) or {}
    headers = dict(data.get("headers") or {})
    if code == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="crowdfund"')
    if code == 405 and getattr(error, "valid_methods", None):
        headers.setdefault("Allow", ", ".join(error.valid_methods))
    if code == 429:
        retry = getattr(error, "retry_after", None)
        if retry:
            headers["Retry-After"] = str(retry)
    errors = _field_errors(data.get("messages")) if data.get("messages") else None
    detail = data.get("message") or (error.description if code < 500 and not errors
                                     and error.description
                                     and not _is_werkzeug_default(error) else None)
    if errors and not detail:
        detail = _("Some values are not valid: see errors.")
    return problem(code, detail, kind=data.get("kind"), errors=errors, headers=headers)


def _is_werkzeug_default(error: HTTPException) -> bool:
    """Werkzeug's own English descriptions are not shown: the title says it."""
    return error.description == type(error).description


class CrowdfundApi(Api):
    """flask-smorest's Api with our error shape: problem details, documented as such."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:
        """None: the application's handlers answer problem details under /api/v1 and
        pages elsewhere (``crowdfund.register_errorhandlers``)."""

    def _register_responses(self) -> None:
        """Every error response documented as ``application/problem+json``."""
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["content"] = {PROBLEM: {"schema": PROBLEM_REF}}
            self.spec.components.response(status.name, response, lazy=True)
        self.spec.components.response("DEFAULT_ERROR", {
            "description": "An error, as problem details (RFC 9457)",
            "content": {PROBLEM: {"schema": PROBLEM_REF}}}, lazy=True)


def domain_problem(exc, *, kind: str | None = None):
    """A refusal of a platform rule (``DomainError``) as problem details: the same message
    the pages show next to the field (``errors``) when it names one."""
    status = getattr(exc, "status_code", 400)
    errors = {exc.field: [exc.message]} if getattr(exc, "field", None) else None
    return problem(status, exc.message, kind=kind or _kind_of(exc), errors=errors)


def _kind_of(exc) -> str:
    """The problem type of a refusal: its class name in kebab case ("tier-sold-out")."""
    name = type(exc).__name__
    return "".join(f"-{c.lower()}" if c.isupper() and i else c.lower()
                   for i, c in enumerate(name))


# --- tokens ---------------------------------------------------------------------------------


def bearer_secret() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def api_user() -> User:
    """The token's holder (only inside an operation that requires a token)."""
    return g.api_token.user


def requires(scope: Scope) -> Callable:
    """An operation for token holders whose token has ``scope``: 401 without a valid
    token, 403 with one that lacks the scope."""
    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            secret = bearer_secret()
            if secret is None:
                return problem(401, _("Send a personal access token: "
                                      "Authorization: Bearer <token>."), kind="token-missing",
                               headers={"WWW-Authenticate": 'Bearer realm="crowdfund"'})
            try:
                token = authenticate(secret)
            except TokenInvalid as exc:
                return problem(401, exc.message, kind="token-invalid", headers={
                    "WWW-Authenticate": 'Bearer realm="crowdfund", error="invalid_token"'})
            if scope not in token.scope_set:
                return problem(403, _("This token may not do this: it needs the “%(scope)s” "
                                      "scope.", scope=scope.value), kind="insufficient-scope",
                               headers={"WWW-Authenticate": 'Bearer realm="crowdfund", '
                                        f'error="insufficient_scope", scope="{scope.value}"'})
            g.api_token = token
            return view(*args, **kwargs)
        _document_token(wrapped, scope)
        return wrapped
    return decorate


def _document_token(view, scope: Scope) -> None:
    """The operation's security in the OpenAPI document: a bearer token with ``scope``,
    401 without one, 403 with one that lacks the scope."""
    manual = view.__dict__.setdefault("_apidoc", {}).setdefault("manual_doc", {})
    manual["security"] = [{"bearer": []}]
    manual["x-scope"] = scope.value
    problem_content = {PROBLEM: {"schema": PROBLEM_REF}}
    manual.setdefault("responses", {}).update({
        "401": {"description": "No token, or not a valid one", "content": problem_content},
        "403": {"description": f"The token lacks the {scope.value} scope",
                "content": problem_content}})


def current_token() -> ApiToken | None:
    return g.get("api_token")


# --- rate limits ----------------------------------------------------------------------------


def _token_or_client() -> str:
    """Per token when one is sent (its hash, no database read), else per client address."""
    secret = bearer_secret()
    if secret:
        return "token:" + hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return "client:" + (client_ip() or get_remote_address() or "-")


def _client() -> str:
    return "client:" + (client_ip() or get_remote_address() or "-")




# --- the blueprints' shared hooks -----------------------------------------------------------


def make_blueprint(name: str, description: str, url_prefix: str = "") -> ApiBlueprint:
    """An API blueprint: tokens only (no session), limits, CORS and caching headers."""
    blueprint = ApiBlueprint(f"api_{name}", __name__, url_prefix=PREFIX + url_prefix,
                             description=description)
    blueprint.before_request(_stateless)
    blueprint.register_error_handler(DomainError, _refused)
    blueprint.register_error_handler(PaymentError, _gateway_failed)
    blueprint.after_request(_headers)
    return blueprint


def _refused(exc: DomainError):
    """A rule refused the request: nothing it wrote stays."""
    db.session.rollback()
    return domain_problem(exc)


def _gateway_failed(exc: PaymentError):
    """The payment service refused or failed: nothing this request wrote stays; the reader
    gets our own words for its codes, never its English."""
    db.session.rollback()
    status = 402 if isinstance(exc, CardDeclined | AuthenticationRequired) else 502
    return problem(status, exc.user_message, kind="card-declined" if status == 402
                   else "payment-service")


def _stateless() -> None:
    """No session user in the API, whatever cookies come with the request."""
    g._login_user = AnonymousUserMixin()
    g.api_request = True


def _headers(response):
    """CORS for the origins the settings open it to; caching; language."""
    origin = request.headers.get("Origin")
    if origin and origin in current_app.config["API_CORS_ORIGINS"]:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = (
            "ETag, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset")
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = (
                "GET, POST, PATCH, PUT, DELETE, OPTIONS")
            response.headers["Access-Control-Allow-Headers"] = (
                "Authorization, Content-Type, Accept-Language, If-None-Match")
            response.headers["Access-Control-Max-Age"] = "600"
    response.vary.update(("Origin", "Accept-Language", "Authorization"))
    if request.method == "GET" and response.status_code == 200:
        max_age = getattr(g, "api_max_age", None)
        if max_age is not None and current_token() is None:
            response.cache_control.public = True
            response.cache_control.max_age = max_age
        else:
            response.cache_control.private = True
            response.cache_control.no_cache = True
        response.add_etag()
        response.make_conditional(request)
    elif "Cache-Control" not in response.headers:
        response.cache_control.no_store = True
    return response


def public_for(seconds: int) -> None:
    """This public read may be kept by caches for ``seconds``."""
    g.api_max_age = seconds


def init_app(app: Flask, blueprints: list[ApiBlueprint]) -> CrowdfundApi:
    """The API on ``app``: its document at /api/v1/openapi.json."""
    app.config.setdefault("API_TITLE", "crowdfund API")
    app.config.setdefault("API_VERSION", "1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("OPENAPI_URL_PREFIX", PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        broker = app.config.get("CELERY_BROKER_URL") or ""
        app.config["RATELIMIT_STORAGE_URI"] = (
            broker if broker.startswith(("redis://", "rediss://")) else "memory://")
    # One limiter per application (its storage is the app's); limits on the API only.
    # Redis down: the counts go on in this process's memory rather than failing requests.
    limiter = Limiter(key_func=_token_or_client, app=app, default_limits=[],
                      application_limits=[], headers_enabled=True, strategy="moving-window",
                      swallow_errors=True, in_memory_fallback_enabled=True)
    api = CrowdfundApi(app, spec_kwargs={
        "info": {"description": "The crowdfund JSON API: see /api/v1/docs."},
    })
    api.spec.components.schema("Problem", schema=ProblemSchema)
    api.spec.components.security_scheme("bearer", {
        "type": "http", "scheme": "bearer",
        "description": "A personal access token made on the account page (cf_...)."})
    for blueprint in blueprints:
        limiter.limit(lambda: current_app.config["API_RATE_LIMIT"])(blueprint)
        limiter.limit(lambda: current_app.config["API_CLIENT_RATE_LIMIT"], key_func=_client,
                      scope="api-client")(blueprint)
        api.register_blueprint(blueprint)
        csrf.exempt(blueprint)
    return api
