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
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from flask import Flask

from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.extensions import db
from crowdfund.notifications.outbox import deliver_due
from crowdfund.payments.gateway import (
    GatewayUnavailable,
    InvalidRequest,
    PaymentError,
    PaymentGateway,
    RateLimited,
)
from crowdfund.pledges.models import Pledge
from crowdfund.ratelimit import bucket_for
from crowdfund.settlement import plan as settlement_plan
from crowdfund.settlement import services
from crowdfund.settlement.detaching import Detaching
from crowdfund.settlement.fan_out import FanOut
from crowdfund.settlement.late_charging import LateCharging
from crowdfund.settlement.models import ChargeAttempt
from crowdfund.settlement.money_out import MoneyOut
from crowdfund.settlement.recovering import Recovering
from crowdfund.settlement.report import Report
from crowdfund.settlement.stream import Stream
from crowdfund.supervision import FAILED, isolated, resolved

log = logging.getLogger("crowdfund.settlement")
T = TypeVar("T")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


class Settler(FanOut, Recovering, MoneyOut, Detaching, LateCharging):
    """Settles campaigns for one process (``worker``)."""

    def __init__(self, app: Flask, gateway: PaymentGateway, *, worker: str | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        cfg = app.config
        self.app = app
        self.gateway = gateway
        self.worker = worker or worker_name()
        self.bucket = bucket_for(cfg)  # shared by every worker when Redis is configured
        self.concurrency = cfg["SETTLE_CONCURRENCY"]
        self.batch = cfg["SETTLE_BATCH"]
        self.max_tries = cfg["SETTLE_MAX_TRIES"]
        self.backoff = cfg["SETTLE_BACKOFF_BASE"]
        self.sleep = sleep
        self.record_every = cfg["SETTLE_RECORD_EVERY"]
        self.record_seconds = cfg["SETTLE_RECORD_SECONDS"]
        # Attempts begun per transaction: about one record interval's calls at the budget
        # (a kill leaves few begun attempts to replay), never fewer than the calls at once.
        self.group = max(self.concurrency, min(
            self.record_every, int(cfg["SETTLE_REQUESTS_PER_SECOND"] * self.record_seconds)))

    # --- one campaign ----------------------------------------------------------------------

    def settle(self, campaign_id: int, *, fan_out: bool = False) -> Report:
        """Close a due campaign and charge it: in this process (``flask settle``), or,
        with ``fan_out``, as charge-batch jobs that every worker takes from."""
        with self.app.app_context():
            campaign = db.session.get(Campaign, campaign_id)
            report = Report(campaign.slug)
            if not services.claim(campaign_id, self.worker):
                db.session.rollback()
                report.outcome = "skipped: another process is settling it"
                return report
            db.session.commit()
            try:
                services.decide_at_deadline(campaign)
                db.session.commit()
                self._close_out(campaign_id)
                if campaign.status is CampaignStatus.FAILED:
                    report.outcome = "failed: nobody charged"
                elif campaign.status is CampaignStatus.FUNDED and fan_out:
                    self.plan_batches(campaign_id, report)
                elif campaign.status is CampaignStatus.FUNDED:
                    self._charge_all(campaign_id, report)
                    db.session.expire_all()
                    done = services.finish_charging(db.session.get(Campaign, campaign_id))
                    db.session.commit()
                    report.outcome = "funded: charged" if done else "funded: charging continues"
                else:
                    report.outcome = f"{campaign.status.value}: nothing to do"
                # Saved cards of pledges that ended uncharged (released when it failed or
                # stopped, cancelled, dropped): whatever a killed run left, until done.
                self.give_back_cards(campaign_id, report, fan_out=fan_out)
            finally:
                services.release_claim(campaign_id, self.worker)
                db.session.commit()
            return report

    def _close_out(self, campaign_id: int) -> bool:
        """Tell (and, if it failed, release) a closed campaign's pledges, one committed
        batch at a time: no long transaction, memory flat whatever the size. Returns
        whether this run finished it."""
        after: int | None = 0
        done = False
        while after is not None:
            campaign = db.session.get(Campaign, campaign_id)
            done = done or campaign.closed_out_at is None
            after = services.close_out(campaign, after, limit=self.batch)
            self._renew(campaign_id)
        return done

    def _renew(self, campaign_id: int) -> None:
        """Commit, and renew the lease on the campaign (raise if another process took it)."""
        if not services.claim(campaign_id, self.worker):
            db.session.rollback()
            raise RuntimeError("lost the settlement claim")
        db.session.commit()

    def _charge_all(self, campaign_id: int, report: Report, after: int = 0,
                    through: int | None = None, *, claimed: bool = True) -> None:
        """Every active pledge charged once, in id order: attempts begun ``group`` at a
        time, each group committed (step 1), the gateway calls made ``concurrency`` at a
        time with no transaction open (step 2), each outcome recorded as it comes, in
        short transactions at most ``record_seconds`` apart (step 3). The next group is
        begun while the calls before it are still out, so the gateway never waits for our
        database. A run killed anywhere resumes: unfinished attempts are sent again with
        their own keys, and it loses no more than the last second's outcomes."""
        ids: list[int] = []

        def begin() -> list | None:
            nonlocal ids, after
            if not ids:
                ids = services.pledge_ids_to_charge(campaign_id, after, self.batch, through)
                if not ids:
                    db.session.commit()
                    return None
                after = ids[-1]
            group, ids = ids[:self.group], ids[self.group:]
            requests = services.begin_attempts(group)
            db.session.commit()
            for _ in range(len(group) - len(requests)):
                report.add("skipped")
            return requests

        def record(answered: list) -> None:
            results = {request.attempt_id: answer for request, answer in answered
                       if answer is not None}
            outcomes = services.record_outcomes(results) if results else {}
            self._commit_renewing(campaign_id, claimed)
            for request, answer in answered:
                if answer is None:
                    report.add("retry later")
                elif request.pledge_id in outcomes:
                    report.add(outcomes[request.pledge_id])
                    resolved(self.app, "charge pledge", request.pledge_id)

        self._stream(begin, lambda request: self._send(request.call), record)

    def _stream(self, begin: Callable, send: Callable, record: Callable) -> None:
        """What ``begin`` hands out sent ``concurrency`` at a time, the answers recorded
        as they come (``settlement.stream``)."""
        # The next group is begun while a round of calls still waits behind those in
        # flight: the pool never runs dry while this thread writes to the database.
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            Stream(pool, send, record, ahead=2 * self.concurrency, every=self.record_every,
                   seconds=self.record_seconds).run(begin)

    def _commit_renewing(self, campaign_id: int, claimed: bool) -> None:
        """Commit what was recorded; with the campaign's claim (a charge batch job holds
        none: batches run at once), renew it in the same transaction, and raise after the
        commit if another process took it."""
        lost = claimed and not services.claim(campaign_id, self.worker)
        db.session.commit()
        if lost:
            raise RuntimeError("lost the settlement claim")

    def _send(self, call: dict):
        """Step 2 for one charge (``charge_request``'s arguments): the gateway's answer, a
        PaymentError, or None when the tries ran out."""
        if call["customer_id"] and call["payment_method_id"]:
            return self._call(self.gateway.charge_off_session, call)
        return InvalidRequest("No saved card for this pledge.", code="no_card")

    def _charge_one(self, pledge_id: int, retry: bool = False) -> str:
        """Steps 1 to 3 for one pledge, each step's transaction committed before the next."""
        with self.app.app_context():
            pledge = db.session.get(Pledge, pledge_id, with_for_update=True)
            attempt = services.begin_attempt(pledge, retry=retry)
            if attempt is None:
                db.session.commit()
                return "skipped"
            # Everything the call needs, read before the commit: no transaction stays open
            # (on SQLite an open one would hold the write lock) during the network call.
            request = services.charge_request(pledge, attempt)
            attempt_id = attempt.id
            db.session.commit()
            result = self._send(request)
            if result is None:
                return "retry later"
            attempt = db.session.get(type(attempt), attempt_id)
            outcome = services.record_outcome(attempt, result)
            db.session.commit()
            return outcome

    def _in_context(self, fn: Callable[[], T]) -> T:
        """``fn()`` in an app context of its own, committed."""
        with self.app.app_context():
            result = fn()
            db.session.commit()
            return result

    def _call(self, fn: Callable, request: dict):
        """A gateway call that moves money, under the rate budget, retried with the same
        idempotency key on 429 and connection errors. Returns the answer, the PaymentError
        it ended with, or None when the tries ran out (the caller resumes later)."""
        for attempt in range(self.max_tries):
            self.bucket.acquire()
            try:
                return fn(**request)
            except (RateLimited, GatewayUnavailable) as error:
                delay = self.backoff * (2 ** attempt) * (0.5 + random.random())  # noqa: S311
                log.warning("%s: %s; retrying in %.2fs", request["idempotency_key"],
                            type(error).__name__, delay)
                self.sleep(delay)
            except PaymentError as error:
                return error
        return None

    # --- everything due --------------------------------------------------------------------

    def reconcile_unknown(self) -> int:
        """Look up at the gateway every charge whose outcome is unknown (started longer ago
        than the gateway replays): by its PaymentIntent id when we stored one, otherwise by
        the pledge and attempt in the metadata of the customer's PaymentIntents; and every
        refund and transfer started as long ago (``settlement.lookups``). Returns how many
        ended known; the rest stay on the settlement console."""
        ids = self._in_context(services.attempt_ids_to_reconcile)
        return sum(isolated(self.app, "reconcile charge", attempt_id, self._reconcile_one,
                            attempt_id) not in (FAILED, None) for attempt_id in ids) \
            + self.look_up_money_out()  # refunds and transfers alike (settlement.lookups)

    def _reconcile_one(self, attempt_id: int) -> str | None:
        with self.app.app_context():
            attempt = db.session.get(ChargeAttempt, attempt_id, with_for_update=True)
            if not services.begin_reconciling(attempt):
                db.session.commit()
                return None
            intent_id = attempt.payment_intent_id
            customer_id = attempt.pledge.backer.payment_customer_id
            metadata = {"pledge_id": str(attempt.pledge_id), "attempt": str(attempt.attempt_no)}
            db.session.commit()
        self.bucket.acquire()
        if intent_id:
            found = [self.gateway.retrieve_payment_intent(intent_id)]
        elif customer_id:
            found = self.gateway.find_payment_intents(customer_id=customer_id,
                                                      metadata=metadata)
        else:
            found = []  # no customer: no charge could have been made
        with self.app.app_context():
            attempt = db.session.get(ChargeAttempt, attempt_id, with_for_update=True)
            outcome = services.reconcile(attempt, found)
            db.session.commit()
        log.info("charge attempt %s reconciled: %s", attempt_id, outcome)
        return outcome

    def settle_due(self) -> list[Report]:
        """Every due campaign; one that raises is recorded and the others still settle."""
        ids = self._in_context(settlement_plan.due_campaign_ids)
        reports = []
        for campaign_id in ids:
            report = isolated(self.app, "settle campaign", campaign_id, self.settle, campaign_id)
            if report is FAILED:
                report = Report(f"campaign {campaign_id}")
                report.outcome = "error (see the settlement console)"
            reports.append(report)
        return reports

    def run_once(self) -> tuple[list[Report], dict[str, int]]:
        """One pass of the settle loop: due campaigns, refunds, recovery, payouts, email."""
        done = {"reconciled": self.reconcile_unknown()}
        reports = self.settle_due()
        done["refunds"] = self.process_refunds()
        done.update(self.process_recovery())
        mail = isolated(self.app, "send email", "outbox", self._in_context, deliver_due)
        done["emails sent"] = mail.sent if mail is not FAILED else 0
        return reports, done
