"""crowdfund: reward and equity crowdfunding, all-or-nothing, done correctly with money."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

from flask import Flask

from crowdfund import logs, pagecache
from crowdfund.config import ConfigError, config_for, refuse_plain_http_payments


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application: config, extensions, blueprints, error pages, commands."""
    instance = os.environ.get("INSTANCE_PATH") or None  # each machine's own folder
    if instance and not os.path.isabs(instance):
        raise ConfigError(f"INSTANCE_PATH must be an absolute path, not {instance!r}.")
    app = Flask(
        __name__,
        instance_path=instance,
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    env_name = (test_config or {}).get("ENV_NAME") or os.environ.get("CROWDFUND_ENV")
    config_cls = config_for(env_name)
    app.config.from_object(config_cls)
    app.config.update(config_cls.from_environment())
    if test_config:
        app.config.update(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _finish_config(app)

    from crowdfund.web import (
        BoundedIntConverter,
        PrintablePathConverter,
        PrintableStringConverter,
    )

    # Path values a database can take: ints that fit an INTEGER, text without NUL.
    app.url_map.converters.update(int=BoundedIntConverter, default=PrintableStringConverter,
                                  string=PrintableStringConverter, path=PrintablePathConverter)
    logs.init_app(app)
    register_extensions(app)
    register_subscribers()
    register_blueprints(app)
    register_jobs(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    register_security_headers(app)
    pagecache.init_app(app)
    app.wsgi_app = ServerTiming(app.wsgi_app)
    return app


class ServerTiming:
    """``Server-Timing: app;dur=<ms>`` on every response: how long the application took
    (from the request's arrival in the worker to its response, without the time spent
    queueing for a worker), for browsers' developer tools and for ``bench/``."""

    def __init__(self, wsgi_app) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        started = time.perf_counter()

        def timed(status, headers, exc_info=None):
            took = (time.perf_counter() - started) * 1000
            return start_response(status, [*headers, ("Server-Timing", f"app;dur={took:.1f}")],
                                  exc_info)

        return self.wsgi_app(environ, timed)


def _finish_config(app: Flask) -> None:
    """Defaults that depend on the instance folder, and the fail-fast checks."""
    if not app.config.get("SECRET_KEY"):
        if app.config["ENV_NAME"] != "development":
            raise ConfigError(
                "SECRET_KEY is not set. Set the SECRET_KEY environment variable "
                "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')."
            )
        key_file = Path(app.instance_path) / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
        app.config["SECRET_KEY"] = key_file.read_text().strip()
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        if app.config["ENV_NAME"] == "production":
            raise ConfigError("DATABASE_URL is not set.")
        db_path = Path(app.instance_path) / "crowdfund.sqlite3"
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{db_path}"
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options.setdefault("connect_args", {}).setdefault("timeout", 30)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if app.config["SMTP_SECURITY"] not in ("none", "starttls", "ssl"):
        raise ConfigError("SMTP_SECURITY must be none, starttls or ssl.")
    _check_reader_defaults(app)
    refuse_plain_http_payments(app.config)
    if app.config.get("PROXY_COUNT"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)


def _check_reader_defaults(app: Flask) -> None:
    """DEFAULT_LOCALE is a language we speak, DEFAULT_TIMEZONE a zone we know."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from crowdfund.i18n import LANGUAGES

    if app.config["DEFAULT_LOCALE"] not in LANGUAGES:
        raise ConfigError(f"DEFAULT_LOCALE must be one of {', '.join(LANGUAGES)}, "
                          f"not {app.config['DEFAULT_LOCALE']!r}.")
    try:
        ZoneInfo(app.config["DEFAULT_TIMEZONE"])
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"DEFAULT_TIMEZONE must be a time zone such as Asia/Shanghai, not "
                          f"{app.config['DEFAULT_TIMEZONE']!r}.") from None


def register_extensions(app: Flask) -> None:
    from crowdfund.extensions import csrf, db, login_manager, migrate

    db.init_app(app)
    from crowdfund.db import end_request, install

    with app.app_context():
        for engine in db.engines.values():
            install(engine)

    # Runs before Flask-SQLAlchemy removes the session (request teardown comes first).
    app.teardown_request(lambda error: end_request(db.session(), error))
    from crowdfund.web import note_reads_first

    app.url_value_preprocessor(note_reads_first)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    csrf.init_app(app)
    from crowdfund import i18n
    from crowdfund.i18n import _l

    i18n.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    # Flashed in the reader's language: the lazy text is made a string when flashed.
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.localize_callback = str
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    from crowdfund import payments

    payments.init_app(app)
    # Models are imported here so that metadata is complete for Alembic.
    from crowdfund import models  # noqa: F401


def register_subscribers() -> None:
    """Connect each feature's reactions to the domain events (``crowdfund.events``), in
    this order: emails first, then followers, then equity's milestones, then pledges;
    and the gateway's webhook events to the features they are about.
    Connecting twice (another app in the process) changes nothing."""
    from crowdfund.campaigns import subscribers as campaigns
    from crowdfund.community import subscribers as community
    from crowdfund.equity import subscribers as equity
    from crowdfund.fulfilment import subscribers as fulfilment
    from crowdfund.notifications import subscribers as notifications
    from crowdfund.pledges import subscribers as pledges
    from crowdfund.settlement import subscribers as settlement

    for feature in (notifications, community, equity, pledges, settlement, campaigns,
                    fulfilment):
        feature.register()


def register_blueprints(app: Flask) -> None:
    # A package's __init__ only makes its blueprint; the modules that add views and
    # commands to it are imported here (importing a package's models never imports its
    # pages, and with them the rest of the app).
    from crowdfund.auth import account_routes as _account_routes  # noqa: F401
    from crowdfund.auth import api_token_routes as _api_token_routes  # noqa: F401
    from crowdfund.auth import bp as auth_bp
    from crowdfund.auth import choices_routes as _choices_routes  # noqa: F401
    from crowdfund.auth import cli as _auth_cli  # noqa: F401
    from crowdfund.auth import identity_routes as _identity_routes  # noqa: F401
    from crowdfund.auth import privacy_routes as _privacy_routes  # noqa: F401
    from crowdfund.auth import reader_routes as _reader_routes  # noqa: F401
    from crowdfund.auth import routes as _auth_routes  # noqa: F401
    from crowdfund.auth import two_factor_routes as _two_factor_routes  # noqa: F401
    from crowdfund.campaigns import bp as campaigns_bp
    from crowdfund.campaigns import cli as _campaigns_cli  # noqa: F401
    from crowdfund.campaigns import studio_bp
    from crowdfund.community import studio as _community_studio  # noqa: F401
    from crowdfund.community import update_pages as _update_pages  # noqa: F401
    from crowdfund.community.routes import bp as community_bp
    from crowdfund.demo import bp as demo_bp
    from crowdfund.equity import eu_routes as _eu_routes  # noqa: F401 (the EU steps)
    from crowdfund.equity import studio as _equity_studio  # noqa: F401
    from crowdfund.equity.rates_cli import bp as rates_bp
    from crowdfund.equity.routes import bp as equity_bp
    from crowdfund.fulfilment import bp as fulfilment_bp
    from crowdfund.fulfilment import cli as _fulfilment_cli  # noqa: F401 (commands)
    from crowdfund.fulfilment import routes as _fulfilment_routes  # noqa: F401 (pledges' page)
    from crowdfund.fulfilment import studio as _fulfilment_studio  # noqa: F401
    from crowdfund.health import bp as health_bp
    from crowdfund.jobs import bp as jobs_bp
    from crowdfund.ledger.cli import bp as ledger_bp
    from crowdfund.main import bp as main_bp
    from crowdfund.main import campaign_page as _campaign_page  # noqa: F401
    from crowdfund.main import dev_mail as _dev_mail  # noqa: F401
    from crowdfund.main import kiis_page as _kiis_page  # noqa: F401
    from crowdfund.main import routes as _main_routes  # noqa: F401
    from crowdfund.main import site_pages as _site_pages  # noqa: F401
    from crowdfund.notifications.cli import bp as outbox_bp
    from crowdfund.operators import bp as operators_bp
    from crowdfund.operators import community as _operators_community  # noqa: F401
    from crowdfund.operators import differences as _operators_differences  # noqa: F401
    from crowdfund.operators import disputes as _operators_disputes  # noqa: F401
    from crowdfund.operators import fulfilment as _operators_fulfilment  # noqa: F401
    from crowdfund.operators import funding as _operators_funding  # noqa: F401
    from crowdfund.operators import money as _operators_money  # noqa: F401
    from crowdfund.operators import rates as _operators_rates  # noqa: F401
    from crowdfund.operators import routes as _operators_routes  # noqa: F401
    from crowdfund.payments.webhooks import bp as webhooks_bp
    from crowdfund.pledges import card_routes as _card_routes  # noqa: F401 (saved cards)
    from crowdfund.pledges import cli as _pledges_cli  # noqa: F401 (commands)
    from crowdfund.pledges.routes import bp as pledges_bp
    from crowdfund.settlement import fix_pages as _fix_pages  # noqa: F401 (pledges' pages)
    from crowdfund.settlement import late_pages as _late_pages  # noqa: F401 (pledges' pages)
    from crowdfund.settlement import studio as _settlement_studio  # noqa: F401
    from crowdfund.settlement.books import cli as _books_cli  # noqa: F401 (ledger reconcile)
    from crowdfund.settlement.cli import bp as settlement_bp
    from crowdfund.studio import add_ons as _studio_add_ons  # noqa: F401
    from crowdfund.studio import backers as _studio_backers  # noqa: F401
    from crowdfund.studio import drafts as _studio_drafts  # noqa: F401
    from crowdfund.studio import late as _studio_late  # noqa: F401
    from crowdfund.studio import page_extras as _studio_page_extras  # noqa: F401
    from crowdfund.studio import rewards as _studio_rewards  # noqa: F401

    for blueprint in (main_bp, auth_bp, campaigns_bp, studio_bp, operators_bp, pledges_bp,
                      webhooks_bp, demo_bp, jobs_bp, settlement_bp, ledger_bp, outbox_bp,
                      equity_bp, community_bp, health_bp, rates_bp, fulfilment_bp):
        app.register_blueprint(blueprint)
    register_api(app)


def register_api(app: Flask) -> None:
    """The JSON API (crowdfund/api/): its operations, its document and its reference."""
    from crowdfund.api import backer, core, docs, founder, public

    core.init_app(app, [public.bp, backer.bp, founder.bp])
    app.register_blueprint(docs.bp)


def register_jobs(app: Flask) -> None:
    """Background work (``crowdfund/queue.py``): the job kinds, and how a committed job
    reaches a runner: a Celery message when a broker is configured, nothing otherwise
    (the embedded ``flask jobs run --watch`` finds due jobs itself)."""
    from crowdfund import hints, jobs

    jobs.register_jobs()
    hints.init_app(app)
    if app.config.get("CELERY_BROKER_URL"):
        from crowdfund import tasks

        tasks.configure(app)


def register_errorhandlers(app: Flask) -> None:
    from flask import render_template
    from flask_wtf.csrf import CSRFError
    from werkzeug.exceptions import HTTPException

    from crowdfund.api import core as api_core
    from crowdfund.extensions import db
    from crowdfund.i18n import _

    def render_error(error: HTTPException):
        code = error.code or 500
        if code >= 500:
            db.session.rollback()
        if api_core.is_api_request():  # problem details, not a page
            return api_core.problem_for(error)
        template = f"errors/{code}.html" if code in (403, 404, 500) else "errors/generic.html"
        return render_template(template, error=error), code

    for code in (400, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(code, render_error)

    @app.errorhandler(HTTPException)
    def other_error(error: HTTPException):
        """Any other status: problem details in the API, Werkzeug's page elsewhere."""
        if api_core.is_api_request():
            return api_core.problem_for(error)
        return error

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_template("errors/generic.html", error=error,
                               message=_("The form expired or was sent from elsewhere. "
                                         "Go back, reload the page and try again.")), 400


def register_template_helpers(app: Flask) -> None:
    from crowdfund import filters
    from crowdfund.campaigns.states import CampaignKind, CampaignStatus
    from crowdfund.community.models import DeliveryStatus
    from crowdfund.equity.models import AllocationPolicy
    from crowdfund.pledges.models import PledgeStatus
    from crowdfund.queue import JobStatus
    from crowdfund.settlement.models import PayoutStatus

    filters.init_app(app)
    # Templates compare statuses with the enums (``pledge.status == PledgeStatus.ACTIVE``),
    # never with their values as strings.
    app.jinja_env.globals.update(
        AllocationPolicy=AllocationPolicy, CampaignKind=CampaignKind,
        CampaignStatus=CampaignStatus, DeliveryStatus=DeliveryStatus,
        JobStatus=JobStatus, PayoutStatus=PayoutStatus, PledgeStatus=PledgeStatus)


def register_commands(app: Flask) -> None:
    """Commands live on their blueprints (``flask users``, ``flask campaigns``, ``flask demo``)."""


def content_security_policy(js_url: str | None, api_base: str | None) -> str:
    """Our own origin, plus Stripe.js and the API it calls (Stripe's, or the sandbox's)."""
    from urllib.parse import urlsplit

    def origin(url: str | None) -> str | None:
        if not url or not url.startswith("http"):
            return None
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}"

    js = origin(js_url)
    api = origin(api_base) or (
        "https://api.stripe.com" if js == "https://js.stripe.com" else None)
    scripts = " ".join(filter(None, ["'self'", js]))
    connect = " ".join(filter(None, ["'self'", api, js]))
    frames = " ".join(filter(None, [js, "https://hooks.stripe.com" if api and "stripe.com" in api
                                    else None])) or "'none'"
    return (f"default-src 'self'; img-src 'self' https: data:; style-src 'self'; "
            f"script-src {scripts}; connect-src {connect}; frame-src {frames}; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'self'")


def register_security_headers(app: Flask) -> None:
    from functools import lru_cache

    policy_for = lru_cache(maxsize=8)(content_security_policy)
    hsts = app.config.get("STRICT_TRANSPORT_SECURITY")

    @app.after_request
    def headers(response):
        gateway = app.extensions["payment_gateway"]
        policy = policy_for(gateway.js_url or None, gateway.api_base)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault("Content-Security-Policy", policy)
        if hsts and app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault("Strict-Transport-Security", hsts)
        if response.mimetype == "text/html":  # in the reader's language (crowdfund/i18n.py)
            response.vary.update(("Cookie", "Accept-Language"))
        return response
