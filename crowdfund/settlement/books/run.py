"""One reconciliation with the gateway: read its record of a period, match it with ours,
record the differences, book the actual fees. The daily job and ``flask ledger reconcile``
run it; it commits its own work and holds no transaction open while the gateway answers.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app

from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.ledger.fees import post_fee_correction
from crowdfund.locking import lock_key
from crowdfund.payments.gateway import PaymentGateway
from crowdfund.ratelimit import bucket_for
from crowdfund.settlement.books import differences, fetch, matcher
from crowdfund.settlement.books.models import GatewayReconciliation
from crowdfund.settlement.payouts import refresh_founder_payouts
from crowdfund.settlement.reading import GatewayReader

log = logging.getLogger("crowdfund.settlement")

#: The daily job's periodic kind (``crowdfund.jobs.PERIODIC``) and its item loop's name.
RECONCILE = "reconcile with gateway"


def default_period(now: datetime | None = None) -> tuple[datetime, datetime]:
    """The last GATEWAY_RECONCILE_DAYS, up to now: daily runs overlap by two days."""
    now = now or utcnow()
    return now - timedelta(days=current_app.config["GATEWAY_RECONCILE_DAYS"]), now


def reader_for(config) -> GatewayReader:
    """Reads under the platform's gateway budget, retried like settlement's calls."""
    return GatewayReader(bucket_for(config), config["SETTLE_MAX_TRIES"],
                         config["SETTLE_BACKOFF_BASE"])


def reconcile(gateway: PaymentGateway, since: datetime, until: datetime, *,
              reader: GatewayReader | None = None) -> GatewayReconciliation:
    """Compare ``[since, until)`` at the gateway with our books and commit what was found
    (differences recorded once; fees corrected once). Returns the run's record."""
    config = current_app.config
    reader = reader or reader_for(config)
    started = utcnow()
    db.session.commit()  # nothing held while the gateway answers (SQLite's write lock)
    record = fetch.read(gateway, reader, since, until,
                        transfers=config["STRIPE_CONNECT_ENABLED"])
    ours = matcher.unlisted(record)
    db.session.commit()
    fetch.add_looked_up(record, gateway, reader, ours)
    lock_key("gateway reconciliation", "books")  # two runs at once record one after another
    findings = matcher.match(record)
    new = differences.record(findings.differences)
    corrected = correct_fees(findings.fee_fixes)
    run = GatewayReconciliation(
        period_from=since, period_until=until, started_at=started, finished_at=utcnow(),
        objects_read=record.objects, requests=reader.requests,
        differences_seen=len({f.key for f in findings.differences}), differences_new=new,
        fees_corrected=corrected)
    db.session.add(run)
    db.session.commit()
    log.info("reconciled %s to %s with the gateway: %s objects in %s requests, %s "
             "differences (%s new), %s fees corrected", since, until, run.objects_read,
             run.requests, run.differences_seen, new, corrected)
    return run


def correct_fees(fixes: list[matcher.FeeFix]) -> int:
    """The gateway's actual fee in the ledger for each charge whose estimate differs; the
    founder's unpaid payouts follow (a paid one's difference is carried into the next)."""
    posted = [fix for fix in fixes
              if post_fee_correction(fix.attempt, fix.booked, fix.actual) is not None]
    for campaign_id in sorted({fix.attempt.campaign_id for fix in posted}):
        refresh_founder_payouts(campaign_id)
    return len(posted)


def reconcile_pass(gateway: PaymentGateway) -> str:
    """The daily job: the default period; what it found, for the jobs list."""
    since, until = default_period()
    done = reconcile(gateway, since, until)
    still_open = differences.open_count()
    db.session.commit()
    return (f"{done.objects_read} objects read, {done.differences_new} new differences, "
            f"{done.fees_corrected} fees corrected; {still_open} open")


def last_run() -> GatewayReconciliation | None:
    return db.session.scalar(db.select(GatewayReconciliation)
                             .order_by(GatewayReconciliation.id.desc()).limit(1))
