"""The settlement job: claims a due campaign, closes it, charges its pledges once each.

It commits between the steps of the crash-safe protocol (see ``services.py``), spreads
gateway calls under a rate budget with bounded concurrency, backs off with jitter on 429s
and connection errors, and walks pledges in id order so that memory stays constant
whatever the campaign's size.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from flask import Flask

from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.extensions import db
from crowdfund.payments.gateway import (
    GatewayUnavailable,
    InvalidRequest,
    PaymentError,
    PaymentGateway,
    RateLimited,
)
from crowdfund.pledges.models import Pledge, PledgeStatus
from crowdfund.settlement import services

log = logging.getLogger("crowdfund.settlement")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


class TokenBucket:
    """At most ``rate`` requests per second on average, ``burst`` at once; thread-safe."""

    def __init__(self, rate: float, burst: int | None = None) -> None:
        self.rate = rate
        self.capacity = float(burst or max(1, int(rate)))
        self.tokens = self.capacity
        self.updated = time.monotonic()
        self.lock = threading.Lock()

    def acquire(self) -> None:
        while True:
            with self.lock:
                now = time.monotonic()
                self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
                self.updated = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                wait = (1 - self.tokens) / self.rate
            time.sleep(wait)


@dataclass
class Report:
    """What one run did to one campaign."""

    slug: str
    outcome: str = ""
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, what: str) -> None:
        self.counts[what] = self.counts.get(what, 0) + 1

    def describe(self) -> str:
        parts = ", ".join(f"{k}: {v}" for k, v in sorted(self.counts.items()))
        return f"{self.slug}: {self.outcome}" + (f" ({parts})" if parts else "")


class Settler:
    """Settles campaigns for one process (``worker``)."""

    def __init__(self, app: Flask, gateway: PaymentGateway, *, worker: str | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        cfg = app.config
        self.app = app
        self.gateway = gateway
        self.worker = worker or worker_name()
        self.bucket = TokenBucket(cfg["SETTLE_REQUESTS_PER_SECOND"])
        self.concurrency = cfg["SETTLE_CONCURRENCY"]
        self.batch = cfg["SETTLE_BATCH"]
        self.max_tries = cfg["SETTLE_MAX_TRIES"]
        self.backoff = cfg["SETTLE_BACKOFF_BASE"]
        self.sleep = sleep

    # --- one campaign ----------------------------------------------------------------------

    def settle(self, campaign_id: int) -> Report:
        with self.app.app_context():
            campaign = db.session.get(Campaign, campaign_id)
            report = Report(campaign.slug)
            if not services.claim(campaign_id, self.worker):
                db.session.rollback()
                report.outcome = "skipped: another process is settling it"
                return report
            db.session.commit()
            try:
                services.close_at_deadline(campaign)
                db.session.commit()
                if campaign.status is CampaignStatus.FAILED:
                    report.outcome = "failed: nobody charged"
                    self._detach_cards(campaign_id, report)
                elif campaign.status is CampaignStatus.FUNDED:
                    self._charge_all(campaign_id, report)
                    db.session.expire_all()
                    done = services.finish_charging(db.session.get(Campaign, campaign_id))
                    db.session.commit()
                    report.outcome = "funded: charged" if done else "funded: charging continues"
                else:
                    report.outcome = f"{campaign.status.value}: nothing to do"
            finally:
                services.release_claim(campaign_id, self.worker)
                db.session.commit()
            return report

    def _charge_all(self, campaign_id: int, report: Report) -> None:
        after = 0
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            while True:
                ids = services.pledge_ids_to_charge(campaign_id, after, self.batch)
                db.session.commit()
                if not ids:
                    return
                for outcome in pool.map(self._charge_one, ids):
                    report.add(outcome)
                after = ids[-1]
                if not services.claim(campaign_id, self.worker):  # renew the lease
                    db.session.rollback()
                    raise RuntimeError("lost the settlement claim")
                db.session.commit()

    def _charge_one(self, pledge_id: int) -> str:
        """Steps 1 to 3 for one pledge, each step's transaction committed before the next."""
        with self.app.app_context():
            pledge = db.session.get(Pledge, pledge_id)
            attempt = services.begin_attempt(pledge)
            if attempt is None:
                db.session.commit()
                return "skipped"
            # Everything the call needs, read before the commit: no transaction stays open
            # (on SQLite an open one would hold the write lock) during the network call.
            request = dict(
                amount=attempt.amount, customer_id=pledge.backer.payment_customer_id,
                payment_method_id=pledge.payment_method_id,
                metadata={"pledge_id": str(pledge.id), "campaign_id": str(pledge.campaign_id),
                          "attempt": str(attempt.attempt_no)},
                idempotency_key=attempt.idempotency_key,
            )
            attempt_id = attempt.id
            db.session.commit()
            result = self._call(request)
            if result is None:
                return "retry later"
            attempt = db.session.get(type(attempt), attempt_id)
            outcome = services.record_outcome(attempt, result)
            db.session.commit()
            return outcome

    def _call(self, request: dict):
        """The gateway call, retried with the same key on 429 and connection errors."""
        if not request["customer_id"] or not request["payment_method_id"]:
            return InvalidRequest("No saved card for this pledge.", code="no_card")
        for attempt in range(self.max_tries):
            self.bucket.acquire()
            try:
                return self.gateway.charge_off_session(**request)
            except (RateLimited, GatewayUnavailable) as error:
                delay = self.backoff * (2 ** attempt) * (0.5 + random.random())  # noqa: S311
                log.warning("charge %s: %s; retrying in %.2fs", request["idempotency_key"],
                            type(error).__name__, delay)
                self.sleep(delay)
            except PaymentError as error:
                return error
        return None

    def _detach_cards(self, campaign_id: int, report: Report) -> None:
        """Failed campaign: forget the saved cards (best effort, after the commit)."""
        cards = db.session.scalars(
            db.select(Pledge.payment_method_id).where(
                Pledge.campaign_id == campaign_id, Pledge.status == PledgeStatus.RELEASED,
                Pledge.payment_method_id.is_not(None))).all()
        db.session.commit()
        for payment_method in cards:
            try:
                self.bucket.acquire()
                self.gateway.detach_payment_method(payment_method)
                report.add("card detached")
            except PaymentError as error:
                log.info("detach %s: %s", payment_method, error)
                report.add("card not detached")

    # --- everything due --------------------------------------------------------------------

    def settle_due(self) -> list[Report]:
        with self.app.app_context():
            ids = services.due_campaign_ids()
            db.session.commit()
        return [self.settle(campaign_id) for campaign_id in ids]
