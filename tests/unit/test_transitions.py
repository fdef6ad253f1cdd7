"""The transition tables: every allowed move works and is recorded; every other one is refused."""

import itertools
from types import SimpleNamespace

import pytest

from crowdfund.campaigns.states import CAMPAIGN_TRANSITIONS, CampaignStatus
from crowdfund.pledges.models import PledgeStatus
from crowdfund.pledges.states import PLEDGE_TRANSITIONS
from crowdfund.statemachine import InvalidTransition, TransitionTable

S = CampaignStatus

# Written out independently of the table under test, from DOMAIN.md's lifecycle.
EXPECTED_CAMPAIGN = {
    (S.DRAFT, S.SUBMITTED), (S.SUBMITTED, S.APPROVED), (S.SUBMITTED, S.REJECTED),
    (S.SUBMITTED, S.DRAFT), (S.REJECTED, S.SUBMITTED), (S.APPROVED, S.LIVE), (S.APPROVED, S.DRAFT),
    (S.LIVE, S.FUNDED), (S.LIVE, S.FAILED), (S.LIVE, S.CANCELLED), (S.LIVE, S.SUSPENDED),
    (S.FUNDED, S.COLLECTING), (S.FUNDED, S.CANCELLED), (S.COLLECTING, S.SETTLED),
    (S.COLLECTING, S.CANCELLED),
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
        with pytest.raises(InvalidTransition):
            table.apply(obj, b, actor="op")
        assert obj.status is a and log == []


@pytest.mark.parametrize(("a", "b"), list(itertools.product(PledgeStatus, PledgeStatus)),
                         ids=lambda s: s.value)
def test_pledge_pair(a, b):
    table, log = _table(PLEDGE_TRANSITIONS)
    obj = SimpleNamespace(id=1, status=a)
    if b in PLEDGE_TRANSITIONS[a]:
        table.apply(obj, b)
        assert obj.status is b and len(log) == 1
    else:
        with pytest.raises(InvalidTransition):
            table.apply(obj, b)
        assert obj.status is a and log == []


def test_final_pledge_statuses_are_final():
    for status in (PledgeStatus.CANCELLED, PledgeStatus.RELEASED, PledgeStatus.DROPPED,
                   PledgeStatus.REFUNDED):
        assert PLEDGE_TRANSITIONS[status] == set()
