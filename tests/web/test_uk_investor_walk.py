"""A UK resident's way to a first investment through the pages (FCA COBS 4.12A, PS22/10;
docs/investor-rules.md): the profile, the category with its statement, the education step,
the appropriateness assessment (failed, the wait, then passed), the 24-hour cooling-off
said on the offering page and the invest page before any amount, then the investment.
The invest page shows the personalised risk warning with the person's name, linking to the
risk summary."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from crowdfund.equity import highrisk, investors
from crowdfund.equity.services import offering_of
from crowdfund.extensions import db
from crowdfund.pledges.models import Pledge
from tests.factories import (
    ASSESSMENT_ANSWERS,
    QUIZ_ANSWERS,
    investor,
    live_offering,
    make_user,
)
from tests.i18n_scan import english_left

WRONG = {**ASSESSMENT_ANSWERS, "company_fails": "assets_sold"}


def _gbp_offering():
    campaign = live_offering(price="1.00", minimum="10")
    campaign.currency = "GBP"
    offering_of(campaign).issuer_jurisdiction = "GB"
    db.session.flush()
    return campaign


def _text(response) -> str:
    return response.get_data(as_text=True)


def _back(session, person, **hours):
    """Move the person's recorded moments back, as if ``hours`` had passed."""
    profile = investors.profile_of(person)
    for column, ago in hours.items():
        setattr(profile, column, getattr(profile, column) - timedelta(hours=ago))
    session.commit()


def test_the_whole_uk_walk(client, auth, session):
    campaign = _gbp_offering()
    person = make_user(name="Olivia Bennett")
    session.commit()
    slug = campaign.slug
    auth.login_as(person)
    invest_page = f"/invest/{slug}"
    # The Invest button leads through the profile first.
    response = client.get(invest_page)
    assert response.status_code == 302 and "/invest/profile" in response.location
    response = client.post(f"/invest/profile?next={invest_page}", data={
        "jurisdiction": "GB", "annual_income": "90000", "net_worth": "45000"})
    assert response.status_code == 302 and "/invest/category" in response.location
    page = _text(client.get(response.location))
    for words in ("Restricted investor", "Certified high net worth investor",
                  "Certified sophisticated investor", "Self-certified sophisticated investor",
                  "In the next 12 months I will not invest more than 10% of my net assets",
                  "I had an annual income of £100,000.00 or more",
                  "I held net assets of £250,000.00 or more"):
        assert words in page, words
    # The statement must be confirmed; high net worth needs the income or the assets.
    response = client.post("/invest/category", data={"category": "restricted"})
    assert response.status_code == 400
    assert "Confirm the statement of the category you chose" in _text(response)
    response = client.post("/invest/category", data={"category": "high_net_worth",
                                                     "confirm": "y"})
    assert response.status_code == 400 and "your profile says £90,000.00" in _text(response)
    assert investors.profile_of(person).category is None
    response = client.post(f"/invest/category?next={invest_page}",
                           data={"category": "restricted", "confirm": "y"})
    assert response.status_code == 302 and "/invest/education" in response.location
    response = client.post(f"/invest/education?next={invest_page}",
                           data={**QUIZ_ANSWERS, "accept": "y"})
    assert response.status_code == 302 and "/invest/assessment" in response.location
    # The assessment: several choices a question; a failure is recorded, and the page says
    # when the next attempt may be made (and offers none before).
    page = _text(client.get("/invest/assessment"))
    assert page.count('type="radio"') == sum(len(q.choices) for q in highrisk.QUESTIONS)
    response = client.post(f"/invest/assessment?next={invest_page}", data=WRONG,
                           follow_redirects=True)
    page = _text(response)
    assert "1 answer is not right, so you did not pass" in page
    assert "You can take it again from" in page and 'type="radio"' not in page
    assert investors.profile_of(person).assessment_failures == 1
    response = client.post("/invest/assessment", data=ASSESSMENT_ANSWERS,
                           follow_redirects=True)
    assert "You can take the assessment again from" in _text(response)
    assert investors.profile_of(person).assessment_passed_at is None
    offering_page = _text(client.get(f"/campaigns/{slug}"))
    assert "You did not pass the assessment" in offering_page
    assert f'href="{invest_page}"' not in offering_page
    _back(session, person, assessment_failed_at=24)
    response = client.post(f"/invest/assessment?next={invest_page}", data=ASSESSMENT_ANSWERS)
    assert response.status_code == 302 and response.location.endswith(invest_page)
    # The cooling-off: said on the offering page and the invest page, no amount asked.
    until = investors.profile_of(person).cooling_off_from + timedelta(hours=24)
    offering_page = _text(client.get(f"/campaigns/{slug}"))
    assert "As a first-time investor you can invest from" in offering_page
    page = _text(client.get(invest_page))
    assert "As a first-time investor you can invest from" in page
    assert re.search(r"from [A-Z][a-z]{2} \d+, \d{4}, \d+:\d\d\s[AP]M UTC", page)
    assert until.strftime("%Y") in page
    assert 'id="amount"' not in page
    assert "Olivia Bennett, this is a high-risk investment." in page
    refused = client.post(invest_page, data={"amount": "100"})
    assert refused.status_code == 400 and "As a first-time investor" in _text(refused)
    assert session.scalar(sa.select(sa.func.count()).select_from(Pledge)) == 0
    _back(session, person, cooling_off_from=24)
    page = _text(client.get(invest_page))
    assert 'id="amount"' in page and "you can invest up to £4,500.00" in page
    quoted = client.post(invest_page, data={"amount": "100"})
    assert "You buy <strong>100 shares</strong>" in _text(quoted)
    response = client.post(invest_page, data={"amount": "100", "confirmed": "10000"})
    assert response.status_code == 302 and "/card" in response.location
    overview = _text(client.get("/invest/"))
    assert "Restricted investor, statement made on" in overview
    assert "passed on" in overview


