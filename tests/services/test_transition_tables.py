"""Every status table: complete, the moves the domain allows and no others, and what each
change records (who, from, to, why). Staff picks and identity checks are audited too."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from crowdfund.auth.models import VerificationStatus, VerificationTransition
from crowdfund.auth.services import set_verification
from crowdfund.auth.states import verification_states
from crowdfund.campaigns import services as campaigns
from crowdfund.campaigns.models import StaffPickChange
from crowdfund.campaigns.states import CampaignStatus, campaign_states
from crowdfund.community.models import CommentStatus, CommentTransition
from crowdfund.community.states import comment_states
from crowdfund.equity import changes
from crowdfund.equity.models import OfferingChangeStatus, OfferingChangeTransition
from crowdfund.equity.services import offering_of
from crowdfund.equity.states import offering_change_states
from crowdfund.errors import DomainError, NotAllowed
from crowdfund.pledges.models import PledgeStatus
from crowdfund.pledges.states import pledge_states
from crowdfund.settlement.books.models import DifferenceStatus, difference_states
from crowdfund.settlement.models import (
    ChargeAttempt,
    ChargeStatus,
    ChargeTransition,
    Dispute,
    DisputeStatus,
    DisputeTransition,
    Payout,
    PayoutStatus,
    PayoutTransition,
    Refund,
    RefundStatus,
    RefundTransition,
)
from crowdfund.settlement.states import (
    charge_states,
    dispute_states,
    payout_states,
    refund_states,
)
from crowdfund.statemachine import InvalidTransition
from tests.factories import investor, live_offering, make_campaign, make_user, terms_of

C, R, PO, P, D = ChargeStatus, RefundStatus, PayoutStatus, PledgeStatus, DisputeStatus

TABLES = [(campaign_states, CampaignStatus), (pledge_states, PledgeStatus),
          (charge_states, ChargeStatus), (refund_states, RefundStatus),
          (payout_states, PayoutStatus), (dispute_states, DisputeStatus),
          (comment_states, CommentStatus),
          (offering_change_states, OfferingChangeStatus),
          (verification_states, VerificationStatus),
          (difference_states, DifferenceStatus)]


@pytest.mark.parametrize(("table", "statuses"), TABLES, ids=lambda t: getattr(t, "model", ""))
def test_every_status_has_its_row(table, statuses):
    """A status missing from its table could never be left (nor reached by mistake)."""
    assert set(table.table) == set(statuses)
    for allowed in table.table.values():
        assert allowed <= set(statuses)


#: (table, from, to, allowed): what the domain says, written out independently of the
#: tables (docs/domain.md#pledge-lifecycle): money that moved never moves back by a
#: status change.
MOVES = [
    (charge_states, C.STARTED, C.SUCCEEDED, True),
    (charge_states, C.STARTED, C.UNKNOWN, True),
    (charge_states, C.UNKNOWN, C.NOT_SENT, True),  # the gateway never saw it
    (charge_states, C.REQUIRES_ACTION, C.SUCCEEDED, True),
    (charge_states, C.STARTED, C.NOT_SENT, False),  # only once we asked and it is unknown
    (charge_states, C.SUCCEEDED, C.FAILED, False),
    (charge_states, C.FAILED, C.SUCCEEDED, False),  # a new attempt, never the same one
    (charge_states, C.NOT_SENT, C.STARTED, False),
    (refund_states, R.STARTED, R.SUCCEEDED, True),
    (refund_states, R.STARTED, R.FAILED, True),
    (refund_states, R.SUCCEEDED, R.FAILED, False),
    (refund_states, R.FAILED, R.STARTED, False),  # a new refund row, with its own key
    (payout_states, PO.SCHEDULED, PO.DUE, True),
    (payout_states, PO.DUE, PO.PAID, True),  # paid by hand
    (payout_states, PO.STARTED, PO.FAILED, True),
    (payout_states, PO.FAILED, PO.STARTED, True),  # retried
    (payout_states, PO.SCHEDULED, PO.PAID, False),  # not before it is due
    (payout_states, PO.PAID, PO.FAILED, False),
    (payout_states, PO.PAID, PO.STARTED, False),
    # A dispute only moves forward (a late "updated" after "closed" changes nothing); an
    # inquiry may become a dispute, even after it closed; a decided one never changes.
    (dispute_states, D.NEEDS_RESPONSE, D.UNDER_REVIEW, True),
    (dispute_states, D.UNDER_REVIEW, D.WON, True),
    (dispute_states, D.UNDER_REVIEW, D.LOST, True),
    (dispute_states, D.NEEDS_RESPONSE, D.LOST, True),  # not answered, or accepted
    (dispute_states, D.WARNING_NEEDS_RESPONSE, D.NEEDS_RESPONSE, True),
    (dispute_states, D.WARNING_CLOSED, D.NEEDS_RESPONSE, True),
    (dispute_states, D.UNDER_REVIEW, D.NEEDS_RESPONSE, False),
    (dispute_states, D.WON, D.UNDER_REVIEW, False),
    (dispute_states, D.LOST, D.WON, False),
    (dispute_states, D.WON, D.LOST, False),
    (dispute_states, D.NEEDS_RESPONSE, D.WARNING_CLOSED, False),
    (dispute_states, D.NEEDS_RESPONSE, D.NEEDS_RESPONSE, False),
    (comment_states, CommentStatus.VISIBLE, CommentStatus.HIDDEN, True),
    (comment_states, CommentStatus.HIDDEN, CommentStatus.VISIBLE, True),
    (comment_states, CommentStatus.VISIBLE, CommentStatus.VISIBLE, False),
    (offering_change_states, OfferingChangeStatus.PENDING, OfferingChangeStatus.APPLIED, True),
    (offering_change_states, OfferingChangeStatus.APPLIED, OfferingChangeStatus.PENDING, False),
    (pledge_states, P.COLLECTED, P.ACTIVE, False),
    (pledge_states, P.REFUNDED, P.COLLECTED, False),
    (campaign_states, CampaignStatus.SETTLED, CampaignStatus.LIVE, False),
    # A difference with the gateway is resolved once, by an operator; never reopened.
    (difference_states, DifferenceStatus.OPEN, DifferenceStatus.RESOLVED, True),
    (difference_states, DifferenceStatus.RESOLVED, DifferenceStatus.OPEN, False),
]


@pytest.mark.parametrize(("table", "from_status", "to_status", "allowed"), MOVES,
                         ids=lambda v: getattr(v, "model", getattr(v, "value", str(v))))
def test_the_moves_the_domain_allows_and_no_others(table, from_status, to_status, allowed):
    assert table.can(from_status, to_status) is allowed


@pytest.mark.parametrize(("table", "row", "audit", "owner"), [
    (charge_states, lambda: ChargeAttempt(id=7001, status=C.STARTED), ChargeTransition,
     "attempt_id"),
    (refund_states, lambda: Refund(id=7002, status=R.STARTED), RefundTransition, "refund_id"),
    (payout_states, lambda: Payout(id=7003, status=PO.DUE), PayoutTransition, "payout_id"),
    (dispute_states, lambda: Dispute(id=7004, status=D.NEEDS_RESPONSE), DisputeTransition,
     "dispute_id"),
], ids=["charge", "refund", "payout", "dispute"])
def test_a_change_records_who_from_to_and_why_and_a_refused_one_changes_nothing(
        session, table, row, audit, owner):
    obj = row()
    start = obj.status
    end = next(iter(table.allowed(start)))
    operator = make_user(operator=True)
    session.flush()
    table.apply(obj, end, actor=operator, reason="Because the gateway said so")
    recorded = [r for r in session.new if isinstance(r, audit)]
    assert obj.status is end and len(recorded) == 1
    assert (recorded[0].from_status, recorded[0].to_status, recorded[0].actor_id,
            recorded[0].reason, getattr(recorded[0], owner)) == (
        start, end, operator.id, "Because the gateway said so", obj.id)
    terminal = next(s for s, nxt in table.table.items() if not nxt)
    obj.status = terminal
    with pytest.raises(InvalidTransition, match="cannot become") as refused:
        table.apply(obj, start)
    assert (refused.value.from_status, refused.value.to_status) == (terminal, start)
    assert obj.status is terminal
    assert len([r for r in session.new if isinstance(r, audit)]) == 1
    session.rollback()


def test_hiding_a_comment_is_audited(session):
    from crowdfund.community import comments

    campaign = make_campaign(status=CampaignStatus.LIVE)
    backer, operator = make_user(), make_user(operator=True)
    session.flush()
    comment = comments.post_comment(campaign, backer, "A fair question about the kettle?")
    session.flush()
    comments.hide(comment, operator, "Personal details of a third party")
    comments.restore(comment, operator, "Details removed by the author")
    session.flush()
    rows = session.scalars(sa.select(CommentTransition).order_by(CommentTransition.id)).all()
    assert [(r.from_status, r.to_status, r.actor_id) for r in rows] == [
        (CommentStatus.VISIBLE, CommentStatus.HIDDEN, operator.id),
        (CommentStatus.HIDDEN, CommentStatus.VISIBLE, operator.id)]


def test_staff_picks_are_audited(session):
    campaign = make_campaign(status=CampaignStatus.LIVE)
    operator = make_user(operator=True)
    session.flush()
    campaigns.set_staff_pick(campaign, operator, True)
    campaigns.set_staff_pick(campaign, operator, True)  # no change: nothing recorded
    campaigns.set_staff_pick(campaign, operator, False)
    with pytest.raises(NotAllowed, match="Only operators can do this"):
        campaigns.set_staff_pick(campaign, make_user(), True)
    session.flush()
    rows = session.scalars(sa.select(StaffPickChange).order_by(StaffPickChange.id)).all()
    assert [(r.campaign_id, r.picked, r.actor_id) for r in rows] == [
        (campaign.id, True, operator.id), (campaign.id, False, operator.id)]
    assert campaign.staff_pick is False


def test_identity_checks_are_audited(session):
    founder, operator = make_user(), make_user(operator=True)
    session.flush()
    set_verification(founder, operator, status=VerificationStatus.VERIFIED,
                     legal_name="Ada Lovelace", note="Passport seen")
    set_verification(founder, operator, status=VerificationStatus.VERIFIED,
                     legal_name="Ada King", note="Name corrected")
    set_verification(founder, operator, status=VerificationStatus.REJECTED,
                     legal_name="Ada King", note="Document expired")
    session.flush()
    rows = session.scalars(sa.select(VerificationTransition)
                           .order_by(VerificationTransition.id)).all()
    assert [(r.from_status, r.to_status, r.actor_id, r.reason) for r in rows] == [
        (VerificationStatus.UNVERIFIED, VerificationStatus.VERIFIED, operator.id,
         "Passport seen"),
        (VerificationStatus.VERIFIED, VerificationStatus.VERIFIED, operator.id,
         "Name corrected"),
        (VerificationStatus.VERIFIED, VerificationStatus.REJECTED, operator.id,
         "Document expired")]
    assert founder.verification.status is VerificationStatus.REJECTED


def test_applying_an_offering_change_is_audited_and_happens_once(session):
    from crowdfund.equity import investing
    from crowdfund.money import Money

    friday = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    campaign = live_offering()
    campaign.deadline = friday + timedelta(days=30)
    investing.start_investment(investor(), campaign, Money(50000, "USD"), now=friday)
    offering = offering_of(campaign)
    terms = terms_of(offering, issuer_legal_name="Tidewater Instruments, Inc.")
    change = changes.propose(campaign, campaign.founder, terms, "Corrected the legal name.",
                             now=friday)
    assert change.status is OfferingChangeStatus.PENDING
    operator = make_user(operator=True)
    changes.decide(change, operator, material=False, now=friday)
    session.flush()
    rows = session.scalars(sa.select(OfferingChangeTransition)).all()
    assert [(r.change_id, r.from_status, r.to_status, r.actor_id, r.reason) for r in rows] == [
        (change.id, OfferingChangeStatus.PENDING, OfferingChangeStatus.APPLIED, operator.id,
         "not material")]
    with pytest.raises(DomainError, match="This change was decided already"):
        changes.decide(change, operator, material=False, now=friday)
