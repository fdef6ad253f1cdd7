"""Investor profile and education pages."""

import sqlalchemy as sa

from crowdfund.equity import investors
from crowdfund.equity.models import InvestorProfile
from tests.factories import make_user


def test_profile_then_education_then_the_limit(app, client, auth, session):
    user = make_user()
    session.commit()
    assert client.get("/invest/").status_code == 302  # sign in first
    auth.login_as(user)
    assert "Before your first investment" in client.get("/invest/").get_data(as_text=True)
    response = client.post("/invest/profile", data={"jurisdiction": "US",
                                                    "annual_income": "forty thousand",
                                                    "net_worth": "30000"})
    assert response.status_code == 400
    assert "Enter an amount such as 25" in response.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(InvestorProfile)) == 0
    response = client.post("/invest/profile", data={"jurisdiction": "US",
                                                    "annual_income": "40,000",
                                                    "net_worth": "30000"})
    assert response.status_code == 302 and "/invest/education" in response.location
    page = client.get("/invest/education").get_data(as_text=True)
    assert "lose all of the money" in page and investors.EDUCATION_VERSION in page
    wrong = {name: "yes" for name, _q, _r in investors.QUIZ} | {"accept": "y"}
    response = client.post("/invest/education", data=wrong)
    assert response.status_code == 400 and "not right" in response.get_data(as_text=True)
    # Each wrong answer is marked beside its question, and only those.
    html = response.get_data(as_text=True)
    wrong_names = [name for name, _q, r in investors.QUIZ if r != "yes"]
    assert html.count("Not right: see the text above.") == len(wrong_names) > 0
    assert f"{len(wrong_names)} answer" in html
    right = {name: r for name, _q, r in investors.QUIZ} | {"accept": "y"}
    assert client.post("/invest/education", data=right).status_code == 302
    page = client.get("/invest/").get_data(as_text=True)
    assert ("Your limit for the next 12 months is $2,500.00; you have $0.00 committed; "
            "you can invest up to $2,500.00.") in page
    assert "version " + investors.EDUCATION_VERSION in page
