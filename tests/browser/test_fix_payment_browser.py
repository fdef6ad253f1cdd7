"""The fix page in a real browser: 3-D Secure with confirmCardPayment, and another card."""

import re

import sqlalchemy as sa

from crowdfund.extensions import db
from crowdfund.pledges.models import Pledge, PledgeStatus
from tests.browser.helpers import sign_in, type_card
from tests.sandbox import (
    DECLINES_AT_CHARGE,
    OK,
    THREE_DS,
    back,
    end,
    new_campaign,
    sandbox_charges,
    settler,
)


def _backer_and_status(app, pledge_id):
    with app.app_context():
        pledge = db.session.get(Pledge, pledge_id)
        return pledge.backer.email, pledge.status


def test_backers_fix_their_payments_in_the_browser(app, page, stripe_sandbox):
    campaign_id = new_campaign(app, goal_minor=5_000)
    back(app, stripe_sandbox, campaign_id, OK, "50")
    declined = back(app, stripe_sandbox, campaign_id, DECLINES_AT_CHARGE, "40")
    needs_3ds = back(app, stripe_sandbox, campaign_id, THREE_DS, "30")
    end(app, campaign_id)
    settler(app).settle(campaign_id)

    email, status = _backer_and_status(app, needs_3ds)
    assert status is PledgeStatus.AUTHENTICATION_REQUIRED
    sign_in(page, email)
    page.goto(f"{page.base}/pledges/{needs_3ds}")
    page.click("text=Fix your payment")
    page.wait_for_url(re.compile(rf".*/pledges/{needs_3ds}/pay$"))
    page.click("#auth-submit")
    page.click("text=Complete authentication")
    page.wait_for_url(re.compile(rf".*/pledges/{needs_3ds}$"))
    assert "Your payment went through" in page.inner_text("main")
    assert _backer_and_status(app, needs_3ds)[1] is PledgeStatus.COLLECTED
    page.context.clear_cookies()  # signed out

    email, status = _backer_and_status(app, declined)
    assert status is PledgeStatus.ERRORED
    sign_in(page, email)
    page.goto(f"{page.base}/pledges/{declined}/pay")
    type_card(page, "4242424242424242")
    page.click("#card-submit")
    page.wait_for_url(re.compile(rf".*/pledges/{declined}$"))
    assert "Your payment went through" in page.inner_text("main")
    assert _backer_and_status(app, declined)[1] is PledgeStatus.COLLECTED

    paid = sorted((pi["metadata"]["pledge_id"], pi["amount"])
                  for pi in sandbox_charges(stripe_sandbox, campaign_id)
                  if pi["status"] == "succeeded")
    assert len(paid) == 3 and len({pledge for pledge, _ in paid}) == 3  # each paid once
    assert (str(declined), 4000) in paid and (str(needs_3ds), 3000) in paid
    assert not [e for e in page.js_errors if "Content Security Policy" in e], page.js_errors
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Pledge).where(
            Pledge.status == PledgeStatus.COLLECTED)) == 3
