"""Founders type launch times on their own clock and read deadlines there; backers read the
same moment on theirs (issue 26). Times are stored in UTC; the form's edge reads what was
typed in the founder's zone (``crowdfund.forms.LocalDateTimeField``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crowdfund.campaigns import services
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.extensions import db
from tests.factories import make_campaign, make_user, story_form


@pytest.fixture
def new_yorker(session, auth):
    """A signed-in founder whose account says America/New_York, and their draft."""
    founder = make_user(name="Nora")
    founder.timezone = "America/New_York"
    campaign = make_campaign(founder)
    session.commit()
    auth.login_as(founder)
    return campaign


def _schedule(client, campaign, typed: str):
    return client.post(f"/studio/{campaign.id}/edit",
                       data=story_form(campaign, scheduled_launch_at=typed))


def _stored(campaign) -> datetime | None:
    db.session.expire_all()
    return db.session.get(Campaign, campaign.id).scheduled_launch_at


@pytest.mark.parametrize(("typed", "utc"), [
    # The morning New York springs forward: 09:00 EDT (UTC-4).
    ("2027-03-14T09:00", datetime(2027, 3, 14, 13, 0, tzinfo=UTC)),
    # The day before, still winter: 09:00 EST (UTC-5).
    ("2027-03-13T09:00", datetime(2027, 3, 13, 14, 0, tzinfo=UTC)),
    # Typed by hand where the browser has no date-time picker.
    ("2027-03-13 09:00", datetime(2027, 3, 13, 14, 0, tzinfo=UTC)),
    # 01:30 happens twice the night the clocks go back: the first one (EDT).
    ("2027-11-07T01:30", datetime(2027, 11, 7, 5, 30, tzinfo=UTC)),
])
def test_a_launch_time_is_typed_on_the_founders_clock(app, client, new_yorker, typed, utc):
    response = _schedule(client, new_yorker, typed)
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        assert _stored(new_yorker) == utc


def test_the_founder_reads_their_launch_time_back_on_their_clock(app, client, new_yorker):
    _schedule(client, new_yorker, "2027-03-14T09:00")
    page = client.get(f"/studio/{new_yorker.id}/edit").get_data(as_text=True)
    assert 'value="2027-03-14T09:00"' in page  # the field, as they typed it
    assert "In your time zone, America/New York." in page
    assert "Now set: Mar 14, 2027, 9:00\u202fAM EDT." in page
    with app.app_context():
        campaign = db.session.get(Campaign, new_yorker.id)
        campaign.status = CampaignStatus.APPROVED
        db.session.commit()
    overview = client.get(f"/studio/{new_yorker.id}").get_data(as_text=True)
    assert "Scheduled to launch by itself at Mar 14, 2027, 9:00\u202fAM EDT." in overview


def test_a_time_the_clocks_skip_is_refused_next_to_the_field(app, client, new_yorker):
    response = _schedule(client, new_yorker, "2027-03-14T02:30")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    error = page.split('id="scheduled_launch_at-error"', 1)[1].split("</div>", 1)[0]
    assert ("2027-03-14 02:30 does not exist in America/New York: the clocks go forward "
            "then. Choose another time, such as 2027-03-14 03:30.") in error
    with app.app_context():
        assert _stored(new_yorker) is None


def test_a_backer_in_shanghai_reads_the_same_deadline_on_their_clock(app, client, auth,
                                                                     session, new_yorker):
    _schedule(client, new_yorker, "2027-03-14T09:00")
    with app.app_context():
        campaign = db.session.get(Campaign, new_yorker.id)
        campaign.status = CampaignStatus.APPROVED
        services.launch(campaign, None, now=campaign.scheduled_launch_at)  # the job, on time
        db.session.commit()
        assert campaign.deadline == datetime(2027, 4, 13, 13, 0, tzinfo=UTC)  # 30 days
        slug = campaign.slug
    founders_view = client.get(f"/campaigns/{slug}").get_data(as_text=True)
    assert "ends Apr 13, 2027, 9:00\u202fAM EDT" in founders_view
    backer = make_user(name="Bo")
    backer.timezone = "Asia/Shanghai"
    session.commit()
    auth.logout()
    auth.login_as(backer)
    backers_view = client.get(f"/campaigns/{slug}").get_data(as_text=True)
    assert "ends Apr 13, 2027, 9:00\u202fPM China Standard Time" in backers_view


@pytest.mark.parametrize("typed", ["9999-12-31T23:30", "14/03/2027 9am", "2027-02-30T09:00"])
def test_a_time_that_is_no_time_is_refused_next_to_the_field(app, client, new_yorker, typed):
    response = _schedule(client, new_yorker, typed)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    error = page.split('id="scheduled_launch_at-error"', 1)[1].split("</div>", 1)[0]
    assert "Enter a date and time such as 2027-03-14 09:00." in error
    with app.app_context():
        assert _stored(new_yorker) is None
