"""The settlement job's refunds and payouts: each call that sends money back or out has its
row (and idempotency key) committed first, and its answer recorded after."""

from __future__ import annotations

import logging

from crowdfund.campaigns.models import Campaign
from crowdfund.extensions import db
from crowdfund.payments.gateway import GatewayUnavailable, PaymentError, RateLimited
from crowdfund.settlement import payouts, refunds
from crowdfund.settlement.looking_up import LookingUp
from crowdfund.settlement.lookups import NOT_AT_GATEWAY
from crowdfund.settlement.models import Payout, PayoutStatus, Refund, RefundStatus
from crowdfund.supervision import isolated

log = logging.getLogger("crowdfund.settlement")


class MoneyOut(LookingUp):
    """Part of :class:`~crowdfund.settlement.runner.Settler` (its ``app``, ``gateway``,
    ``bucket`` and ``_call``)."""

    def refund(self, refund_id: int) -> str:
        """Send one refund (its row is committed already) and record the answer; one
        started longer ago than the gateway replays its key is looked up first."""
        looked_up = self.look_up_refund(refund_id)
        if looked_up not in (None, NOT_AT_GATEWAY):
            return looked_up
        with self.app.app_context():
            row = db.session.get(Refund, refund_id)
            if row is None or row.status is not RefundStatus.STARTED:
                db.session.commit()
                return row.status.value if row else "missing"
            request = dict(payment_intent_id=row.attempt.payment_intent_id, amount=row.amount,
                           metadata={"pledge_id": str(row.pledge_id),
                                     "refund_id": str(row.id)},
                           idempotency_key=row.idempotency_key)
            db.session.commit()
            result = self._call(self.gateway.refund, request)
            if result is None:
                return "retry later"
            outcome = refunds.record_refund(db.session.get(Refund, refund_id), result)
            db.session.commit()
            return outcome

    def process_refunds(self, campaign_id: int | None = None) -> int:
        with self.app.app_context():
            ids = refunds.started_refund_ids(campaign_id)
            db.session.commit()
        return sum(isolated(self.app, "send refund", refund_id, self.refund, refund_id)
                   == "succeeded" for refund_id in ids)

    def send_transfers(self) -> int:
        """Pay due payouts by Connect transfer (crash-safe: key stored before the call)."""
        sent = 0
        with self.app.app_context():
            ids = payouts.transferable_ids()
            db.session.commit()
        for payout_id in ids:
            sent += isolated(self.app, "send payout", payout_id, self._transfer, payout_id) \
                is True
        return sent

    def _transfer(self, payout_id: int) -> bool:
        """One payout by Connect transfer; True when the transfer was made. One started
        longer ago than the gateway replays its key is looked up first."""
        looked_up = self.look_up_transfer(payout_id)
        if looked_up not in (None, NOT_AT_GATEWAY):
            return looked_up == PayoutStatus.PAID.value
        with self.app.app_context():
            payout = db.session.get(Payout, payout_id, with_for_update=True)
            destination = payouts.connect_destination(
                db.session.get(Campaign, payout.campaign_id))
            if destination is None or not payouts.begin_transfer(payout, destination):
                db.session.commit()
                return False
            request = dict(amount=payout.amount, destination=payout.destination_account,
                           metadata={"campaign_id": str(payout.campaign_id),
                                     "payout_id": str(payout.id)},
                           idempotency_key=payout.idempotency_key)
            db.session.commit()
            try:
                self.bucket.acquire()
                transfer_id, error = self.gateway.transfer(**request), None
            except (RateLimited, GatewayUnavailable) as exc:
                log.warning("payout %s: %s; next pass", payout_id, exc)
                return False  # stays started: resent with the same key
            except PaymentError as exc:
                transfer_id, error = None, str(exc)
            payouts.record_transfer(db.session.get(Payout, payout_id), transfer_id, error)
            db.session.commit()
            return transfer_id is not None
