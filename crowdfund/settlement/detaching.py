"""The settlement job's step for saved cards of pledges that ended uncharged: detached at
the gateway, resumably (``settlement.cards``; docs/money.md#saved-cards-after-a-pledge-ends).

``flask settle`` detaches a campaign's due cards in its own process; the jobs (Celery, or
the embedded runner) queue them as **detach cards** batch jobs of ``batch`` pledges each,
which any worker runs, as for charges. A campaign with a card left to detach stays due
(``plan.due_campaign_ids``) until every card is done, whatever its status.
"""

from __future__ import annotations

import logging

from crowdfund import queue
from crowdfund.extensions import db
from crowdfund.payments.gateway import PaymentError
from crowdfund.settlement import cards
from crowdfund.settlement.fan_out import subject_of
from crowdfund.settlement.report import Report
from crowdfund.supervision import resolved

log = logging.getLogger("crowdfund.settlement")
DETACH_CARDS = "detach cards"


class Detaching:
    """Part of :class:`~crowdfund.settlement.runner.Settler` (its ``app``, ``gateway``,
    ``bucket``, ``batch``, ``group``, ``_stream`` and ``_commit_renewing``)."""

    def give_back_cards(self, campaign_id: int, report: Report, *,
                        fan_out: bool = False) -> None:
        """The campaign's saved cards due for detaching: here, or as batch jobs."""
        if fan_out:
            self.plan_detach_batches(campaign_id, report)
        else:
            self.detach_cards(campaign_id, report)

    def detach_cards(self, campaign_id: int, report: Report, after: int = 0,
                     through: int | None = None, *, claimed: bool = True) -> None:
        """Every card of the campaign due for detaching, in pledge id order (from
        ``after``, up to ``through``): claimed ``group`` at a time (committed: step 1),
        detached ``concurrency`` at a time under the rate budget (step 2), each outcome
        recorded as it comes (step 3). With ``claimed``, the campaign's settlement claim
        is renewed as it goes."""
        ids: list[int] = []

        def begin() -> list | None:
            nonlocal ids, after
            if not ids:
                ids = cards.pledge_ids_to_detach(campaign_id, after, self.batch, through)
                if not ids:
                    db.session.commit()
                    return None
                after = ids[-1]
            group, ids = ids[:self.group], ids[self.group:]
            claimed_now = cards.claim(group)
            db.session.commit()
            for _ in range(claimed_now.kept):
                report.add(cards.KEPT)
            return claimed_now.cards

        def record(answered: list) -> None:
            outcomes = cards.record(dict(answered))
            self._commit_renewing(campaign_id, claimed)
            for pledge_id, outcome in outcomes.items():
                report.add(outcome)
                if outcome != cards.FAILED:
                    resolved(self.app, cards.DETACH_CARD, pledge_id)

        self._stream(begin, self._detach, record)

    def _detach(self, card: cards.CardToDetach) -> PaymentError | None:
        """Step 2 for one card, under the rate budget: None when detached, else the
        gateway's error (429s and outages included: the card's own backoff waits)."""
        self.bucket.acquire()
        try:
            self.gateway.detach_payment_method(card.payment_method_id)
        except PaymentError as error:
            log.info("detach the card of pledge %s: %s", card.pledge_id, error)
            return error
        return None

    # --- as jobs -------------------------------------------------------------------------

    def plan_detach_batches(self, campaign_id: int, report: Report) -> int:
        """The campaign's cards due for detaching as batch jobs of ``batch`` pledges each
        (keyset ranges, none while batches of it are still unfinished). Returns how many
        were queued."""
        subject = subject_of(campaign_id)
        if queue.unfinished_count(subject, DETACH_CARDS):
            return 0
        after, batches = 0, 0
        while ids := cards.pledge_ids_to_detach(campaign_id, after, self.batch):
            queue.enqueue(DETACH_CARDS, campaign_id, after, ids[-1], subject=subject,
                          key=f"{DETACH_CARDS} {campaign_id} {after}")
            after, batches = ids[-1], batches + 1
            report.add("card batch queued")
        db.session.commit()
        return batches

    def detach_batch(self, campaign_id: int, after: int, through: int) -> str:
        """A detach cards job: the due cards of pledges ``after < id <= through``."""
        report = Report(f"campaign {campaign_id} cards {after + 1}-{through}")
        with self.app.app_context():
            self.detach_cards(campaign_id, report, after, through, claimed=False)
        report.outcome = "cards given back"
        return report.describe()
