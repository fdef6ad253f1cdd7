"""The settlement job's look-ups of refunds and transfers too old to resend blindly
(``lookups``): each read under the rate budget, with no transaction open during it."""

from __future__ import annotations

import logging

from crowdfund.extensions import db
from crowdfund.settlement import lookups
from crowdfund.settlement.models import Payout, PayoutStatus, Refund, RefundStatus
from crowdfund.settlement.reading import GatewayReader
from crowdfund.supervision import FAILED, isolated

log = logging.getLogger("crowdfund.settlement")


class LookingUp:
    """Part of :class:`~crowdfund.settlement.runner.Settler` (its ``app``, ``gateway``,
    ``bucket``, ``max_tries``, ``backoff`` and ``sleep``)."""

    def look_up_money_out(self) -> int:
        """Every stale refund and transfer looked up; returns how many were found and
        recorded or found missing (then sent again by the pass)."""
        with self.app.app_context():
            refund_ids, payout_ids = lookups.stale_refund_ids(), lookups.stale_payout_ids()
            db.session.commit()
        done = [isolated(self.app, "look up refund", i, self.look_up_refund, i)
                for i in refund_ids]
        done += [isolated(self.app, "look up transfer", i, self.look_up_transfer, i)
                 for i in payout_ids]
        return sum(outcome not in (FAILED, None) for outcome in done)

    def look_up_refund(self, refund_id: int) -> str | None:
        """A started refund older than the gateway's replay window, looked up among its
        PaymentIntent's refunds by our ``refund_id``: its outcome, or NOT_AT_GATEWAY (it
        may be sent now). None when it is not stale (or not started)."""
        with self.app.app_context():
            refund = db.session.get(Refund, refund_id)
            if refund is None or refund.status is not RefundStatus.STARTED \
                    or not lookups.stale(refund):
                db.session.commit()
                return None
            intent = refund.attempt.payment_intent_id
            db.session.commit()
        reader = GatewayReader.of(self)
        found = [r for r in reader.pages(self.gateway.list_refunds, payment_intent_id=intent)
                 if r.refund_row_id == refund_id]
        with self.app.app_context():
            refund = db.session.get(Refund, refund_id, with_for_update=True)
            outcome = lookups.refund_found(refund, found)
            db.session.commit()
        log.info("refund %s looked up at the gateway: %s", refund_id, outcome)
        return outcome

    def look_up_transfer(self, payout_id: int) -> str | None:
        """A payout's transfer started longer ago than the replay window, looked up among
        the founder's account's transfers by our ``payout_id``: the payout's status, or
        NOT_AT_GATEWAY. None when it is not stale (or not started)."""
        with self.app.app_context():
            payout = db.session.get(Payout, payout_id)
            if payout is None or payout.status is not PayoutStatus.STARTED \
                    or not lookups.stale(payout):
                db.session.commit()
                return None
            destination = payout.destination_account
            db.session.commit()
        reader = GatewayReader.of(self)
        found = [t for t in reader.pages(self.gateway.list_transfers, destination=destination)
                 if t.payout_id == payout_id]
        with self.app.app_context():
            payout = db.session.get(Payout, payout_id, with_for_update=True)
            outcome = lookups.transfer_found(payout, found)
            db.session.commit()
        log.info("payout %s's transfer looked up at the gateway: %s", payout_id, outcome)
        return outcome
