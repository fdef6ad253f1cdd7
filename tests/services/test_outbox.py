"""The outbox: written in the event's transaction, delivered through a real SMTP server
(aiosmtpd, started here), once per message, retried with backoff when delivery fails."""

from datetime import timedelta

import sqlalchemy as sa

from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.notifications import emails
from crowdfund.notifications.models import OutboxMessage
from crowdfund.notifications.outbox import Email, deliver_due, queue
from tests.factories import free_port, make_campaign, make_pledge, make_user


def test_messages_are_delivered_once_as_text_and_html(app, session, smtp):
    campaign = make_campaign(title="Solar <b>kettle</b>")
    pledge = make_pledge(campaign, amount_minor=4_250)
    pledge.card_brand, pledge.card_last4 = "visa", "4242"
    assert emails.pledge_confirmed(pledge)
    assert not emails.pledge_confirmed(pledge)  # the same event: queued once
    db.session.commit()
    report = deliver_due()
    assert report.sent == 1
    assert deliver_due().sent == 0  # never twice
    [(to, message)] = smtp.messages
    assert to == [pledge.backer.email]
    assert message["Subject"] == "You back Solar <b>kettle</b>"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "$42.50" in text and "Solar <b>kettle</b>" in text
    assert "$42.50" in html and "Solar &lt;b&gt;kettle&lt;/b&gt;" in html  # escaped
    assert f"http://127.0.0.1:5000/pledges/{pledge.id}" in text
    row = db.session.scalar(sa.select(OutboxMessage))
    db.session.refresh(row)
    assert row.sent_at is not None and row.attempts == 1


def test_a_rolled_back_event_sends_nothing(app, session, smtp):
    user = make_user()
    db.session.commit()
    queue("test", "rolled-back", user.email, user.display_name,
          Email("Hi", "Hello", ["This never happened."]), recipient_id=user.id)
    db.session.rollback()
    assert deliver_due().sent == 0
    assert smtp.messages == []


def test_failed_delivery_is_retried_later_then_given_up(app, session):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), OUTBOX_MAX_ATTEMPTS=2)
    try:
        user = make_user()
        queue("test", "unlucky", user.email, "", Email("Hi", "Hello", ["Nobody listens."]),
              recipient_id=user.id)
        db.session.commit()
        now = utcnow()
        report = deliver_due(now)
        assert (report.sent, report.failed) == (0, 1)
        row = db.session.scalar(sa.select(OutboxMessage))
        db.session.refresh(row)
        assert row.attempts == 1 and "Error" in row.last_error
        assert row.next_attempt_at >= now + timedelta(minutes=1)
        assert deliver_due(now).failed == 0  # not due again yet
        report = deliver_due(now + timedelta(minutes=2))
        assert report.given_up == 1
        db.session.refresh(row)
        assert row.failed_at is not None and row.sent_at is None
    finally:
        app.config.update(SMTP_HOST=None, SMTP_PORT=25, OUTBOX_MAX_ATTEMPTS=8)


def test_without_smtp_the_outbox_keeps_the_mail(app, session):
    user = make_user()
    queue("test", "kept", user.email, "", Email("Hi", "Hello", ["Stays here."]),
          recipient_id=user.id)
    db.session.commit()
    assert deliver_due().sent == 0
    row = db.session.scalar(sa.select(OutboxMessage))
    assert row.sent_at is None and row.attempts == 0


def test_outbox_send_command(app, session, smtp):
    user = make_user()
    queue("test", "by-command", user.email, "", Email("Hello there", "Hello", ["Sent by CLI."]),
          recipient_id=user.id)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert "sent: 1" in result.output
    assert [m["Subject"] for _, m in smtp.messages] == ["Hello there"]


def test_events_write_their_emails(app, session, gw, settler):
    """Launch, pledge confirmed, funded (founder and backers), receipt, payment failed."""
    from crowdfund.campaigns import services as campaigns
    from crowdfund.campaigns.states import CampaignStatus
    from tests.factories import back, ended

    campaign = make_campaign(status=CampaignStatus.APPROVED, tiers=0, goal_minor=5_000)
    campaigns.launch(campaign, campaign.founder)
    ok = back(campaign, gw, "ok", "60")
    declined = back(campaign, gw, "declines", "10")
    ended(campaign)
    db.session.commit()
    settler.settle(campaign.id)
    rows = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
    keys = [r.dedupe_key for r in rows]
    assert keys[0] == f"campaign-{campaign.id}-launched"
    assert f"campaign-{campaign.id}-outcome-founder" in keys
    for pledge_id in (ok, declined):
        assert f"pledge-{pledge_id}-outcome" in keys
    assert f"pledge-{ok}-receipt" in keys and f"pledge-{declined}-payment-failed" in keys
    assert sum("-confirmed-" in k for k in keys) == 2
    funded = next(r for r in rows if r.dedupe_key == f"campaign-{campaign.id}-outcome-founder")
    assert "is funded" in funded.subject and "$70.00" in funded.text_body


def test_a_failed_campaign_tells_founder_and_backers(app, session, gw, settler):
    from crowdfund.campaigns.states import CampaignStatus
    from tests.factories import back, ended

    campaign = make_campaign(status=CampaignStatus.LIVE, tiers=0, goal_minor=100_000)
    backers = [back(campaign, gw, "ok", "60"), back(campaign, gw, "ok", "15")]
    ended(campaign)
    db.session.commit()
    settler.settle(campaign.id)
    told = {r.dedupe_key: r for r in db.session.scalars(sa.select(OutboxMessage))}
    founder = told[f"campaign-{campaign.id}-outcome-founder"]
    assert "did not reach its goal" in founder.subject and "$75.00" in founder.text_body
    for pledge_id in backers:
        assert "will not be" in told[f"pledge-{pledge_id}-outcome"].text_body
