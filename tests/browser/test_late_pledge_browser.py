"""A late pledge in a real browser against the sandbox: "Pledge late" on a funded campaign's
page, the form at the late price, the card saved with Stripe.js (3-D Secure), charged at
once on-session, the bank's confirmation with confirmCardPayment, read back by the server;
the campaign page then shows it apart from the frozen total."""

import re

import sqlalchemy as sa

from crowdfund.campaigns.models import Campaign
from crowdfund.extensions import db
from crowdfund.pledges.models import Pledge, PledgeStatus
from tests.browser.helpers import sign_in, type_card
from tests.factories import make_user
from tests.sandbox import sandbox_charges
from tests.sandbox_late import funded_with_late_window

THREE_DS = "4000002500003155"


def test_a_backer_pledges_late_with_3ds_and_is_charged_at_once(app, page, stripe_sandbox):
    campaign_id, tier_id = funded_with_late_window(app, stripe_sandbox)
    with app.app_context():
        email = make_user().email
        slug = db.session.get(Campaign, campaign_id).slug
        db.session.commit()
    sign_in(page, email)
    page.goto(f"{page.base}/campaigns/{slug}")
    page.click("text=Pledge late")
    page.check(f'input[name="tier"][value="{tier_id}"]')
    page.fill("#amount", "65")
    page.click("button[type=submit] >> text=Continue to payment")
    page.wait_for_url(re.compile(r".*/pledges/\d+/late$"))
    type_card(page, THREE_DS)
    page.click("#card-submit")
    page.click("text=Complete authentication")  # the card's setup
    page.wait_for_selector("#auth-submit")  # the charge: the bank asks again
    page.click("#auth-submit")
    page.click("text=Complete authentication")
    page.wait_for_url(re.compile(r".*/pledges/\d+$"))
    assert "Your late pledge is paid" in page.inner_text("main")
    with app.app_context():
        pledge = db.session.scalar(sa.select(Pledge).where(Pledge.late.is_(True)))
        assert (pledge.status, pledge.amount_minor) == (PledgeStatus.COLLECTED, 6500)
        pledge_id = pledge.id
    paid = [pi for pi in sandbox_charges(stripe_sandbox, campaign_id)
            if pi["metadata"]["pledge_id"] == str(pledge_id)]
    assert [(pi["amount"], pi["status"]) for pi in paid] == [(6500, "succeeded")]
    page.goto(f"{page.base}/campaigns/{slug}")
    assert "Late pledges: $65.00 from 1 backer" in page.inner_text("main")
    assert not [e for e in page.js_errors if "Content Security Policy" in e], page.js_errors
