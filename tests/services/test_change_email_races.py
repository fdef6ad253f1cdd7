"""A change's confirmation at the same instant as another, on PostgreSQL
(``postgres_only``): a pledge cancelled twice at once is confirmed once, two changes at once
are confirmed one after the other (the second's "before" is the first's "now"), a new card
read by the browser and the webhook at once is confirmed once (the outbox's key)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from crowdfund.auth.models import User
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.extensions import db
from crowdfund.money import Money
from crowdfund.notifications.models import OutboxMessage
from crowdfund.payments import gateway as current_gateway
from crowdfund.pledges import services as pledges
from crowdfund.pledges.models import Pledge
from tests.factories import make_campaign, make_pledge, make_user, race

pytestmark = pytest.mark.postgres_only

ROUNDS = 8


def usd(major) -> Money:
    return Money.from_decimal(str(major), "USD")


def _texts(session, kind: str, pledge_id: int) -> list[str]:
    session.expire_all()
    return list(session.scalars(sa.select(OutboxMessage.text_body).where(
        OutboxMessage.kind == kind,
        OutboxMessage.dedupe_key.startswith(f"pledge-{pledge_id}-"))))


def test_a_pledge_cancelled_twice_at_once_is_confirmed_once(app, session):
    for _ in range(ROUNDS):
        pledge = make_pledge(make_campaign(status=CampaignStatus.LIVE, tiers=0))
        session.commit()
        pledge_id, backer_id = pledge.id, pledge.backer_id

        def cancel(pledge_id=pledge_id, backer_id=backer_id):
            pledges.cancel_pledge(db.session.get(Pledge, pledge_id),
                                  db.session.get(User, backer_id))

        assert sorted(race(app, cancel, cancel)) == ["DomainError", "ok"]
        assert len(_texts(session, "pledge_cancelled", pledge_id)) == 1


def test_two_changes_at_once_are_confirmed_one_after_the_other(app, session):
    for _ in range(ROUNDS):
        pledge = make_pledge(make_campaign(status=CampaignStatus.LIVE, tiers=0),
                             amount_minor=3_000)
        session.commit()
        pledge_id, backer_id = pledge.id, pledge.backer_id

        def change(amount, pledge_id=pledge_id, backer_id=backer_id):
            def action():
                pledges.change_pledge(db.session.get(Pledge, pledge_id),
                                      db.session.get(User, backer_id), None, usd(amount), None)
            return action

        assert race(app, change(50), change(60)) == ["ok", "ok"]
        texts = _texts(session, "pledge_changed", pledge_id)
        a, b, c = (usd(n).format() for n in (30, 50, 60))
        one_way = {f"{a} → {b}", f"{b} → {c}"}
        other_way = {f"{a} → {c}", f"{c} → {b}"}
        said = {line for text in texts for line in (one_way | other_way) if line in text}
        assert len(texts) == 2 and said in (one_way, other_way), texts


def test_a_new_card_read_twice_at_once_is_confirmed_once(app, session):
    gw = current_gateway()
    for _ in range(ROUNDS):
        backer = make_user()
        pledge = pledges.start_pledge(backer, make_campaign(status=CampaignStatus.LIVE,
                                                            tiers=0), None, usd(20), None)
        intent = pledges.ensure_setup_intent(pledge, backer, gw)
        gw.confirm_setup(intent.id)
        pledges.confirm_card(pledge, gw, actor=backer)
        intent = pledges.ensure_setup_intent(pledge, backer, gw)  # another card
        gw.confirm_setup(intent.id, "5555555555554444")
        session.commit()
        pledge_id = pledge.id

        def confirm(pledge_id=pledge_id):  # the browser and the webhook
            pledges.confirm_card(db.session.get(Pledge, pledge_id), gw)

        assert race(app, confirm, confirm) == ["ok", "ok"]
        assert len(_texts(session, "card_replaced", pledge_id)) == 1
