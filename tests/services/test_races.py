"""Read-check-write rules hit at the same instant, on PostgreSQL (``postgres_only``).

SQLite serialises every writing transaction, so these rules look safe there whatever the
code does; PostgreSQL runs them side by side. Each test builds fresh data for a round,
lets several threads (each with its own session and connection) apply the rule at once
behind a barrier, and checks the invariant; many rounds, so that an interleaving that
breaks the rule shows up. ``make test`` runs them in its PostgreSQL pass (and CI fails,
never skips, when that pass cannot run).

Early close is not here on purpose: investors keep their right to cancel after an early
close, so every outcome of "close early" racing "cancel" is also one of a serial order.
``close_early`` locks the campaign like every cancellation all the same.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from crowdfund.auth import services as auth_services
from crowdfund.auth.models import User
from crowdfund.campaigns.models import Campaign, RewardTier
from crowdfund.campaigns.states import CampaignKind, CampaignStatus
from crowdfund.community import comments, following, updates
from crowdfund.community.models import CampaignUpdate, Comment, CommentReport, Follow
from crowdfund.db import utcnow
from crowdfund.equity import changes, investing, investors
from crowdfund.equity.models import InvestorProfile
from crowdfund.extensions import db
from crowdfund.money import Money
from crowdfund.notifications import outbox
from crowdfund.notifications.models import OutboxMessage
from crowdfund.pledges import services as pledges
from crowdfund.pledges.models import Pledge, PledgeStatus
from crowdfund.pledges.totals import totals_of
from crowdfund.settlement import payouts, refunds
from crowdfund.settlement import services as settlement
from crowdfund.settlement.models import Payout, PayoutStatus, Refund
from tests.factories import (
    back,
    ended,
    investor,
    live_offering,
    make_campaign,
    make_pledge,
    make_tier,
    make_user,
    race,
)

pytestmark = pytest.mark.postgres_only

ROUNDS = 12
S, P = CampaignStatus, PledgeStatus


def usd(major) -> Money:
    return Money.from_decimal(str(major), "USD")


def _get(model, id_):
    return db.session.get(model, id_)


def _last_day_campaign(session, amounts: list[int]) -> tuple[int, list[int]]:
    """A live campaign in its last 24 hours, funded 115,000 of a 100,000 goal."""
    campaign = make_campaign(status=S.LIVE, tiers=0, goal_minor=100_000_00)
    campaign.deadline = utcnow() + timedelta(hours=5)
    ids = [make_pledge(campaign, amount_minor=a).id for a in amounts]
    session.commit()
    return campaign.id, ids


def test_last_day_cancellations_never_take_a_funded_campaign_below_its_goal(app, session):
    for _ in range(ROUNDS):
        campaign_id, ids = _last_day_campaign(session, [85_000_00, 15_000_00, 15_000_00])

        def cancel(pledge_id):
            pledge = _get(Pledge, pledge_id)
            return lambda: pledges.cancel_pledge(_get(Pledge, pledge_id), pledge.backer)

        outcomes = race(app, *(cancel(i) for i in ids[1:]))
        assert sorted(outcomes) == ["LastDayRule", "ok"]
        session.expire_all()
        assert totals_of(_get(Campaign, campaign_id)).pledged == usd(100_000)


def test_last_day_reductions_never_take_a_funded_campaign_below_its_goal(app, session):
    for _ in range(ROUNDS):
        campaign_id, ids = _last_day_campaign(session, [85_000_00, 15_000_00, 15_000_00])

        def lower(pledge_id):
            def action():
                pledge = _get(Pledge, pledge_id)
                pledges.change_pledge(pledge, pledge.backer, None, usd(1_000), None)
            return action

        outcomes = race(app, *(lower(i) for i in ids[1:]))
        assert sorted(outcomes) == ["LastDayRule", "ok"]
        session.expire_all()
        assert totals_of(_get(Campaign, campaign_id)).pledged >= usd(100_000)


def test_backers_rushing_for_the_last_units_never_oversell_them(app, session):
    """The unit is claimed after the pending pledge is inserted (the reward's row locked
    only until the commit): six backers at once for two units, exactly two pledges."""
    for _ in range(ROUNDS):
        campaign = make_campaign(status=S.LIVE, tiers=0)
        tier = make_tier(campaign, minimum_minor=1000, limit=5, claimed=3)
        backers = [make_user() for _ in range(6)]
        session.commit()
        campaign_id, tier_id = campaign.id, tier.id
        backer_ids = [b.id for b in backers]

        def pledge(backer_id: int) -> Callable[[], object]:
            return lambda: pledges.start_pledge(
                _get(User, backer_id), _get(Campaign, campaign_id), _get(RewardTier, tier_id),
                usd(10), None)

        outcomes = race(app, *[pledge(b) for b in backer_ids])
        assert sorted(outcomes) == ["TierSoldOut"] * 4 + ["ok"] * 2
        session.expire_all()
        assert _get(RewardTier, tier_id).claimed == 5
        assert session.scalar(sa.select(sa.func.count()).select_from(Pledge).where(
            Pledge.tier_id == tier_id)) == 2


def test_a_pledge_cancelled_twice_at_once_gives_its_unit_back_once(app, session):
    for _ in range(ROUNDS):
        campaign = make_campaign(status=S.LIVE, tiers=0)
        tier = make_tier(campaign, minimum_minor=1000, limit=10, claimed=3)
        pledge = make_pledge(campaign, tier=tier, amount_minor=1000)
        session.commit()
        pledge_id, tier_id, backer_id = pledge.id, tier.id, pledge.backer_id

        def cancel():
            pledges.cancel_pledge(_get(Pledge, pledge_id), _get(User, backer_id))

        outcomes = race(app, cancel, cancel)
        assert sorted(outcomes) == ["DomainError", "ok"]
        session.expire_all()
        assert _get(RewardTier, tier_id).claimed == 2


def test_two_commitments_of_one_investor_at_once_stay_within_the_limit(app, session):
    for _ in range(ROUNDS):
        first, second = live_offering(), live_offering()
        person = investor()  # $2,500 over 12 months
        session.commit()
        ids, person_id = (first.id, second.id), person.id

        def invest(campaign_id):
            return lambda: investing.start_investment(
                _get(User, person_id), _get(Campaign, campaign_id), usd(2_000))

        outcomes = race(app, *(invest(i) for i in ids))
        assert sorted(outcomes) == ["OverLimit", "ok"]  # the second is over the limit
        session.expire_all()
        total = session.scalar(sa.select(sa.func.sum(Pledge.amount_minor)).where(
            Pledge.backer_id == person_id))
        assert total <= 2_500_00


def test_no_commitment_becomes_active_under_the_allocation_at_the_deadline(app, session, gw):
    """Closing an offering at its maximum while a card is being confirmed: either the
    commitment is active in time and the allocation counts it, or it is refused."""
    for _ in range(ROUNDS):
        campaign = live_offering(price="1.00", minimum="100")  # maximum $100,000
        campaign.goal_minor = 10_000_00
        for _n in range(2):
            person = investor(income="2000000", worth="2000000")
            pledge = investing.start_investment(person, campaign, usd(50_000))
            pledge.status = P.ACTIVE
        late = investing.start_investment(investor(income="2000000", worth="2000000"),
                                          campaign, usd(5_000))
        intent = pledges.ensure_setup_intent(late, late.backer, gw)
        gw.confirm_setup(intent.id, "4242424242424242")
        deadline = utcnow() + timedelta(seconds=30)
        campaign.deadline = deadline
        session.commit()
        campaign_id, late_id = campaign.id, late.id

        def confirm():
            pledges.confirm_card(_get(Pledge, late_id), gw,
                                 now=deadline - timedelta(seconds=1))

        def close():
            settlement.close_at_deadline(_get(Campaign, campaign_id),
                                         now=deadline + timedelta(seconds=1))

        race(app, confirm, close)
        session.expire_all()
        active = session.scalar(sa.select(sa.func.sum(Pledge.amount_minor)).where(
            Pledge.campaign_id == campaign_id, Pledge.status == P.ACTIVE))
        assert active <= 100_000_00
        assert _get(Campaign, campaign_id).pledged_at_deadline_minor == active


@pytest.fixture
def collected(app, session, gw, settler):
    """Factory: a funded, charged campaign with one $100 pledge collected."""

    def make():
        campaign = make_campaign(status=S.LIVE, tiers=0, goal_minor=5_000)
        pledge_id = back(campaign, gw, "ok", "100")
        ended(campaign)
        session.commit()
        settler.settle(campaign.id)
        session.expire_all()
        return campaign.id, pledge_id

    return make


def test_two_operators_refunding_one_pledge_never_refund_more_than_collected(
        app, session, collected):
    for _ in range(ROUNDS):
        _campaign_id, pledge_id = collected()
        operators = [make_user(operator=True).id for _n in range(3)]
        session.commit()

        def refund(operator_id):
            return lambda: refunds.request_refund(_get(Pledge, pledge_id), usd(100),
                                                  _get(User, operator_id), "Asked for it")

        outcomes = race(app, *(refund(o) for o in operators))
        assert sorted(outcomes) == ["DomainError", "DomainError", "ok"]
        session.expire_all()
        assert session.scalar(sa.select(sa.func.sum(Refund.amount_minor)).where(
            Refund.pledge_id == pledge_id)) == 100_00


def test_a_founders_refund_never_overlaps_the_payout(app, session, collected):
    """Either the refund starts first (the payout waits for it) or the payout is paid first
    (the founder is told to ask an operator): never both, which would pay the founder
    money that goes back to the backer."""
    for _ in range(ROUNDS):
        campaign_id, pledge_id = collected()
        campaign = _get(Campaign, campaign_id)
        session.add(Payout(campaign_id=campaign_id, amount_minor=0, currency="USD",
                           status=PayoutStatus.DUE, due_at=utcnow(),
                           idempotency_key=f"campaign-{campaign_id}-payout"))
        founder_id, operator_id = campaign.founder_id, make_user(operator=True).id
        session.commit()

        def founder_refund():
            refunds.request_refund(_get(Pledge, pledge_id), usd(40), _get(User, founder_id))

        def pay():
            payout = session_payout(campaign_id)
            payouts.mark_paid(payout, _get(User, operator_id), "BANK-1")

        outcomes = race(app, founder_refund, pay)
        assert sorted(outcomes) == ["DomainError", "ok"]


def session_payout(campaign_id: int) -> Payout:
    return db.session.scalar(sa.select(Payout).where(Payout.campaign_id == campaign_id))


def test_two_reports_of_one_comment_at_the_same_instant_make_one(app, session):
    for _ in range(ROUNDS):
        campaign = make_campaign(status=S.LIVE, kind=CampaignKind.REWARD)
        comment = comments.post_comment(campaign, make_user(), "Is this real?")
        reporter = make_user()
        session.commit()
        comment_id, reporter_id = comment.id, reporter.id

        def report():
            comments.report(_get(Comment, comment_id), _get(User, reporter_id), "Spam")

        assert race(app, report, report) == ["ok", "ok"]
        assert session.scalar(sa.select(sa.func.count()).select_from(CommentReport).where(
            CommentReport.comment_id == comment_id)) == 1


def test_two_early_closes_at_once_end_at_the_earlier_deadline(app, session):
    """Each investor is told one new deadline and the offering ends at the earliest asked;
    a later one asked at the same instant is refused (it is not before the current one)."""
    for round_ in range(ROUNDS):
        campaign = live_offering(price="1.00", minimum="100")
        now = utcnow()
        campaign.launched_at = now - timedelta(days=25)
        campaign.deadline = now + timedelta(days=30)
        campaign.goal_minor = 1_000_00
        pledge = investing.start_investment(investor(), campaign, usd(2_000))
        pledge.status = P.ACTIVE
        session.commit()
        campaign_id, founder_id = campaign.id, campaign.founder_id
        sooner, later = now + timedelta(days=10), now + timedelta(days=12)

        def close(deadline):
            return lambda: changes.close_early(_get(Campaign, campaign_id),
                                               _get(User, founder_id), deadline, now=now)

        first, second = (sooner, later) if round_ % 2 else (later, sooner)
        outcomes = race(app, close(first), close(second))
        session.expire_all()
        assert _get(Campaign, campaign_id).deadline == sooner
        assert sorted(outcomes) in (["DomainError", "ok"], ["ok", "ok"])


def test_comments_posted_at_once_respect_the_rate_limit(app, session, monkeypatch):
    monkeypatch.setitem(app.config, "COMMENT_RATE_LIMIT", (3, timedelta(minutes=10)))
    for _ in range(ROUNDS // 2):
        campaign = make_campaign(status=S.LIVE)
        author = make_user()
        session.commit()
        campaign_id, author_id = campaign.id, author.id

        def post(n):
            return lambda: comments.post_comment(_get(Campaign, campaign_id),
                                                 _get(User, author_id), f"Question {n}?")

        outcomes = race(app, *(post(n) for n in range(8)))
        assert outcomes.count("ok") == 3
        assert session.scalar(sa.select(sa.func.count()).select_from(Comment).where(
            Comment.author_id == author_id)) == 3


def test_parallel_password_guesses_from_one_address_stop_at_the_limit(app, session,
                                                                      monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES_PER_IP", 5)
    for round_ in range(3):
        victims = [make_user().email for _n in range(12)]
        session.commit()
        ip = f"203.0.113.{round_ + 1}"

        def guess(email):
            def action():
                try:
                    auth_services.authenticate(email, "not the password", ip)
                except auth_services.InvalidCredentials:
                    db.session.commit()  # the failed attempt is kept, as the view does
                    raise
            return action

        outcomes = race(app, *(guess(e) for e in victims))
        assert outcomes.count("InvalidCredentials") == 5
        assert outcomes.count("LoginThrottled") == 7


def test_unique_rows_made_at_the_same_instant_take_the_no_op_path(app, session):
    """Follows, queued emails, investor profiles and update numbers: made twice at once,
    they exist once (or are numbered apart), never a 500."""
    for _ in range(ROUNDS // 2):
        campaign = make_campaign(status=S.LIVE)
        fan = make_user()
        make_pledge(campaign)
        session.commit()
        campaign_id, fan_id, founder_id = campaign.id, fan.id, campaign.founder_id

        def follow():
            following.follow_campaign(_get(User, fan_id), _get(Campaign, campaign_id))

        def queue_once():
            user = _get(User, fan_id)
            outbox.queue("test", f"same-{campaign_id}", user.email, user.display_name,
                         outbox.Email("Hi", "Hello", ["Once."]), recipient_id=user.id)

        def profile():
            investors.save_profile(_get(User, fan_id), investors.ProfileInput(
                "US", Decimal(50_000), Decimal(50_000), False, Decimal(0)))

        def update(n):
            return lambda: updates.post_update(_get(Campaign, campaign_id),
                                               _get(User, founder_id), f"Update {n}",
                                               "News from the workshop, in some detail.",
                                               "public")

        assert race(app, follow, follow, queue_once, queue_once, profile, profile,
                    update(1), update(2), update(3)) == ["ok"] * 9
        count = lambda model, *where: session.scalar(  # noqa: E731
            sa.select(sa.func.count()).select_from(model).where(*where))
        assert count(Follow, Follow.user_id == fan_id) == 1
        assert count(OutboxMessage, OutboxMessage.dedupe_key == f"same-{campaign_id}") == 1
        assert count(InvestorProfile, InvestorProfile.user_id == fan_id) == 1
        assert sorted(session.scalars(sa.select(CampaignUpdate.number).where(
            CampaignUpdate.campaign_id == campaign_id))) == [1, 2, 3]


def test_an_offering_change_decided_twice_at_once_is_applied_once(app, session):
    """Two operators apply the same change at the same instant: one applies it (one audit
    row, one reconfirmation email per investor), the other is told it was decided."""
    from crowdfund.equity.models import OfferingChange, OfferingChangeTransition
    from crowdfund.equity.services import offering_of
    from tests.factories import investor, live_offering, terms_of

    for _ in range(ROUNDS // 3):
        campaign = live_offering()
        pledge_id = investing.start_investment(investor(), campaign, usd(500)).id
        change = changes.propose(campaign, campaign.founder,
                                 terms_of(offering_of(campaign), price_per_share=usd("1.50")),
                                 "New price after the bridge round.")
        operators = [make_user(operator=True).id for _ in range(2)]
        session.commit()
        change_id = change.id

        def decide(operator_id):
            return lambda: changes.decide(_get(OfferingChange, change_id),
                                          _get(User, operator_id), material=True)

        assert sorted(race(app, *(decide(o) for o in operators))) == ["DomainError", "ok"]
        assert session.scalar(sa.select(sa.func.count()).select_from(
            OfferingChangeTransition).where(OfferingChangeTransition.change_id == change_id)) == 1
        assert session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
            OutboxMessage.dedupe_key == f"pledge-{pledge_id}-change-{change_id}")) == 1


def test_the_same_upload_stored_twice_at_once_is_stored_once(app, session):
    from crowdfund.storage import DatabaseStorage, FileRow

    app.config["UPLOAD_STORAGE"] = "database"
    try:
        for round_ in range(ROUNDS // 3):
            key = f"covers/{round_:040x}.png"
            store = lambda: DatabaseStorage().put(key, b"the same bytes", "image/png")  # noqa: E731
            assert race(app, store, store, store) == ["ok"] * 3
            assert session.scalar(sa.select(sa.func.count()).select_from(FileRow).where(
                FileRow.key == key)) == 1
    finally:
        app.config["UPLOAD_STORAGE"] = "local"
