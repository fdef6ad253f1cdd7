"""A UK investor in a browser (FCA COBS 4.12A, PS22/10): from the offering's Invest button
through the profile, the category with its statement, the education step and the
appropriateness assessment (a failed attempt, the wait said, then a pass), to the invest
page, which names them in the risk warning and says, on their own clock (a browser in New
York), until when the cooling-off of a first-time investor lasts, with no amount asked."""

from __future__ import annotations

import re
from datetime import timedelta

from crowdfund.auth.models import User
from crowdfund.equity import highrisk, investors
from crowdfund.equity.services import offering_of
from crowdfund.extensions import db
from tests.browser.helpers import sign_in
from tests.factories import live_offering, make_user


def test_a_uk_investor_is_categorised_assessed_and_told_of_the_cooling_off(app, browser,
                                                                          live_server):
    with app.app_context():
        campaign = live_offering(price="1.00", minimum="10")
        campaign.currency = "GBP"
        offering_of(campaign).issuer_jurisdiction = "GB"
        person = make_user(name="Olivia Bennett")
        db.session.commit()
        slug, email, person_id = campaign.slug, person.email, person.id
        db.session.remove()
    context = browser.new_context(viewport={"width": 1100, "height": 900},
                                  timezone_id="America/New_York")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base = live_server
    try:
        sign_in(page, email)
        page.goto(f"{page.base}/campaigns/{slug}")
        page.locator("main").get_by_role("link", name=re.compile(r"^Invest")).first.click()
        page.wait_for_url(re.compile(r".*/invest/profile.*"))
        page.select_option("#jurisdiction", "GB")
        page.fill("#annual_income", "90000")
        page.fill("#net_worth", "45000")
        page.get_by_role("button", name="Save").click()
        # The category: each with its statement; the one chosen confirmed.
        page.wait_for_url(re.compile(r".*/invest/category.*"))
        restricted = page.inner_text("#statement-restricted")
        assert "In the next 12 months I will not invest more than 10% of my net assets" \
            in restricted
        page.check("input[name=category][value=restricted]")
        page.get_by_role("button", name="Make my statement").click()
        assert "Confirm the statement of the category you chose" in page.inner_text("main")
        page.check("input[name=category][value=restricted]")
        page.check("#confirm")
        page.get_by_role("button", name="Make my statement").click()
        page.wait_for_url(re.compile(r".*/invest/education.*"))
        for name, _question, right in investors.QUIZ:
            page.check(f"input[name={name}][value={right}]")
        page.check("#accept")
        page.get_by_role("button", name="I understand").click()
        # The assessment: one wrong answer fails it; the page says when to try again.
        page.wait_for_url(re.compile(r".*/invest/assessment.*"))
        for question in highrisk.QUESTIONS:
            answer = "assets_sold" if question.name == "company_fails" else question.right
            page.check(f"input[name={question.name}][value={answer}]")
        page.get_by_role("button", name="Send my answers").click()
        page.wait_for_selector("#assessment-wait")
        assert "You can take it again from" in page.inner_text("#assessment-wait")
        assert page.locator("input[type=radio]").count() == 0
        with app.app_context():  # a day goes by
            profile = investors.profile_of(db.session.get(User, person_id))
            profile.assessment_failed_at -= timedelta(hours=24)
            db.session.commit()
            db.session.remove()
        page.reload()
        for question in highrisk.QUESTIONS:
            page.check(f"input[name={question.name}][value={question.right}]")
        page.get_by_role("button", name="Send my answers").click()
        # Back on the invest page: the warning by name, the cooling-off on their clock.
        page.wait_for_url(re.compile(rf".*/invest/{slug}$"))
        warning = page.inner_text("#risk-warning")
        assert warning.startswith("Olivia Bennett, this is a high-risk investment.")
        standing = page.inner_text("#investor-standing")
        assert re.search(r"As a first-time investor you can invest from \w{3} \d+, \d{4}, "
                         r"\d+:\d\d\s[AP]M E[SD]T", standing), standing
        assert page.locator("#amount").count() == 0
        page.get_by_role("link", name="Take 2 min to learn more").click()
        page.wait_for_url(re.compile(r".*/invest/risk-summary$"))
        assert "You could lose all the money you invest" in page.inner_text("main")
    finally:
        context.close()
