"""Card health: 7 days and 48 hours before the deadline, exactly the active pledges whose
saved card will not work at the deadline are asked to replace it. Time travel: the job is
run at chosen instants, nothing sleeps."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from crowdfund.campaigns.states import CampaignStatus
from crowdfund.community.card_health import at_risk, remind_card_health
from crowdfund.notifications.models import OutboxMessage
from crowdfund.pledges.models import PledgeStatus
from tests.factories import make_campaign, make_pledge

DEADLINE = datetime(2027, 3, 15, 18, 0, tzinfo=UTC)


def _pledge(campaign, exp, status=PledgeStatus.ACTIVE):
    pledge = make_pledge(campaign, status=status)
    if exp is not None:
        pledge.payment_method_id = f"pm_{pledge.id}"
        pledge.card_brand, pledge.card_last4 = "visa", "4242"
        pledge.card_exp_year, pledge.card_exp_month = exp
    return pledge


def _sent(session):
    return sorted(session.scalars(sa.select(OutboxMessage.dedupe_key).where(
        OutboxMessage.kind == "card_health")))


def test_reminders_pick_exactly_the_cards_expiring_before_the_deadline(app, session):
    campaign = make_campaign(status=CampaignStatus.LIVE)
    campaign.deadline = DEADLINE
    expiring = _pledge(campaign, (2027, 2))  # valid to 28 Feb: fails on 15 March
    last_year = _pledge(campaign, (2026, 12))
    no_card = _pledge(campaign, None)
    _pledge(campaign, (2027, 3))  # valid to 31 March: fine
    _pledge(campaign, (2030, 1))
    _pledge(campaign, (2026, 1), status=PledgeStatus.CANCELLED)  # not charged anyway
    _pledge(campaign, (2026, 1), status=PledgeStatus.PENDING)
    other = make_campaign(status=CampaignStatus.LIVE)
    other.deadline = DEADLINE + timedelta(days=30)
    _pledge(other, (2027, 2))  # its deadline is far: not yet
    session.commit()
    risky = [expiring.id, last_year.id, no_card.id]
    assert [p.id for p in at_risk(campaign)] == risky

    assert remind_card_health(now=DEADLINE - timedelta(days=7, minutes=1)) == 0
    assert remind_card_health(now=DEADLINE - timedelta(days=6)) == 3
    session.commit()
    assert remind_card_health(now=DEADLINE - timedelta(days=3)) == 0  # once per notice
    assert remind_card_health(now=DEADLINE - timedelta(hours=47)) == 3
    session.commit()
    assert remind_card_health(now=DEADLINE - timedelta(hours=1)) == 0
    assert remind_card_health(now=DEADLINE + timedelta(hours=1)) == 0
    assert _sent(session) == sorted(f"pledge-{i}-card-health-{n}" for i in risky
                                    for n in ("7d", "48h"))
    message = session.scalar(sa.select(OutboxMessage).where(
        OutboxMessage.dedupe_key == f"pledge-{expiring.id}-card-health-7d"))
    assert f"/pledges/{expiring.id}/card" in message.text_body
    assert "expires at the end of 02/2027" in message.text_body
    assert message.to_email == expiring.backer.email


def test_the_founder_sees_how_many_pledges_are_at_risk(app, client, auth, session):
    campaign = make_campaign(status=CampaignStatus.LIVE)
    campaign.deadline = DEADLINE
    _pledge(campaign, (2027, 2))
    _pledge(campaign, (2027, 4))
    session.commit()
    auth.login_as(campaign.founder)
    page = client.get(f"/studio/{campaign.id}").get_data(as_text=True)
    assert "1 pledge has a card that will not work at the deadline" in page
    page = client.get(f"/studio/{campaign.id}/insights").get_data(as_text=True)
    assert "Pledges at risk at the deadline: 1" in page


def test_a_campaign_first_seen_late_gets_only_the_48_hour_notice(app, session):
    campaign = make_campaign(status=CampaignStatus.LIVE)
    campaign.deadline = DEADLINE
    pledge = _pledge(campaign, (2027, 1))
    session.commit()
    assert remind_card_health(now=DEADLINE - timedelta(hours=30)) == 1
    session.commit()
    assert _sent(session) == [f"pledge-{pledge.id}-card-health-48h"]
    # Replacing the card takes the pledge off the list.
    pledge.card_exp_year, pledge.card_exp_month = 2029, 5
    session.commit()
    assert at_risk(campaign) == []


def test_each_reminder_is_written_in_its_backers_language(app, session, monkeypatch):
    from crowdfund.community import card_health
    from crowdfund.i18n import get_locale, get_timezone

    campaign = make_campaign(status=CampaignStatus.LIVE)
    campaign.deadline = DEADLINE
    chinese, english = _pledge(campaign, (2027, 1)), _pledge(campaign, None)
    chinese.backer.locale, chinese.backer.timezone = "zh_Hans", "Asia/Shanghai"
    session.commit()
    written = {}

    def reason(pledge):  # what the email's own words are made in
        written[pledge.id] = (str(get_locale()), get_timezone().zone)
        return "reason"

    monkeypatch.setattr(card_health, "reason_for", reason)
    assert remind_card_health(now=DEADLINE - timedelta(hours=30)) == 2
    assert written == {chinese.id: ("zh_Hans", "Asia/Shanghai"), english.id: ("en", "UTC")}
