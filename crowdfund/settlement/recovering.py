"""The settlement job after charging: payments waiting for authentication, the backer's
retry from the fix page, reminders, the final retry and the drop, settling campaigns whose
collection window closed, payouts due."""

from __future__ import annotations

import logging

from crowdfund.campaigns.models import Campaign
from crowdfund.extensions import db
from crowdfund.payments.gateway import PaymentError
from crowdfund.pledges.models import Pledge
from crowdfund.settlement import payouts, recovery, services
from crowdfund.settlement.models import ChargeAttempt, ChargeStatus
from crowdfund.supervision import FAILED, isolated

log = logging.getLogger("crowdfund.settlement")


class Recovering:
    """Part of :class:`~crowdfund.settlement.runner.Settler` (its ``app``, ``gateway``,
    ``bucket``, ``_charge_one``, ``_in_context``, ``send_transfers`` and
    ``process_late``)."""

    def complete_or_cancel_waiting(self, pledge_id: int) -> str | None:
        """A PaymentIntent waiting for authentication: record it if the backer completed it,
        otherwise cancel it so that it can never be completed after another charge.
        Returns "succeeded" when it turned out paid, None otherwise."""
        with self.app.app_context():
            attempt = recovery.waiting_authentication(db.session.get(Pledge, pledge_id))
            if attempt is None:
                db.session.commit()
                return None
            attempt_id, intent_id = attempt.id, attempt.payment_intent_id
            db.session.commit()
            self.bucket.acquire()
            info = self.gateway.retrieve_payment_intent(intent_id)
            if not info.succeeded and info.status != "canceled":
                info = self.gateway.cancel_payment_intent(intent_id)
            attempt = db.session.get(ChargeAttempt, attempt_id)
            if info.succeeded:
                outcome = services.record_outcome(attempt, info)
            else:
                if attempt.status is ChargeStatus.REQUIRES_ACTION:
                    recovery.supersede(attempt, "Authentication not completed; cancelled")
                outcome = None
            db.session.commit()
            return outcome

    def retry(self, pledge_id: int) -> str:
        """Charge a pledge whose payment failed once more (its saved card, maybe a new one).

        Used by the fix page (the backer is present) and for the final automatic retry.
        """
        if self.complete_or_cancel_waiting(pledge_id) == "succeeded":
            return "succeeded"
        return self._charge_one(pledge_id, retry=True)

    def process_recovery(self) -> dict[str, int]:
        """Reminders, the final retry and drops, settling campaigns whose window closed,
        payouts: each step commits its own work."""
        done = {"reminded": 0, "final retries": 0, "dropped": 0, "settled": 0,
                "payouts due": 0, "payouts sent": 0}
        done["reminded"] = isolated(self.app, "recovery", "reminders", self._in_context,
                                    recovery.send_reminders) or 0
        closed = self._in_context(recovery.window_closed_ids)
        for pledge_id in closed:
            outcome = isolated(self.app, "recovery: window closed", pledge_id,
                               self._after_window, pledge_id) or set()
            done["final retries"] += "final retry" in outcome
            done["dropped"] += "dropped" in outcome
        done["cancelled waiting"] = self.cancel_orphaned_waiting()
        done["late pledges read back"] = self.process_late()
        for campaign_id in self._in_context(recovery.campaigns_to_settle):
            settled = isolated(self.app, "settle after collection", campaign_id,
                               self._in_context, lambda cid=campaign_id: recovery.settle_campaign(
                                   db.session.get(Campaign, cid)))
            done["settled"] += settled is not FAILED
        done["payouts due"] = isolated(self.app, "payouts", "make due", self._in_context,
                                       payouts.make_due) or 0
        done["payouts sent"] = self.send_transfers()
        return done

    def _after_window(self, pledge_id: int) -> set[str]:
        """A pledge still unpaid when its fix window closed: the final automatic retry (once),
        then the drop. Returns what was done: {"final retry", "dropped"}, either, or none
        (paid, or the next pass)."""
        done: set[str] = set()
        with self.app.app_context():
            made = recovery.final_retry_made(db.session.get(Pledge, pledge_id))
            db.session.commit()
        if not made:
            done.add("final retry")
            try:
                if self.retry(pledge_id) == "succeeded":
                    return done
            except PaymentError as error:
                log.warning("final retry of pledge %s: %s", pledge_id, error)
                return done
        try:
            if self.complete_or_cancel_waiting(pledge_id) == "succeeded":
                return done
        except PaymentError:
            return done  # the PaymentIntent could not be cancelled: try again next pass
        with self.app.app_context():
            pledge = db.session.get(Pledge, pledge_id, with_for_update=True)
            if recovery.can_drop(pledge):
                recovery.drop(pledge)
                done.add("dropped")
            db.session.commit()
        return done

    def cancel_orphaned_waiting(self) -> int:
        """Cancel PaymentIntents still waiting for authentication on pledges that no longer
        need them (dropped, or their campaign was cancelled), so nobody completes one later.
        One that was completed in the meantime is recorded (and shows in the ledger check
        as a charge on a pledge that is not collected: an operator refunds it)."""
        with self.app.app_context():
            ids = recovery.orphaned_waiting_ids()
            db.session.commit()
        # A PaymentIntent that cannot be cancelled now is recorded (operators see it) and
        # tried again on the next pass.
        return sum(isolated(self.app, "cancel waiting payment", pledge_id,
                            self.complete_or_cancel_waiting, pledge_id) is None
                   for pledge_id in ids)
