"""A founder goes through the identity check in a real browser, up to an approved equity
offering: the offering cannot be submitted before; the founder sends the document; an
operator (signed in with a TOTP code) looks at it and approves; the founder submits; the
operator approves the offering."""

from __future__ import annotations

import io
from datetime import date

import pyotp
from PIL import Image

from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignKind, CampaignStatus
from crowdfund.equity.models import DocumentKind
from crowdfund.equity.services import add_document, save_terms
from crowdfund.extensions import db
from tests.browser.helpers import sign_in
from tests.factories import PASSWORD, make_campaign, make_user, with_two_factor


def _passport() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (900, 600), (180, 170, 150)).save(buffer, "JPEG")
    return buffer.getvalue()


def _status(app, campaign_id):
    with app.app_context():
        status = db.session.get(Campaign, campaign_id).status
        db.session.remove()
    return status


def test_a_founder_is_verified_and_their_offering_approved(app, browser, live_server):
    app.config["OPERATOR_TWO_FACTOR_REQUIRED"] = True
    try:
        _walk(app, browser, live_server)
    finally:
        app.config["OPERATOR_TWO_FACTOR_REQUIRED"] = False


def _offering_draft(founder) -> Campaign:
    from crowdfund.equity.models import AllocationPolicy, SecurityType
    from crowdfund.equity.services import OfferingInput
    from crowdfund.money import Money

    campaign = make_campaign(founder, kind=CampaignKind.EQUITY, tiers=0, goal_minor=50_000_00,
                             title="Fernwood Cider Co.")
    usd = lambda major: Money.from_decimal(major, "USD")  # noqa: E731
    save_terms(campaign, founder, OfferingInput(
        issuer_legal_name="Fernwood Cider Co.", issuer_jurisdiction="US",
        incorporated_on=date(2019, 3, 1), security=SecurityType.COMMON_STOCK,
        maximum=usd("100000"), minimum_investment=usd("100"),
        allocation=AllocationPolicy.FIRST_COME, use_of_proceeds_md="A press house.",
        price_per_share=usd("2.50"), pre_money_valuation=usd("1800000")))
    add_document(campaign, founder, DocumentKind.FINANCIAL_STATEMENTS, "Statements 2025",
                 "documents/" + "ab" * 20 + ".pdf", 1200)
    return campaign


def _walk(app, browser, live_server):
    with app.app_context():
        founder = make_user(name="Marta Kowalska")
        operator = make_user(operator=True, name="Olga Operator")
        seed, _codes = with_two_factor(operator)
        campaign = _offering_draft(founder)
        db.session.commit()
        ids = (founder.email, founder.id, operator.email, campaign.id)
        db.session.remove()
    founder_email, founder_id, operator_email, campaign_id = ids

    def person():
        page = browser.new_context().new_page()
        page.set_default_timeout(15_000)
        page.base = live_server
        return page

    founder_page = person()
    sign_in(founder_page, founder_email)
    founder_page.goto(f"{live_server}/studio/{campaign_id}")
    assert "Your identity verified" in founder_page.inner_text("main")
    founder_page.get_by_role("button", name="Submit for review").click()
    assert "Your identity verified" in founder_page.inner_text("main")
    assert _status(app, campaign_id) is CampaignStatus.DRAFT
    # The founder sends their document.
    founder_page.goto(f"{live_server}/account/identity")
    founder_page.fill("#legal_name", "Marta A. Kowalska")
    founder_page.fill("#date_of_birth", "1984-09-12")
    founder_page.fill("#address", "4 Orchard Road, Hood River, OR 97031, United States")
    founder_page.select_option("#country", "US")
    founder_page.set_input_files("#document", files=[{
        "name": "passport.jpg", "mimeType": "image/jpeg", "buffer": _passport()}])
    founder_page.get_by_role("button", name="Send for checking").click()
    founder_page.wait_for_url(f"{live_server}/account/identity")
    assert "an operator is checking it" in founder_page.inner_text("main")

    # The operator signs in with a code, looks at the document, approves.
    operator_page = person()
    operator_page.goto(f"{live_server}/login")
    operator_page.fill("#email", operator_email)
    operator_page.fill("#password", PASSWORD)
    operator_page.click("button[type=submit]")
    operator_page.wait_for_url(f"{live_server}/login/code")
    operator_page.fill("#code", pyotp.TOTP(seed).now())
    operator_page.click("button[type=submit]")
    operator_page.wait_for_url(f"{live_server}/operators/")
    operator_page.goto(f"{live_server}/operators/founders/{founder_id}")
    body = operator_page.inner_text("main")
    assert "Marta A. Kowalska" in body and "Hood River" in body
    shown = operator_page.locator("img.identity-document")
    shown.wait_for()
    assert operator_page.evaluate("img => img.naturalWidth", shown.element_handle()) == 900
    operator_page.select_option("#status", "verified")
    operator_page.fill("#legal_name", "Marta A. Kowalska")
    operator_page.fill("#note", "Passport: name, birth date and photo match.")
    operator_page.get_by_role("button", name="Save identity status").click()
    operator_page.wait_for_url(f"{live_server}/operators/founders")

    # Now the founder can submit, and the operator approves the offering.
    founder_page.goto(f"{live_server}/studio/{campaign_id}")
    founder_page.get_by_role("button", name="Submit for review").click()
    founder_page.wait_for_load_state()
    assert _status(app, campaign_id) is CampaignStatus.SUBMITTED
    operator_page.goto(f"{live_server}/operators/campaigns/{campaign_id}")
    operator_page.get_by_role("button", name="Approve").click()
    operator_page.wait_for_load_state()
    assert _status(app, campaign_id) is CampaignStatus.APPROVED
