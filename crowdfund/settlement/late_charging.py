"""The gateway calls of a late pledge (docs/money.md#late-pledges), each step committed
before the next: begin the attempt, charge on-session with its key, record; read back what
the browser (3-D Secure) or a killed process left unanswered, and cancel a PaymentIntent
the backer never completed. Run again from anywhere, a step resends the same request with
the same key, so a late pledge is charged once."""

from __future__ import annotations

from crowdfund.extensions import db
from crowdfund.payments.gateway import InvalidRequest
from crowdfund.pledges.models import Pledge
from crowdfund.settlement import late, services
from crowdfund.settlement.models import ChargeAttempt, ChargeStatus
from crowdfund.supervision import isolated


class LateCharging:
    """Part of :class:`~crowdfund.settlement.runner.Settler` (its ``app``, ``gateway``,
    ``bucket`` and ``_call``)."""

    def charge_late(self, pledge_id: int) -> str:
        """Charge a late pledge whose card is saved (the card page), or resume its charge
        (the read-back job): "succeeded", "requires_action", "failed", or "retry later"."""
        with self.app.app_context():
            pledge = db.session.get(Pledge, pledge_id)
            attempt = late.begin_late_charge(pledge)
            if attempt is None:  # answered already (or waiting for 3-D Secure)
                waiting = late.waiting_attempt(pledge)
                db.session.commit()
                return waiting.status.value if waiting else pledge.status.value
            request = services.charge_request(pledge, attempt)
            attempt_id = attempt.id
            db.session.commit()
            result = self._call(self.gateway.charge_on_session, request)
            if result is None:
                return "retry later"
            outcome = late.record_late(db.session.get(ChargeAttempt, attempt_id), result)
            db.session.commit()
            return outcome

    def read_back_late(self, pledge_id: int, *, give_up: bool = False) -> str:
        """What became of a late pledge's PaymentIntent, read from the gateway (never the
        browser's word): paid is recorded; still waiting is left to the backer until
        LATE_PLEDGE_PAY_WITHIN (or ``give_up``), then cancelled and the pledge with it."""
        with self.app.app_context():
            pledge = db.session.get(Pledge, pledge_id)
            attempt = late.waiting_attempt(pledge)
            if attempt is None:
                db.session.commit()
                return pledge.status.value
            if attempt.status is ChargeStatus.STARTED:
                db.session.commit()
                return self.charge_late(pledge_id)  # the same key: the first answer replayed
            attempt_id, intent_id = attempt.id, attempt.payment_intent_id
            give_up = give_up or late.given_up(attempt)
            db.session.commit()
            self.bucket.acquire()
            info = self.gateway.retrieve_payment_intent(intent_id)
            if not info.succeeded and info.status != "canceled" and (
                    give_up or not info.needs_authentication):
                info = self._cancel(intent_id)
            if info.status == "processing":
                return "retry later"  # neither paid nor failed yet: the next pass
            attempt = db.session.get(ChargeAttempt, attempt_id)
            outcome = late.record_late(attempt, info)
            db.session.commit()
            return outcome

    def _cancel(self, intent_id: str):
        """Cancel a PaymentIntent nobody will complete; one paid meanwhile is read again."""
        self.bucket.acquire()
        try:
            return self.gateway.cancel_payment_intent(intent_id)
        except InvalidRequest:
            return self.gateway.retrieve_payment_intent(intent_id)

    def process_late(self) -> int:
        """The read-back pass: every late pledge left unanswered READ_BACK_AFTER ago."""
        with self.app.app_context():
            ids = late.ids_to_read_back()
            db.session.commit()
        for pledge_id in self._in_context(late.ids_left_unpaid):
            isolated(self.app, "late pledge unpaid", pledge_id, self._in_context,
                     lambda pledge_id=pledge_id: late.end_unpaid(pledge_id))
        done = 0
        for pledge_id in ids:
            outcome = isolated(self.app, "late pledge read-back", pledge_id,
                               self.read_back_late, pledge_id)
            done += outcome in ("succeeded", "failed", "collected", "cancelled")
        return done
