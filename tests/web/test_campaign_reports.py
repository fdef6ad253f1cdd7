""""Report this campaign": signed-in people (not its founder) tell operators what is wrong
with a public campaign; the report lands in the operators' Community queue with its
reason, counted on their home; one open report per person and campaign, limited per
person like comment reports; an operator closes the reports with a note of what was done,
kept with each report."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from crowdfund.campaigns.states import CampaignStatus
from crowdfund.community import comments, reports
from crowdfund.community.models import CampaignReport
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from tests.factories import make_campaign, make_user

REASON = "The founder stopped answering backers three months ago."


def _report(client, campaign, reason=REASON):
    return client.post(f"/campaigns/{campaign.slug}/report", data={"reason": reason},
                       follow_redirects=True)


def _rows(session, campaign):
    session.expire_all()
    return session.scalars(sa.select(CampaignReport).where(
        CampaignReport.campaign_id == campaign.id).order_by(CampaignReport.id)).all()


@pytest.fixture
def live(session):
    campaign = make_campaign(status=CampaignStatus.LIVE, title="Tide clock")
    session.commit()
    return campaign


def test_a_backer_reports_a_campaign_and_operators_see_it(app, client, auth, session, live):
    backer, operator = make_user(name="Bea Backer"), make_user(operator=True)
    session.commit()
    assert "Report this campaign" not in client.get(f"/campaigns/{live.slug}").get_data(
        as_text=True)  # signed out: nothing to report with
    auth.login_as(live.founder)
    assert "Report this campaign" not in client.get(f"/campaigns/{live.slug}").get_data(
        as_text=True)
    auth.logout()
    auth.login_as(backer)
    page = client.get(f"/campaigns/{live.slug}").get_data(as_text=True)
    assert "Report this campaign" in page and f'action="/campaigns/{live.slug}/report"' in page
    assert "Tell us what is wrong" in _report(client, live, "").get_data(as_text=True)
    assert _rows(session, live) == []
    assert "our operators will look at this campaign" in _report(client, live).get_data(
        as_text=True)
    _report(client, live, "Again")  # one open report per person: nothing new
    [row] = _rows(session, live)
    assert (row.reporter_id, row.reason, row.resolved_at) == (backer.id, REASON, None)
    auth.logout()

    auth.login_as(operator)
    home = client.get("/operators/").get_data(as_text=True)
    assert "Reported campaigns</a></dt><dd>1</dd>" in home
    queue = client.get("/operators/community").get_data(as_text=True)
    assert "Reported campaigns (1)" in queue and REASON in queue and "Bea Backer" in queue
    assert client.post(f"/operators/campaigns/{live.id}/reports/close",
                       data={"reason": ""}).status_code == 302
    assert _rows(session, live)[0].resolved_at is None  # a note is needed
    client.post(f"/operators/campaigns/{live.id}/reports/close",
                data={"reason": "Founder answered: parts delayed, update posted"})
    [row] = _rows(session, live)
    assert row.resolved_by_id == operator.id and row.resolved_at is not None
    assert row.resolution == "Founder answered: parts delayed, update posted"
    assert "Reported campaigns (0)" in client.get("/operators/community").get_data(
        as_text=True)
    decided = client.get("/operators/community?all=1").get_data(as_text=True)
    assert "Founder answered: parts delayed" in decided
    auth.logout()
    auth.login_as(backer)
    _report(client, live, "Silent again")  # a new open report after the last was closed
    assert [r.reason for r in _rows(session, live)] == [REASON, "Silent again"]


def test_refusals(app, client, auth, session, live):
    draft = make_campaign(founder=live.founder)
    session.commit()
    with pytest.raises(DomainError, match="your own campaign"):
        reports.report_campaign(live, live.founder, REASON)
    with pytest.raises(DomainError, match="Only a public campaign"):
        reports.report_campaign(draft, make_user(), REASON)
    session.rollback()
    auth.login_as(make_user())
    assert client.post(f"/campaigns/{draft.slug}/report",
                       data={"reason": REASON}).status_code == 404


def test_reports_are_limited_per_person_comments_and_campaigns_together(
        app, client, auth, session, monkeypatch):
    monkeypatch.setitem(app.config, "REPORT_RATE_LIMIT", (2, timedelta(hours=1)))
    first, second, third = (make_campaign(status=CampaignStatus.LIVE) for _ in range(3))
    critic, reporter = make_user(), make_user()
    session.commit()
    comment = comments.post_comment(first, critic, "Looks like a scam to me.")
    comments.report(comment, reporter, "Defamatory")
    reports.report_campaign(second, reporter, REASON)
    session.commit()
    with pytest.raises(reports.TooManyReports, match="You have sent 2 reports in the last "
                                                     "60 minutes"):
        reports.report_campaign(third, reporter, REASON)
    session.rollback()
    other = comments.post_comment(third, critic, "Another one.")
    session.commit()
    with pytest.raises(reports.TooManyReports, match="Please wait"):
        comments.report(other, reporter, "Spam")
    session.rollback()
    auth.login_as(reporter)
    page = _report(client, third).get_data(as_text=True)
    assert "Please wait a little" in page and _rows(session, third) == []


def test_closing_the_account_empties_the_reasons(app, session, live):
    from crowdfund.community import privacy

    reporter = make_user()
    session.commit()
    reports.report_campaign(live, reporter, REASON)
    session.flush()
    assert [r["reason"] for r in privacy.reports(reporter)] == [REASON]
    privacy.erase(reporter)
    assert [r.reason for r in _rows(session, live)] == [""]


@pytest.mark.postgres_only
def test_two_reports_at_once_by_one_person_make_one(app, session, live):
    from crowdfund.auth.models import User
    from crowdfund.campaigns.models import Campaign
    from tests.factories import race

    reporter = make_user()
    session.commit()

    def send():
        reports.report_campaign(db.session.get(Campaign, live.id),
                                db.session.get(User, reporter.id), REASON)

    assert race(app, send, send) == ["ok", "ok"]
    assert len(_rows(session, live)) == 1


@pytest.mark.postgres_only
def test_reports_sent_at_once_respect_the_limit(app, session, monkeypatch):
    from crowdfund.auth.models import User
    from crowdfund.campaigns.models import Campaign
    from tests.factories import race

    monkeypatch.setitem(app.config, "REPORT_RATE_LIMIT", (2, timedelta(hours=1)))
    campaigns = [make_campaign(status=CampaignStatus.LIVE) for _ in range(5)]
    reporter = make_user()
    session.commit()
    ids, reporter_id = [c.id for c in campaigns], reporter.id

    def send(campaign_id):
        return lambda: reports.report_campaign(db.session.get(Campaign, campaign_id),
                                               db.session.get(User, reporter_id), REASON)

    outcomes = race(app, *(send(i) for i in ids))
    assert outcomes.count("ok") == 2 and outcomes.count("TooManyReports") == 3
    assert session.scalar(sa.select(sa.func.count()).select_from(CampaignReport).where(
        CampaignReport.reporter_id == reporter_id)) == 2
