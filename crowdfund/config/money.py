"""Settings of money: the payment gateway, settlement and its rate budget, saved cards,
recovery, payouts, reconciliation with the gateway, fees (docs/money.md)."""

from __future__ import annotations

from datetime import timedelta


class MoneySettings:
    """Payments, settlement, payouts and fees (a part of ``BaseConfig``)."""

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

    #: Stripe replays an idempotent request for 24 h; older started attempts are reconciled.
    IDEMPOTENCY_WINDOW = timedelta(hours=23)
    #: After charging, backers whose payment failed have this long to fix it
    #: (docs/domain.md#after-the-deadline);
    #: they are reminded every RECOVERY_REMINDER_EVERY, then one final automatic retry is
    #: made and an unpaid pledge is dropped.
    COLLECTION_WINDOW = timedelta(days=7)
    RECOVERY_REMINDER_EVERY = timedelta(hours=48)
    RECOVERY_MAX_ATTEMPTS = 10  # charges per pledge, the backer's tries included
    #: Late pledges (docs/money.md#late-pledges): a charge whose answer we never read (the
    #: tab closed, a process killed) is read back by the settle pass once this old, and a
    #: PaymentIntent still waiting for the backer (3-D Secure) is cancelled once
    #: LATE_PLEDGE_PAY_WITHIN old (the late pledge is then cancelled, its units freed).
    LATE_PLEDGE_READ_BACK_AFTER = timedelta(minutes=5)
    LATE_PLEDGE_PAY_WITHIN = timedelta(hours=1)
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
    #: Exchange rates (docs/exchange-rates.md): a pair's latest rate older than this many
    #: days on the day asked counts as missing (the conversion is refused).
    EXCHANGE_RATE_MAX_AGE_DAYS = 7

    # Fees (docs/domain.md#fees), in basis points of the charge, plus a fixed part in minor
    # units.
    PLATFORM_FEE_BPS = 500
    PROCESSING_FEE_BPS = 300
    PROCESSING_FEE_FIXED_MINOR = 20
    #: Charges under this (minor units) use the small-charge processing fee.
    SMALL_CHARGE_BELOW_MINOR = 1000
    SMALL_PROCESSING_FEE_BPS = 500
    SMALL_PROCESSING_FEE_FIXED_MINOR = 5
