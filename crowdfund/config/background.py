"""Settings of background work and email: jobs, their leases and periodic passes, worker
heartbeats, the outbox and its senders (docs/operations.md)."""

from __future__ import annotations

from datetime import timedelta


class BackgroundSettings:
    """Background jobs and email delivery (a part of ``BaseConfig``)."""

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
