"""Domain events: services say what happened; features react in the same transaction."""

import pytest
import sqlalchemy as sa

from crowdfund import events
from crowdfund.campaigns import services as campaigns
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.community import comments, updates
from crowdfund.notifications.models import OutboxMessage
from crowdfund.pledges import services as pledges
from crowdfund.settlement import refunds
from tests.factories import back, ended, make_campaign, make_user, pledge_of, usd

ALL = {name: value for name, value in vars(events).items() if isinstance(value, events.Event)}


@pytest.fixture
def heard(app):
    """Every event sent while the test runs, in order: (name, the sender's id, keyword
    arguments with rows as their ids): the settle job's rows live in its own sessions."""
    log = []
    listeners = {}

    def ids(value):
        if isinstance(value, list):
            return [ids(v) for v in value]
        return getattr(value, "id", value)

    for name, event in ALL.items():
        def listener(sender, _name=name, **kwargs):
            log.append((_name, ids(sender), {k: ids(v) for k, v in kwargs.items()}))
        listeners[name] = listener
        event.connect(listener, weak=False)
    yield log
    for name, event in ALL.items():
        event.disconnect(listeners[name])


def names(log):
    return [name for name, _sender, _kwargs in log]


def test_a_campaigns_life_is_told_in_events(session, heard, gw, settler):
    founder, operator = make_user(), make_user(operator=True)
    campaign = make_campaign(founder, status=CampaignStatus.APPROVED, tiers=0, goal_minor=10_000)
    session.flush()
    campaigns.launch(campaign, founder)
    paid = back(campaign, gw, "ok", "100")
    unpaid = back(campaign, gw, "declines", "20")
    ended(campaign)
    session.commit()
    settler.settle(campaign.id)
    assert names(heard) == [
        "campaign_launched", "pledge_activated", "pledge_activated", "campaign_closed",
        "pledges_told_outcome", "campaign_closed_out", "charge_collected", "charge_failed"]
    launched, first, second, closed, told, closed_out, collected, failed = heard
    assert launched[1] == campaign.id and launched[2] == {"actor": founder.id}
    assert (first[1], second[1]) == (paid, unpaid)
    assert closed[2]["funded"] and closed[2]["pledged"] == usd(120)
    assert (collected[1], collected[2]["amount"]) == (paid, usd(100))
    assert failed[1] == unpaid and "fix_by" in failed[2]
    assert set(told[2]["pledges"]) == {paid, unpaid} and told[2]["funded"]
    assert closed_out[1] == campaign.id and closed_out[2] == {"funded": True}
    refund = refunds.request_refund(pledge_of(paid), usd(100), operator, "Changed my mind")
    session.commit()
    settler.refund(refund.id)
    assert heard[-1][0] == "refund_issued" and heard[-1][2]["amount"] == usd(100)


def test_changes_cancellations_updates_comments_and_stops(session, heard, gw):
    founder = make_user()
    campaign = make_campaign(founder, status=CampaignStatus.LIVE, tiers=0)
    session.flush()
    pledge = pledge_of(back(campaign, gw, "ok", "40"))
    pledges.change_pledge(pledge, pledge.backer, None, usd(45), None)
    pledges.cancel_pledge(pledge, pledge.backer)
    updates.post_update(campaign, founder, "Tooling arrived", "The moulds are here and work.",
                        "public")
    comments.post_comment(campaign, make_user(), "When does it ship to Canada?", kind="question")
    back(campaign, gw, "ok", "30")
    released = campaigns.cancel(campaign, founder, "Supplier went bust")
    assert names(heard)[1:] == ["pledge_changed", "pledge_cancelled", "update_posted",
                                "comment_posted", "pledge_activated", "pledges_released",
                                "campaign_stopped"]  # pledges released it, while stopping
    assert released == 1  # pledges released it, reacting to campaign_stopped


def test_reactions_are_connected_in_order(app):
    """The founder's email is queued before the followers' (same outbox order as before
    the events); equity's milestones follow the pledge's receipt."""
    launched = [f.__module__ for f in events.receivers_of(events.campaign_launched)]
    assert launched.index("crowdfund.notifications.subscribers") < launched.index(
        "crowdfund.community.subscribers")
    activated = [f.__module__ for f in events.receivers_of(events.pledge_activated)]
    assert activated.index("crowdfund.notifications.subscribers") < activated.index(
        "crowdfund.equity.subscribers")


def test_a_rolled_back_action_sends_nothing(session):
    """Reactions run in the action's transaction: undone with it."""
    founder = make_user()
    campaign = make_campaign(founder, status=CampaignStatus.APPROVED)
    session.commit()
    campaigns.launch(campaign, founder)
    assert session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) >= 1
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def _mail(session, kind: str) -> list[tuple[str, str]]:
    return session.execute(sa.select(OutboxMessage.to_email, OutboxMessage.subject)
                           .where(OutboxMessage.kind == kind)).all()


def test_founders_hear_of_approval_and_of_changes_requested(session):
    operator = make_user(operator=True)
    sent_back = make_campaign(status=CampaignStatus.SUBMITTED, title="Needs Work")
    approved = make_campaign(status=CampaignStatus.SUBMITTED, title="Ready Now")
    session.flush()
    campaigns.reject(sent_back, operator, "Show the prototype working, please.")
    campaigns.approve(approved, operator)
    assert _mail(session, "campaign_sent_back") == [
        (sent_back.founder.email, "Changes requested for Needs Work")]
    body = session.scalar(sa.select(OutboxMessage.text_body).where(
        OutboxMessage.kind == "campaign_sent_back"))
    assert "Show the prototype working, please." in body
    assert _mail(session, "campaign_approved") == [(approved.founder.email,
                                                    "Ready Now is approved")]


def test_the_asker_hears_the_founders_answer_and_nobody_else_is_told(session):
    campaign = make_campaign(status=CampaignStatus.LIVE, title="Tide Clock")
    asker, commenter = make_user(), make_user()
    session.flush()
    question = comments.post_comment(campaign, asker, "Does it ship to Chile?",
                                     kind="question")
    remark = comments.post_comment(campaign, commenter, "Lovely idea.")
    comments.post_comment(campaign, campaign.founder, "Yes, from March.",
                          parent_id=question.id)
    comments.post_comment(campaign, campaign.founder, "Thank you!", parent_id=remark.id)
    comments.post_comment(campaign, commenter, "Same question here.", parent_id=question.id)
    founder_name = campaign.founder.display_name
    assert _mail(session, "question_answered") == [
        (asker.email, f"{founder_name} answered your question")]
    body = session.scalar(sa.select(OutboxMessage.text_body).where(
        OutboxMessage.kind == "question_answered"))
    assert "Does it ship to Chile?" in body and "Yes, from March." in body
