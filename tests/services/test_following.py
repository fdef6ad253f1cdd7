"""Following campaigns and founders: who is told what (outbox rows), once, and delivered
through a real SMTP server."""

from datetime import timedelta

import sqlalchemy as sa

from crowdfund.campaigns import services as campaigns
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.community import following
from crowdfund.community.models import Follow
from crowdfund.community.updates import post_update
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.jobs import run_once
from crowdfund.notifications.models import OutboxMessage
from crowdfund.notifications.outbox import deliver_due
from crowdfund.settlement.services import close_at_deadline
from tests.factories import make_campaign, make_pledge, make_user


def _mail(kind):
    return sorted(db.session.execute(sa.select(OutboxMessage.to_email, OutboxMessage.subject)
                                     .where(OutboxMessage.kind == kind)).all())


def test_follow_and_unfollow_from_the_pages(app, client, auth, session):
    campaign = make_campaign(status=CampaignStatus.LIVE)
    fan = make_user()
    session.commit()
    auth.login_as(fan)
    page = client.post(f"/campaigns/{campaign.slug}/follow", follow_redirects=True)
    assert "You follow this campaign" in page.get_data(as_text=True)
    assert "Following ✓" in page.get_data(as_text=True) and "1 follower" in page.get_data(
        as_text=True)
    client.post(f"/campaigns/{campaign.slug}/follow")  # twice: still one row
    client.post(f"/founders/{campaign.founder_id}/follow")
    assert session.scalar(sa.select(sa.func.count()).select_from(Follow)) == 2
    client.post(f"/campaigns/{campaign.slug}/unfollow")
    assert session.scalar(sa.select(sa.func.count()).select_from(Follow)) == 1
    auth.logout()
    auth.login_as(campaign.founder)
    response = client.post(f"/campaigns/{campaign.slug}/follow", follow_redirects=True)
    assert "You cannot follow your own campaign" in response.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(Follow)) == 1


def test_followers_hear_of_launch_ending_soon_outcome_and_public_updates(app, session, smtp):
    founder = make_user(name="Ada")
    fan, campaign_fan, backer_fan = make_user(), make_user(), make_user()
    following.follow_founder(fan, founder)
    approved = make_campaign(founder, status=CampaignStatus.APPROVED, title="Kettle")
    campaigns.launch(approved, founder)
    session.commit()
    assert _mail("follow_launch") == [(fan.email, "Ada launched Kettle")]

    following.follow_campaign(campaign_fan, approved)
    following.follow_campaign(backer_fan, approved)
    make_pledge(approved, backer=backer_fan, amount_minor=approved.goal_minor)
    session.commit()

    # Public updates reach followers; backers-only ones do not (backers get both).
    post_update(approved, founder, "Tooling", "The moulds arrived this week, on time.", "public")
    post_update(approved, founder, "Secret", "Only backers read this part of the story.",
                "backers")
    session.commit()
    assert [to for to, subject in _mail("campaign_update") if "Tooling" in subject] == sorted(
        [campaign_fan.email, backer_fan.email])
    assert [to for to, subject in _mail("campaign_update") if "Secret" in subject] == [
        backer_fan.email]

    # 48 hours before the end (time travel: the job runs "later"), once; backers excluded.
    deadline = approved.deadline
    assert following.notify_ending_soon(now=deadline - timedelta(hours=49)) == 0
    assert following.notify_ending_soon(now=deadline - timedelta(hours=47)) == 1
    session.commit()
    assert following.notify_ending_soon(now=deadline - timedelta(hours=20)) == 0  # not twice
    assert _mail("follow_ending") == [(campaign_fan.email, "Kettle ends soon")]

    close_at_deadline(approved, now=deadline + timedelta(seconds=1))
    session.commit()
    assert approved.status is CampaignStatus.FUNDED
    assert _mail("follow_outcome") == [(campaign_fan.email, "Kettle is funded")]

    report = deliver_due()
    assert report.sent == session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))
    delivered = {(tuple(to), message["Subject"]) for to, message in smtp.messages}
    assert ((fan.email,), "Ada launched Kettle") in delivered
    assert ((campaign_fan.email,), "Kettle ends soon") in delivered
    assert ((campaign_fan.email,), "Kettle is funded") in delivered
    body = next(m for to, m in smtp.messages if m["Subject"] == "Kettle ends soon")
    assert f"/campaigns/{approved.slug}" in body.get_body(("plain",)).get_content()


def test_failed_campaigns_tell_followers_too_and_the_job_runs_it(app, session):
    campaign = make_campaign(status=CampaignStatus.LIVE, title="Drone", days_left=1)
    fan = make_user()
    following.follow_campaign(fan, campaign)
    session.commit()
    assert run_once()["told ending soon"] == 1  # ends within 48 hours
    assert run_once()["told ending soon"] == 0
    close_at_deadline(campaign, now=utcnow() + timedelta(days=2))
    session.commit()
    assert _mail("follow_outcome") == [(fan.email, "Drone is not funded")]