def test_the_invest_page_warns_a_uk_investor_by_name(client, auth, session):
    campaign = _gbp_offering()
    person = investor(income="90000", worth="45000", country="GB")
    person.display_name = "Harriet O'Neill"
    american = investor()
    session.commit()
    auth.login_as(person)
    page = _text(client.get(f"/invest/{campaign.slug}"))
    warning = re.search(r'<p[^>]*id="risk-warning"[^>]*>(.*?)</p>', page, re.S).group(1)
    assert warning.startswith("Harriet O&#39;Neill, this is a high-risk investment. How would "
                              "you feel if you lost the money you're about to invest?")
    assert '<a href="/invest/risk-summary">Take 2 min to learn more</a>' in warning
    summary = _text(client.get("/invest/risk-summary"))
    for heading in ("You could lose all the money you invest",
                    "You are unlikely to be protected if something goes wrong",
                    "You won't get your money back quickly",
                    "Don't put all your eggs in one basket",
                    "The value of your investment can be reduced"):
        assert heading in summary, heading
    auth.logout()
    auth.login_as(american)
    assert 'id="risk-warning"' not in _text(client.get(f"/invest/{campaign.slug}"))


def test_a_uk_investors_pages_read_in_chinese(client, auth, session):
    """The category, the assessment (its questions, then the wait), the invest page in the
    cooling-off with the risk warning, the risk summary and the overview: no English left
    (the person's and the issuer's names may stay)."""
    campaign = _gbp_offering()
    person = make_user(name="Olivia Bennett")
    session.commit()
    client.set_cookie("lang", "zh_Hans")
    auth.login_as(person)
    client.post("/invest/profile", data={"jurisdiction": "GB", "annual_income": "90000",
                                         "net_worth": "45000"})
    allowed = {"Olivia Bennett", "Tidewater Instruments", "Tidewater Instruments Inc.",
               person.email, campaign.title, campaign.slug}
    pages = {"category": client.get("/invest/category")}
    client.post("/invest/category", data={"category": "restricted", "confirm": "y"})
    client.post("/invest/education", data={**QUIZ_ANSWERS, "accept": "y"})
    pages["assessment"] = client.get("/invest/assessment")
    pages["assessment failed"] = client.post("/invest/assessment", data=WRONG,
                                             follow_redirects=True)
    _back(session, person, assessment_failed_at=24)
    client.post("/invest/assessment", data=ASSESSMENT_ANSWERS)
    pages["invest, cooling-off"] = client.get(f"/invest/{campaign.slug}")
    offering_page = _text(client.get(f"/campaigns/{campaign.slug}"))
    # The founder's words on the offering page are the test data's English: the standing.
    standing = re.search(r'<p[^>]*id="investor-standing"[^>]*>.*?</p>', offering_page, re.S)
    pages["offering, cooling-off"] = standing.group(0)
    pages["risk summary"] = client.get("/invest/risk-summary")
    pages["overview"] = client.get("/invest/")
    assert "这是一项高风险投资" in _text(pages["invest, cooling-off"])
    assert "冷静期" in pages["offering, cooling-off"]
    left = {name: english_left(page if isinstance(page, str) else _text(page), allowed)
            for name, page in pages.items()}
    assert not {name: runs for name, runs in left.items() if runs}, left


def test_bad_answers_are_refused_next_to_their_field(client, auth, session):
    person = investor(income="90000", worth="45000", country="GB", educated=False)
    american = investor()
    session.commit()
    auth.login_as(person)
    response = client.post("/invest/category", data={"category": "professional",
                                                     "confirm": "y"})
    assert response.status_code == 400 and "Not a valid choice" in _text(response)
    response = client.post("/invest/assessment", data={**ASSESSMENT_ANSWERS,
                                                       "dividends": "yes"})
    assert response.status_code == 400 and "Not a valid choice" in _text(response)
    unanswered = {k: v for k, v in ASSESSMENT_ANSWERS.items() if k != "how_much"}
    response = client.post("/invest/assessment", data=unanswered)
    assert response.status_code == 400 and "Answer this question." in _text(response)
    profile = investors.profile_of(person)
    assert (profile.category, profile.assessment_failures) == (None, 0)  # nothing graded
    auth.logout()
    auth.login_as(american)  # the US's rules ask for neither
    assert client.get("/invest/category").location.endswith("/invest/")
    assert client.get("/invest/assessment").location.endswith("/invest/")
