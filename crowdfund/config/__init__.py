"""Configuration: one class per environment, values from the environment.

The environment is chosen with ``CROWDFUND_ENV`` (``development``, ``testing`` or
``production``; default ``production`` so that a forgotten variable fails safe).
Outside development and testing a ``SECRET_KEY`` is required: the factory refuses
to start without one.
"""

from __future__ import annotations

import os
from datetime import timedelta

from crowdfund.config.api import ApiSettings
from crowdfund.config.background import BackgroundSettings
from crowdfund.config.fulfilment import FulfilmentSettings
from crowdfund.config.money import MoneySettings


class ConfigError(RuntimeError):
    """The configuration cannot run the application."""


def _flag(raw: str) -> bool:
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    return default if raw is None else _flag(raw)


def normalise_database_url(url: str) -> str:
    """Point ``postgres://`` and ``postgresql://`` URLs at the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class BaseConfig(MoneySettings, BackgroundSettings, FulfilmentSettings, ApiSettings):
    """Settings shared by every environment; policy numbers live here and in the parts it
    is made of (``config/money.py``, ``config/background.py``, ``config/fulfilment.py``)."""

    ENV_NAME = "production"
    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}

    # Cookies: HttpOnly and SameSite=Lax always, Secure outside development.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_DURATION = timedelta(days=14)
    PERMANENT_SESSION_LIFETIME = timedelta(days=14)

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead of a clock

    # Uploads: the request as a whole, and cover images on their own.
    MAX_CONTENT_LENGTH = 12 * 1024 * 1024
    COVER_MAX_BYTES = 8 * 1024 * 1024
    COVER_MAX_SIZE = (1600, 900)
    #: A cover fills a card and the top of the campaign page: at least this many pixels,
    #: and landscape (width / height between 4:3 and 2.4:1).
    COVER_MIN_SIZE = (640, 360)
    COVER_ASPECT = (4 / 3, 2.4)
    #: A reward's picture: shown at 4:3 on its card (re-encoded to at most this size).
    REWARD_IMAGE_MAX_BYTES = 8 * 1024 * 1024
    REWARD_IMAGE_MAX_SIZE = (1200, 900)
    REWARD_IMAGE_MIN_SIZE = (400, 300)
    DOCUMENT_MAX_BYTES = 10 * 1024 * 1024  # offering disclosures (PDF)
    UPLOAD_FOLDER: str | None = None  # default: <instance>/uploads

    # Passwords: Argon2id with argon2-cffi's RFC 9106 "low memory" profile.
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536  # KiB
    ARGON2_PARALLELISM = 4

    # Failed logins: per account and per client address, in a sliding window.
    LOGIN_WINDOW = timedelta(minutes=15)
    LOGIN_MAX_FAILURES_PER_ACCOUNT = 5
    LOGIN_MAX_FAILURES_PER_IP = 30
    #: A signed-in session's "last seen" is written at most this often (not every request).
    SESSION_TOUCH_EVERY = timedelta(minutes=5)
    #: Ended (or long unused) sessions are kept this long, then forgotten by the jobs loop.
    SESSION_KEEP = timedelta(days=90)
    #: Emailed account links: confirming an address, choosing a new password.
    EMAIL_VERIFY_VALID_FOR = timedelta(hours=24)
    PASSWORD_RESET_VALID_FOR = timedelta(hours=1)
    #: Emails asked for (register, resend a link, reset a password, change the address) per
    #: hour, every kind together: per address (beyond it nothing more is sent, the answer
    #: is the same) and per client (429).
    ACCOUNT_EMAILS_PER_ADDRESS = 3
    ACCOUNT_EMAILS_PER_CLIENT = 20
    #: Operators move money: every operator page needs a session that passed two-factor
    #: sign-in. (Off only in the test suite's config, whose tests of it turn it on.)
    OPERATOR_TWO_FACTOR_REQUIRED = True
    #: A founder's identity document is deleted this long after the operator's decision.
    IDENTITY_DOCUMENT_RETENTION = timedelta(days=30)
    IDENTITY_DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
    #: Shown on the contact page and in legal notices.
    SUPPORT_EMAIL = "support@crowdfund.invalid"
    #: Sensitive actions (refunds, the payout account, a new email address) ask for a code
    #: again when the session last passed the second factor longer ago than this.
    TWO_FACTOR_FRESH_FOR = timedelta(minutes=10)
    #: What the authenticator seeds are encrypted with (None: derived from SECRET_KEY).
    TWO_FACTOR_KEY: str | None = None
    #: Sent with every response where the cookies are Secure (HTTPS): browsers then refuse
    #: plain HTTP to this site for a year. None: not sent (development and tests).
    STRICT_TRANSPORT_SECURITY: str | None = "max-age=31536000; includeSubDomains"

    #: Public pages (``@public_page``) kept this many seconds for anonymous visitors, per
    #: process (crowdfund/pagecache.py); 0 turns it off. At most PAGE_CACHE_ENTRIES URLs.
    PAGE_CACHE_SECONDS = 5
    PAGE_CACHE_ENTRIES = 500
    #: A kept page past PAGE_CACHE_SECONDS is served this long more while one request
    #: renders it again (no stampede of every worker rendering it at once).
    PAGE_CACHE_STALE_SECONDS = 30.0
    #: Where every worker and web server shares the kept pages: this Redis, else a
    #: redis:// CELERY_BROKER_URL; neither: per process. Keys start with the prefix; a page
    #: over PAGE_CACHE_MAX_BYTES is not kept.
    PAGE_CACHE_REDIS_URL: str | None = None
    PAGE_CACHE_REDIS_PREFIX = "crowdfund:page:"
    PAGE_CACHE_MAX_BYTES = 1_000_000

    # Campaign policy (docs/domain.md#the-numbers).
    CAMPAIGN_MIN_DAYS = 1
    CAMPAIGN_MAX_DAYS = 60
    SUPPORTED_CURRENCIES = ("USD", "EUR", "GBP", "CAD", "AUD", "CHF", "SEK", "JPY", "CNY", "HKD",
                            "TWD", "SGD")
    MAX_GOAL_MAJOR = 100_000_000  # a goal above this (in major units) is refused
    MAX_PLEDGE_MAJOR = 100_000  # one pledge (and a tier minimum) at most this
    #: Reg CF: an issuer raises at most this (in the campaign's currency) in 12 months.
    EQUITY_MAX_RAISE_MAJOR = 5_000_000
    LAST_DAY_LOCK = timedelta(hours=24)
    #: Investors may cancel an equity commitment for any reason until this long before the
    #: deadline (Reg CF 227.304); after that it stands.
    INVESTOR_CANCEL_CUTOFF = timedelta(hours=48)

    #: A pledge whose card is not confirmed within this time gives back its reward unit.
    PLEDGE_PENDING_TTL = timedelta(minutes=30)

    # Community. At most this many comments per user in the window (replies included).
    COMMENT_RATE_LIMIT = (5, timedelta(minutes=10))
    #: At most this many reports (of comments and campaigns together) per user in the window.
    REPORT_RATE_LIMIT = (10, timedelta(hours=1))
    #: The newest threads shown on the campaign page; the rest on its comments page.
    COMMENT_THREADS_ON_CAMPAIGN_PAGE = 10
    COMMENT_THREADS_PER_PAGE = 50
    #: The newest updates shown on the campaign page; all of them, a page at a time, on
    #: its updates page.
    UPDATES_ON_CAMPAIGN_PAGE = 3
    UPDATES_PER_PAGE = 10
    #: Followers hear that a campaign is about to end this long before its deadline.
    ENDING_SOON_NOTICE = timedelta(hours=48)
    #: Backers whose saved card expires before the deadline are asked to replace it this
    #: long before the deadline (each once).
    CARD_HEALTH_NOTICES = (timedelta(days=7), timedelta(hours=48))

    CAMPAIGNS_PER_PAGE = 12
    #: The home page's "Ending soon": live campaigns whose deadline is within this many days.
    ENDING_SOON_DAYS = 7
    BACKERS_PER_PAGE = 100  # the founder's backers page
    #: The language and time zone of a reader who has chosen none and whose browser says
    #: nothing we speak (crowdfund/i18n.py; DEFAULT_LOCALE one of its LANGUAGES).
    DEFAULT_LOCALE = "en"
    DEFAULT_TIMEZONE = "UTC"
    #: Trust X-Forwarded-For from this many proxies (0: use the socket address).
    PROXY_COUNT = 0
    #: Where uploads live: "local" (UPLOAD_FOLDER) or "database" (every web server sees
    #: what any of them stored; crowdfund/storage.py).
    UPLOAD_STORAGE = "local"
    #: Log lines as "text" or "json" (one object per line), at this level.
    LOG_FORMAT = "text"
    LOG_LEVEL = "INFO"
    #: The task broker (Redis), when background work runs on Celery; /readyz checks it.
    CELERY_BROKER_URL: str | None = None
    #: How long /readyz waits for the database and the broker before answering 503.
    READY_TIMEOUT_SECONDS = 2.0

    @classmethod
    def from_environment(cls) -> dict:
        """Values read from the environment at start-up."""
        values: dict = {}
        if secret := os.environ.get("SECRET_KEY"):
            values["SECRET_KEY"] = secret
        if url := os.environ.get("DATABASE_URL"):
            values["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(url)
        if folder := os.environ.get("UPLOAD_FOLDER"):
            values["UPLOAD_FOLDER"] = folder
        if proxies := os.environ.get("PROXY_COUNT"):
            values["PROXY_COUNT"] = int(proxies)
        for name, kind in (("SETTLE_REQUESTS_PER_SECOND", float), ("SETTLE_CONCURRENCY", int),
                           ("SETTLE_BURST", int), ("JOB_LEASE_SECONDS", int),
                           ("JOB_BACKOFF_SECONDS", int), ("SETTLE_INTERVAL_SECONDS", int),
                           ("JOBS_INTERVAL_SECONDS", int), ("OUTBOX_INTERVAL_SECONDS", int),
                           ("GATEWAY_RECONCILE_INTERVAL_SECONDS", int),
                           ("JOB_SWEEP_SECONDS", int), ("CELERY_VISIBILITY_TIMEOUT", int),
                           ("PROCESS_HEARTBEAT_SECONDS", float),
                           ("PROCESS_STALE_SECONDS", float), ("JOB_WAIT_ALERT_SECONDS", int),
                           ("SETTLE_BATCH", int), ("PAGE_CACHE_SECONDS", float),
                           ("PAGE_CACHE_STALE_SECONDS", float),
                           ("PAGE_CACHE_MAX_BYTES", int),
                           ("SMTP_PORT", int), ("PLATFORM_FEE_BPS", int),
                           ("OUTBOX_SENDERS", int), ("OUTBOX_LEASE_SECONDS", int),
                           ("MAIL_MESSAGES_PER_SECOND", float),
                           ("PROCESSING_FEE_BPS", int), ("PROCESSING_FEE_FIXED_MINOR", int),
                           ("EXCHANGE_RATE_MAX_AGE_DAYS", int),
                           ("STRIPE_CONNECT_ENABLED", _flag), ("SANDBOX_DEPLOYMENT", _flag)):
            if os.environ.get(name):
                values[name] = kind(os.environ[name])
        for name in ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET",
                     "STRIPE_API_BASE", "STRIPE_JS_URL", "PAYMENT_GATEWAY", "PUBLIC_URL",
                     "MAIL_FROM", "SMTP_HOST", "SMTP_SECURITY", "SMTP_USERNAME",
                     "SMTP_PASSWORD", "LOG_FORMAT", "LOG_LEVEL", "CELERY_BROKER_URL",
                     "UPLOAD_STORAGE", "SUPPORT_EMAIL", "TWO_FACTOR_KEY", "DEFAULT_LOCALE",
                     "DEFAULT_TIMEZONE", "PAGE_CACHE_REDIS_URL", "PAGE_CACHE_REDIS_PREFIX"):
            if os.environ.get(name):
                values[name] = os.environ[name]
        if values.get("STRIPE_SECRET_KEY") and not values.get("STRIPE_API_BASE"):
            # Real Stripe keys and no sandbox address: talk to Stripe itself.
            values.update(STRIPE_API_BASE=None, STRIPE_MAX_NETWORK_RETRIES=2)
            values.setdefault("STRIPE_JS_URL", "https://js.stripe.com/v3/")
        if values.get("STRIPE_API_BASE"):
            # The sandbox (docs/money.md#the-local-sandbox): no retries, Stripe.js served by
            # the sandbox itself.
            values["STRIPE_MAX_NETWORK_RETRIES"] = 0
            values.setdefault("STRIPE_JS_URL",
                              values["STRIPE_API_BASE"].rstrip("/") + "/js.stripe.com/v3/")
        values.update(cls.api_from_environment())
        values["SESSION_COOKIE_SECURE"] = _bool("SESSION_COOKIE_SECURE", cls.SESSION_COOKIE_SECURE)
        values["REMEMBER_COOKIE_SECURE"] = values["SESSION_COOKIE_SECURE"]
        return values


def refuse_plain_http_payments(config) -> None:
    """Production talks to Stripe over HTTPS: a plain-HTTP ``STRIPE_API_BASE`` or
    ``STRIPE_JS_URL`` (the local sandbox's) is refused at start unless the operator says
    this is a sandbox deployment (``SANDBOX_DEPLOYMENT=1``; every page then says so)."""
    if config["ENV_NAME"] != "production" or config.get("SANDBOX_DEPLOYMENT"):
        return
    for name in ("STRIPE_API_BASE", "STRIPE_JS_URL"):
        url = config.get(name)
        if url and not url.lower().startswith("https://"):
            raise ConfigError(
                f"{name}={url!r} is not an https:// address: production sends card details "
                "and secret keys only over HTTPS. Unset it to use Stripe, or set "
                "SANDBOX_DEPLOYMENT=1 if this deployment takes no real payments (the local "
                "sandbox; every page then says so).")


class DevelopmentConfig(BaseConfig):
    """Local development: cookies over plain HTTP, a generated secret key, and the local
    Stripe sandbox (started by ``make run``) unless Stripe keys are set."""

    ENV_NAME = "development"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    STRICT_TRANSPORT_SECURITY = None
    STRIPE_SECRET_KEY = "sk_test_sandbox"  # noqa: S105 - the sandbox accepts any sk_test_
    STRIPE_PUBLISHABLE_KEY = "pk_test_sandbox"
    STRIPE_API_BASE = "http://127.0.0.1:8420"
    STRIPE_JS_URL = "http://127.0.0.1:8420/js.stripe.com/v3/"
    STRIPE_MAX_NETWORK_RETRIES = 0


class TestingConfig(BaseConfig):
    """The test suite: cheap password hashing, plain-HTTP cookies."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-only-secret-key"  # noqa: S105 - tests only
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    STRICT_TRANSPORT_SECURITY = None
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 8
    ARGON2_PARALLELISM = 1
    PAYMENT_GATEWAY = "fake"
    #: A GET that writes without saying so first fails (it would wait on nothing and fail
    #: under load on SQLite): crowdfund.db._begin.
    SQLITE_STRICT_READS = True
    #: Off, so that a test sees what it just wrote; tests of the cache turn it on.
    PAGE_CACHE_SECONDS = 0
    STRIPE_WEBHOOK_SECRET = "whsec_testing"  # noqa: S105 - tests only
    #: Off for the suite's many operator tests; tests/web/test_two_factor.py turns it on.
    OPERATOR_TWO_FACTOR_REQUIRED = False
    #: The suite makes thousands of API requests a minute from one address with a few
    #: tokens; tests/api/test_limits.py sets the real limits.
    API_RATE_LIMIT = API_CLIENT_RATE_LIMIT = "1000000 per minute"


class ProductionConfig(BaseConfig):
    """Production: every secret must come from the environment."""

    ENV_NAME = "production"


CONFIGS: dict[str, type[BaseConfig]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_for(env_name: str | None) -> type[BaseConfig]:
    """The config class for ``env_name``; unknown names are an error, not a default."""
    name = (env_name or "production").strip().lower()
    try:
        return CONFIGS[name]
    except KeyError:
        raise ConfigError(
            f"CROWDFUND_ENV={env_name!r} is not one of {', '.join(sorted(CONFIGS))}"
        ) from None
