"""Settlement as jobs (``crowdfund.queue``): a pass queues each due campaign; a campaign's
settlement closes it and queues its charges as keyset batches that every worker takes
from; the batch that charges the last pledge moves the campaign on to collecting.

Each step is idempotent on our rows: a batch claims nothing but its job, and charges its
range through the same protocol as ``flask settle`` (attempt and key committed before the
call), so a batch run twice, or by two workers at once, sends the same keys and charges
each pledge once.
"""

from __future__ import annotations

from crowdfund import queue
from crowdfund.campaigns.models import Campaign
from crowdfund.extensions import db
from crowdfund.settlement import plan as settlement_plan
from crowdfund.settlement import services
from crowdfund.settlement.report import Report

CHARGE_BATCH, SETTLE_CAMPAIGN, SEND_REFUNDS = "charge batch", "settle campaign", "send refunds"


def subject_of(campaign_id: int) -> str:
    return f"campaign:{campaign_id}"


def queue_settlement(campaign_id: int, requested_by: int | None = None) -> queue.Job:
    """The settlement of one campaign as a job (once while one is waiting), in the
    caller's transaction: an operator's "Settle now", or the pass for each due campaign."""
    return queue.enqueue(SETTLE_CAMPAIGN, campaign_id, key=f"{SETTLE_CAMPAIGN} {campaign_id}",
                         subject=subject_of(campaign_id), requested_by=requested_by)


def queue_refunds(campaign_id: int, requested_by: int | None = None) -> queue.Job:
    """A cancelled campaign's refunds as a job (an operator's "Cancel and refund")."""
    return queue.enqueue(SEND_REFUNDS, campaign_id, key=f"{SEND_REFUNDS} {campaign_id}",
                         subject=subject_of(campaign_id), requested_by=requested_by)


class FanOut:
    """Part of :class:`~crowdfund.settlement.runner.Settler` (its ``app``, ``batch``,
    ``_charge_all`` and the passes of the other parts)."""

    def plan_batches(self, campaign_id: int, report) -> int:
        """A funded campaign's charges as batch jobs of ``batch`` pledges each (keyset
        ranges, read ``batch`` ids at a time: constant memory), unless batches are still
        running; with nothing left to charge, the campaign moves on. Returns the batches
        queued."""
        subject = subject_of(campaign_id)
        if queue.unfinished_count(subject, CHARGE_BATCH):
            report.outcome = "funded: charging continues"
            return 0
        after, batches = 0, 0
        while ids := services.pledge_ids_to_charge(campaign_id, after, self.batch):
            queue.enqueue(CHARGE_BATCH, campaign_id, after, ids[-1], subject=subject,
                          key=f"{CHARGE_BATCH} {campaign_id} {after}")
            after, batches = ids[-1], batches + 1
        if batches:
            db.session.commit()
            report.outcome = f"funded: charging in {batches} batch{'es' if batches > 1 else ''}"
            return batches
        campaign = db.session.get(Campaign, campaign_id, with_for_update=True)
        done = services.finish_charging(campaign)
        db.session.commit()
        report.outcome = "funded: charged" if done else "funded: charges awaiting their outcome"
        return 0

    def charge_batch(self, campaign_id: int, after: int, through: int) -> str:
        """The active pledges of a campaign with ``after < id <= through`` charged once;
        the batch that leaves nothing to charge moves the campaign to collecting."""
        report = Report(f"campaign {campaign_id} pledges {after + 1}-{through}")
        with self.app.app_context():
            self._charge_all(campaign_id, report, after, through, claimed=False)
            campaign = db.session.get(Campaign, campaign_id, with_for_update=True)
            finished = services.finish_charging(campaign)
            db.session.commit()
        report.outcome = "charged; campaign collecting" if finished else "charged"
        return report.describe()

    def queue_due(self) -> int:
        """A settlement job for each due campaign (none twice)."""
        with self.app.app_context():
            ids = settlement_plan.due_campaign_ids()
            for campaign_id in ids:
                queue_settlement(campaign_id)
            db.session.commit()
        return len(ids)

    def run_pass(self) -> dict[str, int]:
        """The settle pass as jobs: charges to look up, due campaigns queued, refunds,
        recovery and payouts (email goes out in a pass of its own)."""
        done = {"reconciled": self.reconcile_unknown(), "campaigns queued": self.queue_due()}
        done["refunds"] = self.process_refunds()
        done.update(self.process_recovery())
        return done

    def send_refunds(self, campaign_id: int) -> str:
        """A cancelled campaign's refunds, and its payments waiting for authentication
        cancelled so that nobody completes one now."""
        cancelled = self.cancel_orphaned_waiting()
        sent = self.process_refunds(campaign_id)
        return f"refunds sent: {sent}; waiting payments cancelled: {cancelled}"
