"""The transition tables: every allowed move works and is recorded; every other one is refused."""

import itertools
from types import SimpleNamespace

import pytest

from crowdfund.campaigns.states import CAMPAIGN_TRANSITIONS, CampaignStatus
from crowdfund.pledges.models import PledgeStatus
from crowdfund.pledges.states import PLEDGE_TRANSITIONS
from crowdfund.statemachine import InvalidTransition, TransitionTable

S = CampaignStatus

# Written out independently of the table under test, from the lifecycle in
# docs/domain.md#campaign-lifecycle.
EXPECTED_CAMPAIGN = {
    (S.DRAFT, S.SUBMITTED), (S.SUBMITTED, S.APPROVED), (S.SUBMITTED, S.REJECTED),
    (S.SUBMITTED, S.DRAFT), (S.REJECTED, S.SUBMITTED), (S.APPROVED, S.LIVE), (S.APPROVED, S.DRAFT),
    (S.LIVE, S.FUNDED), (S.LIVE, S.FAILED), (S.LIVE, S.CANCELLED), (S.LIVE, S.SUSPENDED),
    (S.FUNDED, S.COLLECTING), (S.FUNDED, S.CANCELLED), (S.COLLECTING, S.SETTLED),
    (S.COLLECTING, S.CANCELLED),
    # A founder deletes a campaign that never went to review or was sent back (issue 15).
    (S.DRAFT, S.DELETED), (S.REJECTED, S.DELETED),
}


P = PledgeStatus

# Written out independently of the table, from docs/domain.md#pledge-lifecycle: a pending
# attempt becomes active when its card is saved (or is cancelled, or released with its
# campaign); an active pledge is cancelled by its backer, released when its campaign
# fails or stops, or charged at the deadline (collected, errored, or waiting for 3-D
# Secure); an unpaid one is paid within the fix window or dropped; money collected can
# be refunded or disputed, and a dispute won puts it back to collected. A late pledge is
# charged at once: pending to collected (or cancelled when its charge fails).
EXPECTED_PLEDGE = {
    (P.PENDING, P.ACTIVE), (P.PENDING, P.CANCELLED), (P.PENDING, P.RELEASED),
    (P.PENDING, P.COLLECTED),
    (P.ACTIVE, P.CANCELLED), (P.ACTIVE, P.RELEASED), (P.ACTIVE, P.COLLECTED),
    (P.ACTIVE, P.ERRORED), (P.ACTIVE, P.AUTHENTICATION_REQUIRED),
    (P.ERRORED, P.COLLECTED), (P.ERRORED, P.AUTHENTICATION_REQUIRED), (P.ERRORED, P.DROPPED),
    (P.AUTHENTICATION_REQUIRED, P.COLLECTED), (P.AUTHENTICATION_REQUIRED, P.ERRORED),
    (P.AUTHENTICATION_REQUIRED, P.DROPPED),
    (P.COLLECTED, P.REFUNDED), (P.COLLECTED, P.DISPUTED),
    (P.DISPUTED, P.COLLECTED), (P.DISPUTED, P.REFUNDED),
}


def _table(transitions):
    log = []
    table = TransitionTable("thing", transitions,
                            lambda obj, a, b, actor, reason: log.append((a, b, actor, reason)))
    return table, log


def test_every_status_has_a_row():
    assert set(CAMPAIGN_TRANSITIONS) == set(CampaignStatus)
    assert set(PLEDGE_TRANSITIONS) == set(PledgeStatus)


@pytest.mark.parametrize(("a", "b"), list(itertools.product(CampaignStatus, CampaignStatus)),
                         ids=lambda s: s.value)
def test_campaign_pair(a, b):
    table, log = _table(CAMPAIGN_TRANSITIONS)
    obj = SimpleNamespace(id=7, status=a)
    if (a, b) in EXPECTED_CAMPAIGN:
        table.apply(obj, b, actor="op", reason="why")
        assert obj.status is b
        assert log == [(a, b, "op", "why")]
    else:
        with pytest.raises(InvalidTransition, match="cannot become") as refused:
            table.apply(obj, b, actor="op")
        assert (refused.value.from_status, refused.value.to_status) == (a, b)
        assert obj.status is a and log == []


@pytest.mark.parametrize(("a", "b"), list(itertools.product(PledgeStatus, PledgeStatus)),
                         ids=lambda s: s.value)
def test_pledge_pair(a, b):
    table, log = _table(PLEDGE_TRANSITIONS)
    obj = SimpleNamespace(id=1, status=a)
    if (a, b) in EXPECTED_PLEDGE:
        table.apply(obj, b, actor="backer", reason="why")
        assert obj.status is b
        assert log == [(a, b, "backer", "why")]
    else:
        with pytest.raises(InvalidTransition, match="cannot become") as refused:
            table.apply(obj, b)
        assert (refused.value.from_status, refused.value.to_status) == (a, b)
        assert obj.status is a and log == []


def test_final_pledge_statuses_are_final():
    for status in (PledgeStatus.CANCELLED, PledgeStatus.RELEASED, PledgeStatus.DROPPED,
                   PledgeStatus.REFUNDED):
        assert PLEDGE_TRANSITIONS[status] == set()
