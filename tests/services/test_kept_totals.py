"""The campaigns' kept totals and counts (crowdfund/pledges/summary.py,
crowdfund/community/counts.py) follow every change of their pledges, comments and
follows, in the changing transaction, and pages read them instead of adding up rows.

The suite's ``_clean_database`` checks the same equality after every test; these tests
walk each kind of change on purpose, check what pages show, that a change made around
the ORM is caught, and that changes made at once all count (PostgreSQL: side by side).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from crowdfund.auth.models import User
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.community import comments, counts, following
from crowdfund.community.charts import funding_chart
from crowdfund.extensions import db
from crowdfund.money import Money
from crowdfund.pledges import services as pledges
from crowdfund.pledges import summary
from crowdfund.pledges.models import Pledge, PledgeStatus
from crowdfund.pledges.totals import counted_totals_of, totals_for, totals_of
from crowdfund.settlement.outcome import outcome_of
from crowdfund.settlement.services import close_at_deadline
from tests.factories import (
    CARDS,
    back,
    back_pledge,
    ended,
    make_campaign,
    make_pledge,
    make_user,
    pledge_of,
    race,
    refund_now,
    usd,
)


def _same(campaign: Campaign) -> tuple[int, int]:
    """The kept totals equal the pledges' own sums; returns (pledged, backers)."""
    assert summary.mismatches([campaign.id]) == []
    kept = totals_for([campaign])[campaign.id]
    counted = counted_totals_of(campaign)
    assert kept == counted
    return kept.pledged.amount, kept.backers


def test_every_change_of_a_pledge_moves_the_kept_totals(app, session, gw, settler):
    campaign = make_campaign(status=CampaignStatus.LIVE, goal_minor=20_000)
    first = back_pledge(campaign, gw, amount="100")
    second = back_pledge(campaign, gw, amount="60")
    make_pledge(campaign, status=PledgeStatus.PENDING, amount_minor=9_900)  # not counted
    session.commit()  # the kept rows are written as the transaction commits
    assert _same(campaign) == (16_000, 2)

    pledges.change_pledge(first, first.backer, None, usd("150"), None)  # amount changed
    session.commit()
    assert _same(campaign) == (21_000, 2)
    pledges.cancel_pledge(second, second.backer)
    session.commit()
    assert _same(campaign) == (15_000, 1)
    back(campaign, gw, amount="70")
    session.commit()
    assert _same(campaign) == (22_000, 2)
    chart = funding_chart(campaign)
    assert chart.total == 22_000  # the chart ends at the total shown next to it

    ended(campaign)
    settler.settle_due()
    session.expire_all()
    assert campaign.status in (CampaignStatus.FUNDED, CampaignStatus.COLLECTING,
                               CampaignStatus.SETTLED)
    assert _same(campaign) == (22_000, 2)  # frozen at the deadline, from the pledges
    collected = pledge_of(first.id)
    assert collected.status is PledgeStatus.COLLECTED
    refund_now(settler, collected, usd("40"), campaign.founder)
    session.expire_all()
    assert summary.mismatches([campaign.id]) == []
    outcome = outcome_of(db.session.get(Campaign, campaign.id))
    assert (outcome.refunded, outcome.refunded_count) == (usd("40"), 1)


def test_a_failed_campaign_releases_its_pledges_in_bulk_and_the_totals_follow(app, session):
    campaign = make_campaign(status=CampaignStatus.LIVE, goal_minor=1_000_000)
    for _ in range(5):
        make_pledge(campaign, amount_minor=2_000)
    session.commit()
    assert _same(campaign) == (10_000, 5)
    close_at_deadline(campaign, now=campaign.deadline + timedelta(days=1))
    session.commit()
    assert campaign.status is CampaignStatus.FAILED
    assert totals_of(campaign).pledged == Money(10_000, "USD")  # frozen at the deadline
    assert summary.mismatches([campaign.id]) == []
    released = summary.sums_of(campaign.id, statuses=[PledgeStatus.RELEASED])
    assert (released["pledges"], released["pledged_minor"]) == (5, 10_000)
    assert totals_for([campaign])[campaign.id].backers == 0  # nothing counted any more


