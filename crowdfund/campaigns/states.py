"""Campaign statuses and the one table of allowed transitions between them."""

from __future__ import annotations

import enum

from crowdfund.i18n import _l
from crowdfund.statemachine import TransitionTable, audit_recorder, label_statuses


class CampaignKind(enum.Enum):
    """What backers get: rewards, or securities (equity terms come with the offering)."""

    REWARD = "reward"
    EQUITY = "equity"


class FundingModel(enum.Enum):
    """When backers are charged (docs/domain.md#funding-models), chosen before launch."""

    #: Charged only if the pledged total reaches the goal by the deadline (the default).
    ALL_OR_NOTHING = "all_or_nothing"
    #: Keep it all: charged at the deadline whatever the total, if anything was pledged;
    #: never an equity offering.
    FLEXIBLE = "flexible"


FUNDING_MODEL_LABELS = {
    FundingModel.ALL_OR_NOTHING: _l("All-or-nothing"),
    FundingModel.FLEXIBLE: _l("Flexible funding"),
}


class CampaignStatus(enum.Enum):
    """Where a campaign is in its life (docs/domain.md#campaign-lifecycle)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    REJECTED = "rejected"
    APPROVED = "approved"
    LIVE = "live"
    CANCELLED = "cancelled"
    SUSPENDED = "suspended"
    FUNDED = "funded"
    FAILED = "failed"
    COLLECTING = "collecting"
    SETTLED = "settled"
    #: A draft its founder deleted: kept (with its history) but shown to nobody but
    #: operators; its address is freed.
    DELETED = "deleted"


S = CampaignStatus

#: Every allowed move. Who may make it is checked by the service that makes it.
CAMPAIGN_TRANSITIONS: dict[CampaignStatus, set[CampaignStatus]] = {
    S.DRAFT: {S.SUBMITTED, S.DELETED},
    S.SUBMITTED: {S.APPROVED, S.REJECTED, S.DRAFT},  # DRAFT: founder withdraws
    S.REJECTED: {S.SUBMITTED, S.DELETED},  # edited and resubmitted, or given up
    S.APPROVED: {S.LIVE, S.DRAFT},  # DRAFT: founder withdraws to make changes
    S.LIVE: {S.FUNDED, S.FAILED, S.CANCELLED, S.SUSPENDED},
    S.FUNDED: {S.COLLECTING, S.CANCELLED},
    S.COLLECTING: {S.SETTLED, S.CANCELLED},
    S.FAILED: set(),
    S.CANCELLED: set(),
    S.SUSPENDED: set(),
    S.SETTLED: set(),
    S.DELETED: set(),
}

#: Every status change of a campaign goes through this, with a ``CampaignTransition`` row
#: (the ``transitions`` relationship's class: the models import these statuses).
campaign_states = TransitionTable("campaign", CAMPAIGN_TRANSITIONS,
                                  audit_recorder(None, "campaign_id", collection="transitions"))

#: Statuses whose page anyone can see (the rest only the founder and operators).
PUBLIC_STATUSES = frozenset(
    {S.LIVE, S.FUNDED, S.FAILED, S.COLLECTING, S.SETTLED, S.CANCELLED, S.SUSPENDED}
)
#: The founder may change everything.
EDITABLE_STATUSES = frozenset({S.DRAFT, S.REJECTED})
#: Past the deadline (or stopped): nothing changes any more.
ENDED_STATUSES = frozenset({S.FUNDED, S.FAILED, S.COLLECTING, S.SETTLED, S.CANCELLED,
                            S.SUSPENDED})

LABELS = label_statuses({
    S.DRAFT: _l("Draft"),
    S.SUBMITTED: _l("In review"),
    S.REJECTED: _l("Changes requested"),
    S.APPROVED: _l("Approved"),
    S.LIVE: _l("Live"),
    S.CANCELLED: _l("Cancelled"),
    S.SUSPENDED: _l("Suspended"),
    S.FUNDED: _l("Funded"),
    S.FAILED: _l("Unsuccessful"),
    # TRANSLATORS: a funded campaign whose backers' cards are being charged.
    S.COLLECTING: _l("Funded – collecting"),
    S.SETTLED: _l("Funded"),
    S.DELETED: _l("Deleted"),
})
