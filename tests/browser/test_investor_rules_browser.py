"""Investor rules in a browser (issue 27): a person living where the platform has no
investor rules is told so before typing any amount, next to the country they chose, and
the offering page offers them no Invest button; an investor in the UK reads, on a dollar
offering, under which rules they invest and what their limit is, before typing."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from crowdfund.db import utcnow
from crowdfund.equity import investors
from crowdfund.equity.models import InvestorProfile
from crowdfund.equity.rate_loading import RateRow, load
from crowdfund.extensions import db
from tests.browser.helpers import sign_in
from tests.factories import investor, live_offering, make_user


def test_a_resident_of_a_country_without_rules_is_told_before_typing(app, page):
    with app.app_context():
        campaign = live_offering()
        person = make_user(name="Wing Chan")
        db.session.commit()
        slug, email, person_id = campaign.slug, person.email, person.id
        db.session.remove()
    sign_in(page, email)
    page.goto(f"{page.base}/campaigns/{slug}")
    page.locator("main").get_by_role("link", name=re.compile(r"^Invest")).first.click()
    page.wait_for_url(re.compile(r".*/invest/profile.*"))
    page.select_option("#jurisdiction", "HK")
    page.fill("#annual_income", "600000")
    page.fill("#net_worth", "900000")
    page.get_by_role("button", name="Save").click()
    error = page.inner_text("#jurisdiction-error")  # next to the country chosen
    assert "Investing is not yet open to residents of Hong Kong" in error
    assert page.locator("#amount").count() == 0  # no amount was ever asked
    with app.app_context():
        assert db.session.scalar(sa.select(InvestorProfile).where(
            InvestorProfile.user_id == person_id)) is None


def test_the_offering_page_says_who_may_invest_before_any_amount(app, page):
    with app.app_context():
        campaign = live_offering()
        german = investor()
        investors.profile_of(german).jurisdiction = "BR"  # a profile from before the rules
        briton = investor(income="90000", worth="45000", country="GB")
        day = (utcnow() - timedelta(days=1)).date().isoformat()
        load([RateRow(None, day, "GBP", "USD", "1.25")], None, "ECB reference rate")
        db.session.commit()
        slug, german_email, briton_email = campaign.slug, german.email, briton.email
        db.session.remove()
    sign_in(page, german_email)
    page.goto(f"{page.base}/campaigns/{slug}")
    standing = page.inner_text("#investor-standing")
    assert "Investing is not yet open to residents of Brazil" in standing
    assert page.locator("main").get_by_role("link", name=re.compile(r"^Invest$")).count() == 0
    page.context.clear_cookies()
    sign_in(page, briton_email)
    page.goto(f"{page.base}/campaigns/{slug}")
    standing = page.inner_text("#investor-standing")
    assert "You invest under UK rules for crowdfunding investors" in standing
    assert "you can invest up to £4,500.00" in standing
    page.locator("main").get_by_role("link", name=re.compile(r"^Invest$")).first.click()
    page.wait_for_url(re.compile(rf".*/invest/{slug}$"))
    assert "counts in it at the exchange rate of the day you commit" in page.inner_text("main")
    page.locator("details.limit-arithmetic summary").click()
    steps = page.inner_text("details.limit-arithmetic")
    assert "10% of their net assets" in steps, steps
