"""The words pages use say what is true, the same way everywhere: an investment is called
one; a count takes its noun in the singular or the plural (``ngettext``, the count written
for the reader's locale); a count matches the list it heads; money is
always "$40.00"; a status has one name on every page and in every history; the console
says what waits in the outbox and how this deployment runs its background work; the
two-factor setup speaks of recovery codes once they come; the site's pages say what the
product does (comments their author deletes, "Report this campaign", when an identity
document is deleted)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from crowdfund.campaigns.states import CampaignStatus
from crowdfund.filters import duration
from crowdfund.i18n import ngettext
from crowdfund.pledges.models import PledgeStatus
from tests.factories import live_offering, make_campaign, make_pledge, make_user

P = PledgeStatus


def test_one_helper_makes_every_count_and_its_noun(app):
    with app.test_request_context():
        assert [ngettext("%(num)s backer", "%(num)s backers", n) for n in (0, 1, 2, 1204)] == [
            "0 backers", "1 backer", "2 backers", "1,204 backers"]
        assert [duration(timedelta(days=d)) for d in (1, 30)] == ["1 day", "30 days"]
        assert duration(timedelta(hours=12)) == "12 hours"


def test_a_cancelled_investment_is_called_an_investment(app, client, auth, session):
    offering = live_offering()
    person = make_user()
    pledge = make_pledge(offering, person, amount_minor=130_00)
    pledge.payment_method_id = "pm_saved"
    session.commit()
    auth.login_as(person)
    page = client.post(f"/pledges/{pledge.id}/cancel", follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "Your investment is cancelled. You will not be charged." in text
    assert "Nothing was or will be charged for this investment." in text
    assert "pledge is cancelled" not in text and "for this pledge" not in text


def test_a_count_of_one_takes_the_singular(app, client, session):
    campaign = make_campaign(status=CampaignStatus.LIVE, title="Solo")
    make_pledge(campaign)
    session.commit()
    home = client.get("/discover").get_data(as_text=True)
    card = home.split("Solo</h3>")[1].split("</article>")[0]
    assert "<dt>backer</dt><dd>1</dd>" in card and "backers" not in card
    page = client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    assert '<p class="big">1</p><p class="muted">backer</p>' in page
    assert "1 live campaign" in client.get("/discover?q=Solo").get_data(as_text=True)


def test_the_studio_backers_count_matches_its_list(app, client, auth, session):
    campaign = make_campaign(status=CampaignStatus.LIVE)
    for _ in range(4):
        make_pledge(campaign)
    cancelled = make_pledge(campaign, status=P.CANCELLED)
    cancelled.payment_method_id = "pm_saved"  # a pledge the backer cancelled, not an attempt
    session.commit()
    auth.login_as(campaign.founder)
    page = client.get(f"/studio/{campaign.id}/backers").get_data(as_text=True)
    assert page.count('<span class="status status-') == 5
    assert "Pledges (5) · 4 backers · $200.00 pledged" in page
    assert "1 pledge in the list was cancelled or released" in page
    assert "Backers (4)" not in page


def test_insights_show_money_as_every_page_does(app, client, auth, session):
    campaign = make_campaign(status=CampaignStatus.LIVE)
    make_pledge(campaign, amount_minor=4000, tier=campaign.tiers[0])
    session.commit()
    auth.login_as(campaign.founder)
    page = client.get(f"/studio/{campaign.id}/insights").get_data(as_text=True)
    assert "Tier 1 · $40.00 · 1 pledge</text>" in page
    assert "$40 ·" not in page and "Goal $1,000.00" in page


def test_a_status_has_the_same_name_in_the_history(app, client, auth, session):
    from crowdfund.campaigns import services

    campaign = make_campaign(status=CampaignStatus.SUBMITTED)
    session.flush()
    services.reject(campaign, make_user(operator=True), "Tell us more about the risks")
    session.commit()
    auth.login_as(campaign.founder)
    page = client.get(f"/studio/{campaign.id}").get_data(as_text=True)
    assert "<strong>Changes requested</strong>" in page and "<strong>rejected</strong>" not in page


@pytest.fixture
def operator(session, auth):
    person = make_user(operator=True)
    session.commit()
    auth.login_as(person)
    return person


def _queue_email(app, session):
    from crowdfund.notifications.emails import send
    from crowdfund.notifications.outbox import Email

    send("test", "wording-test-1", make_user(), Email(subject="Hi", greeting="Hello,",
                                                      paragraphs=["Text."]))
    session.commit()


def test_the_console_counts_what_waits_and_says_how_it_runs(app, client, session, operator,
                                                           monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", None)
    _queue_email(app, session)
    page = client.get("/operators/settlement").get_data(as_text=True)
    assert "Every email went out" not in page
    assert "1 email waits in the outbox (1 not tried yet)" in page
    assert "no <code>SMTP_HOST</code> is set, so nothing is sent" in page
    assert "flask settle --watch" not in page
    assert "the embedded runner runs it (<code>flask jobs run --watch</code>" in page
    monkeypatch.setitem(app.config, "CELERY_BROKER_URL", "redis://127.0.0.1:1/0")
    on_celery = client.get("/operators/settlement").get_data(as_text=True)
    assert "on this Celery deployment beat queues it" in on_celery
    assert "flask jobs run --watch</code>, which" not in on_celery


def test_the_two_factor_setup_speaks_of_recovery_codes_once_they_come(app, client, auth,
                                                                        session):
    person = make_user()
    session.commit()
    auth.login_as(person)
    client.post("/account/two-factor/setup")
    page = client.get("/account/two-factor/setup").get_data(as_text=True)
    assert "or one of your recovery codes" not in page
    assert page.index("Turn on</button>") < page.index("ten recovery codes")


def test_the_site_pages_say_what_the_product_does(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "IDENTITY_DOCUMENT_RETENTION", timedelta(days=7))
    privacy = client.get("/privacy").get_data(as_text=True)
    assert "Until you delete them" not in privacy and "[deleted by its author]" in privacy
    assert "7 days after the operator's decision, then deleted" in privacy
    help_page = client.get("/help").get_data(as_text=True)
    assert "Report this campaign" in help_page


def test_the_identity_page_and_privacy_agree_on_the_document(app, client, auth, session,
                                                             monkeypatch):
    monkeypatch.setitem(app.config, "IDENTITY_DOCUMENT_RETENTION", timedelta(days=7))
    person = make_user()
    session.commit()
    auth.login_as(person)
    page = client.get("/account/identity").get_data(as_text=True)
    assert "it is deleted 7 days after their decision" in page


def test_the_founders_outcome_email_counts_one_backer(app, session):
    from crowdfund.money import Money
    from crowdfund.notifications import emails
    from crowdfund.notifications.models import OutboxMessage

    campaign = make_campaign(status=CampaignStatus.FUNDED, goal_minor=10_000)
    campaign.pledged_at_deadline_minor = 12_000
    session.flush()
    emails.campaign_outcome_founder(campaign, Money(12_000, "USD"), 1)
    body = session.scalar(sa.select(OutboxMessage.text_body).where(
        OutboxMessage.kind == "campaign_outcome"))
    assert "goal from 1 backer." in body


def test_the_operators_home_counts_statuses_by_their_names(app, client, session, operator):
    make_campaign(status=CampaignStatus.REJECTED)
    session.commit()
    home = client.get("/operators/").get_data(as_text=True)
    assert "<dt>Changes requested</dt><dd>1</dd>" in home and "<dt>rejected</dt>" not in home
    assert "<dt>Funded (funded)</dt>" in home and "<dt>Funded (settled)</dt>" in home