def test_a_savepoint_rolled_back_takes_its_changes_with_it(app, session):
    """One failed item of a loop (its savepoint rolled back) moves nothing; the items
    around it, in released savepoints, move the rows when the transaction commits."""
    campaign = make_campaign(status=CampaignStatus.LIVE)
    kept, lost, also = (make_pledge(campaign, status=PledgeStatus.PENDING, amount_minor=a)
                        for a in (1_000, 2_000, 4_000))
    session.commit()
    with session.begin_nested():
        kept.status = PledgeStatus.ACTIVE
    with pytest.raises(RuntimeError, match="this item failed"), session.begin_nested():
        lost.status = PledgeStatus.ACTIVE
        session.flush()
        raise RuntimeError("this item failed")
    with session.begin_nested(), session.begin_nested():  # released twice over
        also.status = PledgeStatus.ACTIVE
    # The transaction reads its own changes; the rows are written as it commits.
    assert totals_for([campaign])[campaign.id] == counted_totals_of(campaign)
    assert session.scalar(sa.select(sa.func.count()).select_from(summary.CampaignDayTotal)) == 0
    session.commit()
    assert _same(campaign) == (5_000, 2)


def test_a_change_made_around_the_orm_is_caught_and_a_rebuild_mends_it(app, session):
    campaign = make_campaign(status=CampaignStatus.LIVE)
    pledge = make_pledge(campaign, amount_minor=5_000)
    session.commit()
    session.execute(sa.update(Pledge).where(Pledge.id == pledge.id).values(amount_minor=7_000))
    differ = summary.mismatches([campaign.id])
    assert [(kept, counted) for _key, kept, counted in differ] == [
        ((1, 5_000, 0, 0), (1, 7_000, 0, 0))]
    summary.rebuild([campaign.id])
    assert summary.mismatches() == []
    assert totals_for([campaign])[campaign.id].pledged == Money(7_000, "USD")
    session.commit()


def test_comments_threads_deletions_and_followers_are_counted_as_they_change(app, session):
    campaign = make_campaign(status=CampaignStatus.LIVE)
    reader, other = make_user(), make_user()
    first = comments.post_comment(campaign, reader, "Does it work in winter, too?")
    comments.post_comment(campaign, campaign.founder, "Yes, more slowly.", parent_id=first.id)
    mine = comments.post_comment(campaign, other, "A second question for the team.")
    comments.delete_own(mine, other)
    following.follow_campaign(reader, campaign)
    following.follow_campaign(other, campaign)
    following.follow_campaign(other, campaign)  # twice: still one follow
    session.commit()
    assert counts.counts_of(campaign.id) == {"comments": 3, "threads": 2,
                                             "deleted_comments": 1, "followers": 2}
    following.unfollow_campaign(other, campaign)
    session.commit()
    assert following.follower_count(campaign) == 1
    assert counts.mismatches() == []


@pytest.mark.postgres_only
def test_confirmations_and_follows_at_once_all_count_on_postgresql(app, session, gw):
    """Twelve backers confirm their cards and follow at the same instant: the kept rows
    are moved by atomic upserts, so none of the twelve is lost and nobody deadlocks."""
    campaign = make_campaign(status=CampaignStatus.LIVE)
    waiting = []
    for _ in range(12):
        backer = make_user()
        pledge = pledges.start_pledge(backer, campaign, None, usd("25"), None)
        intent = pledges.ensure_setup_intent(pledge, backer, gw)
        gw.confirm_setup(intent.id, CARDS["ok"])
        waiting.append((pledge.id, backer.id))
    session.commit()
    campaign_id = campaign.id

    def confirm(pledge_id: int, backer_id: int):
        def action() -> None:
            pledges.confirm_card(db.session.get(Pledge, pledge_id), gw)
            following.follow_campaign(db.session.get(User, backer_id),
                                      db.session.get(Campaign, campaign_id))
        return action

    assert race(app, *(confirm(*w) for w in waiting)) == ["ok"] * 12
    session.expire_all()
    assert _same(campaign) == (30_000, 12)
    assert counts.counts_of(campaign_id)["followers"] == 12
    assert counts.mismatches() == []
