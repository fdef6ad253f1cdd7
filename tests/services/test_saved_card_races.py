"""Removing a saved card while a pledge is being given that card (PostgreSQL): the removal
waits for the confirmation, sees the pledge, and refuses; the card stays attached."""

import threading
import time

import pytest

from crowdfund.auth.models import User
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.extensions import db
from crowdfund.money import Money
from crowdfund.payments import gateway as current_gateway
from crowdfund.pledges import saved_cards
from crowdfund.pledges import services as pledges
from crowdfund.pledges.models import Pledge, PledgeStatus
from tests.factories import back_pledge, make_campaign

pytestmark = pytest.mark.postgres_only


@pytest.mark.parametrize("replacing", [False, True], ids=["new pledge", "card replaced"])
def test_a_card_being_given_to_a_pledge_is_not_removed_meanwhile(app, session, gw, replacing):
    first = back_pledge(make_campaign(status=CampaignStatus.LIVE, tiers=0), gw)
    pledges.cancel_pledge(first, first.backer)  # its card is unused, still saved
    pm = first.payment_method_id
    lantern = make_campaign(status=CampaignStatus.LIVE, tiers=0, title="Lantern kit")
    if replacing:  # an active pledge with another card of its own, given this one now
        second = back_pledge(lantern, gw)
        second.backer_id = first.backer_id
        gw.cards[second.payment_method_id]["customer"] = first.backer.payment_customer_id
        session.flush()
    else:
        second = pledges.start_pledge(first.backer, lantern, None,
                                      Money.from_decimal("25", "USD"), None)
    attempt = saved_cards.begin_reuse(second, first.backer, pm, gw)
    session.commit()
    saved_cards.reuse(second, first.backer, pm, attempt, gw)
    session.commit()
    backer_id, pledge_id = first.backer_id, second.id
    confirmed, release = threading.Event(), threading.Event()
    outcomes: dict[str, str] = {}

    def confirm() -> None:
        with app.app_context():
            try:
                pledges.confirm_card(db.session.get(Pledge, pledge_id), current_gateway())
                db.session.flush()
                confirmed.set()  # the pledge has the card, not committed yet
                release.wait(timeout=30)
                db.session.commit()
                outcomes["confirm"] = "active"
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                outcomes["confirm"] = f"error: {exc!r}"
                confirmed.set()
            finally:
                db.session.remove()

    def remove() -> None:
        with app.app_context():
            try:
                saved_cards.remove(db.session.get(User, backer_id), pm, current_gateway())
                db.session.commit()
                outcomes["remove"] = "removed"
            except saved_cards.CardInUse as exc:
                outcomes["remove"] = str(exc)
            except Exception as exc:  # noqa: BLE001
                outcomes["remove"] = f"error: {exc!r}"
            finally:
                db.session.remove()

    confirming = threading.Thread(target=confirm)
    confirming.start()
    assert confirmed.wait(timeout=30)
    removing = threading.Thread(target=remove)
    removing.start()
    time.sleep(0.5)  # the removal is waiting for the confirmation's row lock
    assert "remove" not in outcomes
    release.set()
    confirming.join(timeout=30)
    removing.join(timeout=30)
    assert outcomes["confirm"] == "active"
    assert "This card pays for your pledges to: “Lantern kit”" in outcomes["remove"]
    assert gw.cards[pm]["customer"] is not None
    session.expire_all()
    assert session.get(Pledge, pledge_id).status is PledgeStatus.ACTIVE
