"""Which campaigns are due for settlement, and what settling one now would do
(``flask settle --dry-run``, the operators' review page)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from crowdfund.campaigns.funding import charges_at_deadline
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.i18n import _, ngettext
from crowdfund.money import Money
from crowdfund.pledges.models import Pledge, PledgeStatus
from crowdfund.pledges.totals import counted_totals_of
from crowdfund.settlement import cards
from crowdfund.settlement.models import ChargeAttempt, ChargeStatus
from crowdfund.statemachine import status_label

S, P, C = CampaignStatus, PledgeStatus, ChargeStatus


def due_campaign_ids(now: datetime | None = None) -> list[int]:
    """Live campaigns past their deadline, funded ones still charging, failed ones whose
    pledges are not all released yet (a close that was stopped halfway), and any campaign
    with a saved card of an uncharged pledge to detach now (``settlement.cards``)."""
    now = now or utcnow()
    return list(db.session.scalars(
        sa.select(Campaign.id).where(sa.or_(
            sa.and_(Campaign.status == S.LIVE, Campaign.deadline <= now),
            Campaign.status == S.FUNDED,
            sa.and_(Campaign.status == S.FAILED, Campaign.closed_out_at.is_(None)),
            Campaign.id.in_(cards.campaigns_due(now)),
        )).order_by(Campaign.deadline, Campaign.id)
    ))


@dataclass(frozen=True)
class Plan:
    """What settling a campaign now would do (``flask settle --dry-run``)."""

    slug: str
    status: str
    outcome: str  # "funded", "failed" or "not due"
    pledged: Money
    goal: Money
    to_charge: int
    amount_to_charge: Money
    already_charged: int
    #: Saved cards of pledges that ended uncharged, still to detach (``settlement.cards``).
    cards_to_detach: int = 0
    #: Flexible funding: charged whatever the total (below the goal too).
    flexible: bool = False

    def describe(self) -> str:
        """In the reader's language (the operators' review page; the command's output)."""
        parts = [self._describe()]
        if self.outcome == "funded" and self.already_charged:
            parts.append(ngettext("%(num)s already charged", "%(num)s already charged",
                                  self.already_charged))
        if self.cards_to_detach:
            parts.append(ngettext("detach %(num)s saved card", "detach %(num)s saved cards",
                                  self.cards_to_detach))
        # TRANSLATORS: between the parts of a settlement plan ("…: charge 2 pledges, $170.00;
        # 1 already charged; detach 1 saved card").
        return _("; ").join(parts)

    def _describe(self) -> str:
        values = {"slug": self.slug, "pledged": self.pledged.format(),
                  "goal": self.goal.format()}
        if self.outcome == "not due":
            # TRANSLATORS: a campaign (its address name) not due for settlement yet, and its
            # status ("live, not due").
            return _("%(slug)s: %(status)s, not due", slug=self.slug,
                     status=str(status_label(CampaignStatus(self.status))).lower())
        if self.outcome == "failed":
            return ngettext("%(slug)s: failed (%(pledged)s of %(goal)s): release %(num)s "
                            "pledge, charge nobody",
                            "%(slug)s: failed (%(pledged)s of %(goal)s): release %(num)s "
                            "pledges, charge nobody", self.to_charge, **values)
        if self.flexible and self.pledged < self.goal:
            return ngettext("%(slug)s: flexible funding, below its goal (%(pledged)s of "
                            "%(goal)s): charge %(num)s pledge, %(amount)s",
                            "%(slug)s: flexible funding, below its goal (%(pledged)s of "
                            "%(goal)s): charge %(num)s pledges, %(amount)s", self.to_charge,
                            amount=self.amount_to_charge.format(), **values)
        return ngettext("%(slug)s: funded (%(pledged)s of %(goal)s): charge %(num)s pledge, "
                        "%(amount)s",
                        "%(slug)s: funded (%(pledged)s of %(goal)s): charge %(num)s pledges, "
                        "%(amount)s", self.to_charge, amount=self.amount_to_charge.format(),
                        **values)


def plan(campaign: Campaign, now: datetime | None = None) -> Plan:
    """Read-only: the outcome and the charges settlement would make now."""
    now = now or utcnow()
    totals = counted_totals_of(campaign)
    pledged = (Money(campaign.pledged_at_deadline_minor, campaign.currency)
               if campaign.pledged_at_deadline_minor is not None else totals.pledged)
    due = (campaign.status is S.LIVE and campaign.deadline is not None
           and campaign.deadline <= now) or campaign.status is S.FUNDED
    if not due:
        outcome = "not due"
    elif campaign.status is S.FUNDED or charges_at_deadline(campaign, pledged):
        outcome = "funded"
    else:
        outcome = "failed"
    row = db.session.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(Pledge.amount_minor), 0))
        .where(Pledge.campaign_id == campaign.id, Pledge.status == P.ACTIVE)).one()
    charged = db.session.scalar(sa.select(sa.func.count()).select_from(ChargeAttempt).where(
        ChargeAttempt.campaign_id == campaign.id, ChargeAttempt.status == C.SUCCEEDED)) or 0
    return Plan(campaign.slug, campaign.status.value, outcome, pledged, campaign.goal,
                int(row[0]), Money(int(row[1]), campaign.currency), charged,
                cards.count_to_detach(campaign.id), campaign.is_flexible)
