"""Configuration: one class per environment, values from the environment.

The environment is chosen with ``CROWDFUND_ENV`` (``development``, ``testing`` or
``production``; default ``production`` so that a forgotten variable fails safe).
Outside development and testing a ``SECRET_KEY`` is required: the factory refuses
to start without one.
"""

from __future__ import annotations

import os
from datetime import timedelta


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


class BaseConfig:
    """Settings shared by every environment; policy numbers live here."""

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

    # Campaign policy (docs/domain.md#the-numbers).
    CAMPAIGN_MIN_DAYS = 1
    CAMPAIGN_MAX_DAYS = 60
    SUPPORTED_CURRENCIES = ("USD", "EUR", "GBP", "CAD", "AUD", "CHF", "SEK", "JPY")
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

    # Payments. "stripe" talks to Stripe, or to the local sandbox when STRIPE_API_BASE
    # points at it; "fake" is the in-process gateway of the unit tests.
    PAYMENT_GATEWAY = "stripe"
    STRIPE_SECRET_KEY: str | None = None
    STRIPE_PUBLISHABLE_KEY: str | None = None
    STRIPE_WEBHOOK_SECRET: str | None = None
    STRIPE_API_BASE: str | None = None
    STRIPE_JS_URL = "https://js.stripe.com/v3/"
    STRIPE_MAX_NETWORK_RETRIES = 2
    #: This deployment takes no real payments (a demo or staging site on the sandbox): only
    #: then does production accept a plain-HTTP STRIPE_API_BASE or STRIPE_JS_URL, and every
    #: page says so in a banner (templates/base.html).
    SANDBOX_DEPLOYMENT = False

    # Settlement (docs/money.md#the-rate-budget). Stripe allows 25 requests/s in test mode:
    # stay well under.
    SETTLE_REQUESTS_PER_SECOND = 10.0
    SETTLE_CONCURRENCY = 4
    SETTLE_BATCH = 200
    SETTLE_MAX_TRIES = 6  # per charge, on 429 and connection errors, with jittered backoff
    SETTLE_BACKOFF_BASE = 0.5  # seconds, doubled per try
    SETTLE_CLAIM_LEASE = timedelta(minutes=5)
    #: Tokens the rate budget may hold (requests sent at once after a pause); 0: a tenth
    #: of a second's worth, so that no 5-second window goes 2% over the budget.
    SETTLE_BURST = 0
    #: Outcomes saved at most this long after the gateway answered, this many at most per
    #: transaction: killed every few seconds, settlement still moves (docs/money.md).
    SETTLE_RECORD_SECONDS, SETTLE_RECORD_EVERY = 1.0, 100
    #: Saved cards of uncharged pledges (docs/money.md): a run's claim; the first wait after
    #: a failure, doubled per try up to the longest; tries before the console says stuck.
    CARD_DETACH_LEASE = timedelta(minutes=2)
    CARD_DETACH_BACKOFF = timedelta(seconds=30)
    CARD_DETACH_BACKOFF_MAX = timedelta(hours=1)
    CARD_DETACH_STUCK_AFTER = 5

    # Background jobs (crowdfund/queue.py): the same on Celery and in the embedded loop.
    #: A running job's lease, renewed by its heartbeat; a dead runner's job is taken over
    #: once it lapses.
    JOB_LEASE_SECONDS = 60
    #: First delay before a failed job runs again, doubled per attempt (at most 300 s).
    JOB_BACKOFF_SECONDS = 15
    #: The periodic passes (Celery beat, or the embedded loop), in seconds.
    SETTLE_INTERVAL_SECONDS = 30
    JOBS_INTERVAL_SECONDS = 30
    OUTBOX_INTERVAL_SECONDS = 10
    #: How often hints lost with a worker or a broker restart are sent again.
    JOB_SWEEP_SECONDS = 15
    #: Every worker, beat and the embedded runner write a heartbeat row this often
    #: (crowdfund/fleet.py: the settlement console and ``flask jobs status`` read them).
    PROCESS_HEARTBEAT_SECONDS = 15
    #: A process not seen for this long is stale (0: three heartbeats).
    PROCESS_STALE_SECONDS = 0
    #: Heartbeat rows of processes not seen for this long are forgotten (the jobs pass).
    PROCESS_HEARTBEAT_KEEP = timedelta(days=1)
    #: A due job still waiting after this long, while no job was started in that time, is a
    #: problem (``flask jobs status`` exits non-zero): no runner takes jobs.
    JOB_WAIT_ALERT_SECONDS = 600
    #: Redis hands an unacknowledged task to another worker after this long
    #: (docs/operations.md#background-jobs);
    #: every job is far shorter (a batch of charges), and every retry countdown is below it.
    CELERY_VISIBILITY_TIMEOUT = 3600
    #: Stripe replays an idempotent request for 24 h; older started attempts are reconciled.
    IDEMPOTENCY_WINDOW = timedelta(hours=23)
    #: After charging, backers whose payment failed have this long to fix it
    #: (docs/domain.md#after-the-deadline);
    #: they are reminded every RECOVERY_REMINDER_EVERY, then one final automatic retry is
    #: made and an unpaid pledge is dropped.
    COLLECTION_WINDOW = timedelta(days=7)
    RECOVERY_REMINDER_EVERY = timedelta(hours=48)
    RECOVERY_MAX_ATTEMPTS = 10  # charges per pledge, the backer's tries included
    #: The founder's payout is due this long after the deadline (and never before the
    #: collection window closes).
    PAYOUT_DELAY = timedelta(days=14)
    #: Pay founders by Stripe Connect transfers (Express accounts). Off: operators pay by
    #: hand and mark the payout paid. The sandbox has no Connect.
    STRIPE_CONNECT_ENABLED = False
    #: Reconciliation with the gateway (docs/money.md#reconciliation-with-the-gateway): a
    #: daily job reads the gateway's record of the last GATEWAY_RECONCILE_DAYS (the runs
    #: overlap; each difference is recorded once).
    GATEWAY_RECONCILE_INTERVAL_SECONDS = 24 * 3600
    GATEWAY_RECONCILE_DAYS = 3

    # Fees (docs/domain.md#fees), in basis points of the charge, plus a fixed part in minor
    # units.
    PLATFORM_FEE_BPS = 500
    PROCESSING_FEE_BPS = 300
    PROCESSING_FEE_FIXED_MINOR = 20
    #: Charges under this (minor units) use the small-charge processing fee.
    SMALL_CHARGE_BELOW_MINOR = 1000
    SMALL_PROCESSING_FEE_BPS = 500
    SMALL_PROCESSING_FEE_FIXED_MINOR = 5

    # Community. At most this many comments per user in the window (replies included).
    COMMENT_RATE_LIMIT = (5, timedelta(minutes=10))
    #: At most this many reports (of comments and campaigns together) per user in the window.
    REPORT_RATE_LIMIT = (10, timedelta(hours=1))
    #: The newest threads shown on the campaign page; the rest on its comments page.
    COMMENT_THREADS_ON_CAMPAIGN_PAGE = 10
    COMMENT_THREADS_PER_PAGE = 50
    #: Followers hear that a campaign is about to end this long before its deadline.
    ENDING_SOON_NOTICE = timedelta(hours=48)
    #: Backers whose saved card expires before the deadline are asked to replace it this
    #: long before the deadline (each once).
    CARD_HEALTH_NOTICES = (timedelta(days=7), timedelta(hours=48))

    # Email. Messages go to the outbox table in the transaction of what they report and are
    # delivered after commit (``flask outbox send``, and the settle loop). Without SMTP_HOST
    # nothing is sent: the outbox keeps them (operators see it at /operators/outbox).
    PUBLIC_URL = "http://127.0.0.1:5000"  # links in emails
    MAIL_FROM = "crowdfund <no-reply@crowdfund.invalid>"
    SMTP_HOST: str | None = None
    SMTP_PORT = 25
    SMTP_SECURITY = "none"  # "none", "starttls" or "ssl"
    SMTP_USERNAME: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_TIMEOUT = 10.0
    OUTBOX_BATCH = 100
    #: Senders at once (docs/operations.md#email): the send-email pass starts one per
    #: OUTBOX_BATCH due messages, up to this many (Celery jobs; threads when embedded).
    OUTBOX_SENDERS = 4
    #: A sender's claim on its batch, renewed while it sends: a killed sender's messages
    #: are sent by another once it lapses.
    OUTBOX_LEASE_SECONDS = 60
    #: The mail provider's limit for the whole platform (messages/s, shared by every
    #: sender through Redis when CELERY_BROKER_URL is set); 0: no limit (a relay of yours).
    MAIL_MESSAGES_PER_SECOND = 200.0
    OUTBOX_MAX_ATTEMPTS = 8  # then the message is marked failed for an operator
    OUTBOX_RETRY_BASE = timedelta(minutes=1)  # doubled per failed try

    CAMPAIGNS_PER_PAGE = 12
    #: The home page's "Ending soon": live campaigns whose deadline is within this many days.
    ENDING_SOON_DAYS = 7
    BACKERS_PER_PAGE = 100  # the founder's backers page
    BABEL_LOCALE = "en_US"
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
                           ("SMTP_PORT", int), ("PLATFORM_FEE_BPS", int),
                           ("OUTBOX_SENDERS", int), ("OUTBOX_LEASE_SECONDS", int),
                           ("MAIL_MESSAGES_PER_SECOND", float),
                           ("PROCESSING_FEE_BPS", int), ("PROCESSING_FEE_FIXED_MINOR", int),
                           ("STRIPE_CONNECT_ENABLED", _flag), ("SANDBOX_DEPLOYMENT", _flag)):
            if os.environ.get(name):
                values[name] = kind(os.environ[name])
        for name in ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET",
                     "STRIPE_API_BASE", "STRIPE_JS_URL", "PAYMENT_GATEWAY", "PUBLIC_URL",
                     "MAIL_FROM", "SMTP_HOST", "SMTP_SECURITY", "SMTP_USERNAME",
                     "SMTP_PASSWORD", "LOG_FORMAT", "LOG_LEVEL", "CELERY_BROKER_URL",
                     "UPLOAD_STORAGE", "SUPPORT_EMAIL", "TWO_FACTOR_KEY"):
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
