"""Email choices and unsubscribing: a message of an optional kind carries a link (and the
List-Unsubscribe headers) that stops that kind without signing in; transactional mail
always goes, without one."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa

from crowdfund.auth.models import User
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.community import following, updates
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.money import Money
from crowdfund.notifications import emails
from crowdfund.notifications.outbox import deliver_due
from tests.factories import make_campaign, make_pledge, make_user


def _deliver(app, smtp):
    with app.app_context():
        deliver_due(utcnow() + timedelta(seconds=1))
        db.session.commit()
    return smtp.messages


def _update(campaign, n: int):
    updates.post_update(campaign, campaign.founder, f"News {n}",
                        "We have news for you, and it is good news indeed.", "public")


def test_an_update_can_be_unsubscribed_from_without_signing_in(app, client, session, smtp):
    campaign = make_campaign(status=CampaignStatus.LIVE)
    fan = make_user("fan@example.com")
    following.follow_campaign(fan, campaign)
    session.commit()
    _update(campaign, 1)
    session.commit()
    to, message = [m for m in _deliver(app, smtp) if m[0] == ["fan@example.com"]][0]
    header = message["List-Unsubscribe"]
    assert header.startswith("<http") and message["List-Unsubscribe-Post"] == \
        "List-Unsubscribe=One-Click"
    text = message.get_body(("plain",)).get_content()
    link = urlsplit(re.search(r"Stop them: (\S+)", text).group(1)).path
    assert link == urlsplit(header.strip("<>")).path
    page = client.get(link)  # nobody signed in
    assert page.status_code == 200 and b"Stop sending fan@example.com" in page.data
    with app.app_context():
        assert db.session.scalar(sa.select(User.notify_updates).where(
            User.email == "fan@example.com")) is True  # looking is not unsubscribing
    done = client.post(link)
    assert done.status_code == 200 and b"You are unsubscribed" in done.data
    session.expire_all()
    _update(campaign, 2)
    session.commit()
    fan_got = [m["Subject"] for to, m in _deliver(app, smtp) if to == ["fan@example.com"]]
    assert fan_got == [f"Update #1 from {campaign.title}: News 1"]


def test_one_click_from_the_mail_client(app, session):
    from crowdfund.auth import email_choices

    fan = make_user("fan@example.com")
    session.commit()
    with app.app_context():
        token = email_choices.unsubscribe_token(db.session.get(User, fan.id), "followed")
    mail_client = app.test_client()  # no cookie, no form token: RFC 8058's POST
    response = mail_client.post(f"/unsubscribe/{token}",
                                data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    with app.app_context():
        user = db.session.get(User, fan.id)
        assert (user.notify_followed, user.notify_updates) == (False, True)
    assert mail_client.post("/unsubscribe/not-a-token").status_code == 400
    assert mail_client.get(f"/unsubscribe/{token[:-2]}xx").status_code == 400


def test_transactional_mail_always_goes_without_an_unsubscribe_link(app, session, smtp):
    backer = make_user("backer@example.com")
    backer.notify_updates = backer.notify_comments = backer.notify_followed = False
    pledge = make_pledge(make_campaign(status=CampaignStatus.COLLECTING), backer)
    session.flush()
    assert emails.receipt(pledge, Money(5000, "USD"), "pi_1") is True
    session.commit()
    (to, message), = _deliver(app, smtp)
    assert to == ["backer@example.com"] and message["List-Unsubscribe"] is None
    assert "Stop them" not in message.get_body(("plain",)).get_content()


def test_the_choices_page(app, client, auth, session):
    grace = make_user("grace@example.com")
    session.commit()
    auth.login_as(grace)
    page = client.get("/account/notifications").get_data(as_text=True)
    assert 'name="marketing"' in page and "always reach you" in page
    assert re.search(r'checked[^>]*id="updates"|id="updates"[^>]*checked', page)
    assert not re.search(r'checked[^>]*id="marketing"|id="marketing"[^>]*checked', page)
    client.post("/account/notifications", data={"updates": "y", "marketing": "y"})
    with app.app_context():
        user = db.session.get(User, grace.id)
        assert (user.notify_updates, user.notify_comments, user.notify_followed,
                user.notify_marketing) == (True, False, False, True)
