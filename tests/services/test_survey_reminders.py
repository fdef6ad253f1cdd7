"""Invitations and reminders of the backers' surveys (the jobs pass: ``fulfilment.reminders``),
run at chosen instants (time travel, nothing sleeps): each backer is invited once, reminded
every FULFILMENT_REMINDER_EVERY at most FULFILMENT_REMINDERS times while not answered, each
email queued once whatever the number of passes; nothing once answered, shipping, refunded
or erased."""

from datetime import timedelta

import sqlalchemy as sa

from crowdfund.community.delivery import report_delivery
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.fulfilment import questions
from crowdfund.fulfilment.reminders import invite, invite_and_remind
from crowdfund.fulfilment.surveys import answer_survey, survey_of
from crowdfund.notifications.models import OutboxMessage
from crowdfund.pledges.models import PledgeStatus
from tests.factories import funded_reward, surveyed_pledge

ADDRESS = {"recipient_name": "Grace Hopper", "address_line1": "1 Market Street",
           "city": "San Francisco", "region": "CA", "postal_code": "94105"}
DAY = timedelta(days=1)


def _sent(session) -> list[str]:
    session.expire_all()
    return sorted(session.scalars(sa.select(OutboxMessage.dedupe_key).where(
        OutboxMessage.kind.in_(("survey_invitation", "survey_reminder")))))


def _pass(session, now) -> int:
    queued = invite_and_remind(now)
    session.commit()
    return queued


def test_invited_once_then_reminded_spaced_at_most_three_times(app, session):
    campaign = funded_reward()
    pledge = surveyed_pledge(campaign)
    session.commit()
    survey_id = survey_of(pledge).id
    start = utcnow()
    assert _pass(session, start) == 1
    assert _pass(session, start + timedelta(minutes=1)) == 0  # invited: nothing new
    assert _sent(session) == [f"survey-{survey_id}-r1-invitation"]
    assert _pass(session, start + 6 * DAY) == 0  # not a week yet
    for week in range(1, 6):
        _pass(session, start + week * 7 * DAY + timedelta(minutes=week))
    assert _sent(session) == [f"survey-{survey_id}-r1-invitation",
                              *(f"survey-{survey_id}-r1-reminder-{n}" for n in (1, 2, 3))]
    last = session.scalar(sa.select(OutboxMessage.text_body).where(
        OutboxMessage.dedupe_key == f"survey-{survey_id}-r1-reminder-3"))
    assert "This is our last reminder." in last
    assert f"/pledges/{pledge.id}/survey" in last
    assert survey_of(pledge).reminders_sent == 3


def test_two_passes_at_the_same_moment_queue_each_email_once(app, session):
    campaign = funded_reward()
    pledges = [surveyed_pledge(campaign) for _ in range(3)]
    session.commit()
    start = utcnow()
    assert invite(start) == 3
    assert invite(start) == 0  # the same pass again, before any commit
    session.commit()
    assert _pass(session, start + 8 * DAY) == 3
    assert _pass(session, start + 8 * DAY) == 0
    ids = [survey_of(p).id for p in pledges]
    assert _sent(session) == sorted([*(f"survey-{i}-r1-invitation" for i in ids),
                                     *(f"survey-{i}-r1-reminder-1" for i in ids)])


def test_nobody_is_reminded_once_answered_shipping_refunded_or_with_nothing_to_ask(
        app, session):
    campaign = funded_reward()
    answered, waiting, refunded = (surveyed_pledge(campaign) for _ in range(3))
    digital = funded_reward(ships=False)  # no address, no question: nothing to ask
    surveyed_pledge(digital)
    session.commit()
    start = utcnow()
    assert _pass(session, start) == 3
    answer_survey(survey_of(answered), answered.backer, ADDRESS, {})
    refunded.status = PledgeStatus.REFUNDED
    session.commit()
    assert _pass(session, start + 8 * DAY) == 1  # only the one still waiting
    report_delivery(campaign, campaign.founder, campaign.tiers[0].id, "shipping", None, "")
    session.commit()
    assert _pass(session, start + 16 * DAY) == 0  # shipping: too late to ask
    assert _sent(session) == sorted([
        *(f"survey-{survey_of(p).id}-r1-invitation" for p in (answered, waiting, refunded)),
        f"survey-{survey_of(waiting).id}-r1-reminder-1"])


def test_a_question_added_later_invites_again_in_a_new_round(app, session):
    campaign = funded_reward(ships=False)  # nothing to ask at first
    pledge = surveyed_pledge(campaign)
    session.commit()
    start = utcnow()
    assert _pass(session, start) == 0
    tier = campaign.tiers[0]
    first = questions.add_question(campaign, campaign.founder, tier.id, "text", "Name?", "",
                                   True)
    session.commit()
    assert _pass(session, start + DAY) == 1  # now there is something to ask
    answer_survey(survey_of(pledge), pledge.backer, {}, {first.id: "Grace"})
    session.commit()
    questions.add_question(campaign, campaign.founder, tier.id, "colour", "Colour?",
                           "Red\nBlue", True)
    session.commit()
    assert _pass(session, start + 2 * DAY) == 1
    survey_id = survey_of(pledge).id
    assert _sent(session) == [f"survey-{survey_id}-r1-invitation",
                              f"survey-{survey_id}-r2-invitation"]
    again = session.scalar(sa.select(OutboxMessage).where(
        OutboxMessage.dedupe_key == f"survey-{survey_id}-r2-invitation"))
    assert "a new question about your reward" in again.subject
    db.session.rollback()
