"""The pledge manager's pages: the backer's survey (errors next to their fields, saved,
corrected, locked at shipping with whom to contact), its part of the pledge page, the
founder's page (questions, "shipping") and fulfilment CSV (formula-safe), the operators'
copy; and nobody else's: another backer or another founder gets 404."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from crowdfund.extensions import db
from crowdfund.fulfilment import questions
from crowdfund.fulfilment.models import Survey, SurveyQuestion
from crowdfund.pledges.models import PledgeAddOn
from tests.factories import funded_reward, make_add_on, make_user, surveyed_pledge

ADDRESS = {"recipient_name": "Grace Hopper", "address_line1": "1 Market Street",
           "address_line2": "", "city": "San Francisco", "region": "ca",
           "postal_code": "94105", "phone": ""}


@pytest.fixture
def scene(session):
    campaign = funded_reward(title="Harbour Clock")
    size = questions.add_question(campaign, campaign.founder, campaign.tiers[0].id, "size",
                                  "Which size?", "", True)
    pledge = surveyed_pledge(campaign, make_user(name="Grace Hopper"), country="US")
    session.commit()
    return {"campaign": campaign, "pledge": pledge, "size": size,
            "url": f"/pledges/{pledge.id}/survey"}


def _survey() -> Survey:
    db.session.expire_all()
    return db.session.scalar(sa.select(Survey))


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_the_backer_completes_and_corrects_the_survey(client, auth, scene):
    auth.login_as(scene["pledge"].backer)
    page = client.get(f"/pledges/{scene['pledge'].id}").get_data(as_text=True)
    assert "Complete your survey" in page and "We erase them" in page
    form = client.get(scene["url"]).get_data(as_text=True)
    assert "ZIP code" in form and "Two-letter code, such as CA" in form
    assert 'autocomplete="shipping postal-code"' in form and "Which size?" in form

    refused = client.post(scene["url"], data={**ADDRESS, "postal_code": "941"})
    assert refused.status_code == 400
    text = refused.get_data(as_text=True)
    assert 'id="postal_code-error"' in text and "Enter a ZIP code such as 94103." in text
    assert f'id="q_{scene["size"].id}-error"' in text and "Choose one." in text
    assert _survey().answered_at is None

    saved = client.post(scene["url"], data={**ADDRESS, f"q_{scene['size'].id}": "M"})
    assert saved.status_code == 302 and saved.location == f"/pledges/{scene['pledge'].id}"
    survey = _survey()
    assert (survey.region, survey.answered_at is not None) == ("CA", True)
    page = client.get(saved.location).get_data(as_text=True)
    assert "your survey is complete" in page and "Correct your survey" in page

    client.post(scene["url"], data={**ADDRESS, "city": "Oakland", "postal_code": "94607",
                                    f"q_{scene['size'].id}": "L"})
    assert _survey().city == "Oakland"


def test_after_shipping_the_survey_is_locked_and_says_whom_to_contact(app, client, auth,
                                                                        scene):
    campaign = scene["campaign"]
    auth.login_as(campaign.founder)
    shipped = client.post(f"/studio/{campaign.id}/fulfilment/tiers/{campaign.tiers[0].id}/"
                          "shipping")
    assert shipped.status_code == 302
    auth.logout()
    auth.login_as(scene["pledge"].backer)
    page = client.get(scene["url"]).get_data(as_text=True)
    assert "Your survey is locked" in page and campaign.founder.display_name in page
    assert app.config["SUPPORT_EMAIL"] in page and 'id="survey-form"' not in page
    refused = client.post(scene["url"], data={**ADDRESS, f"q_{scene['size'].id}": "S"})
    assert refused.status_code == 302 and refused.location == scene["url"]
    assert _survey().answered_at is None and _survey().city is None
    assert "This survey can no longer be changed." in client.get(scene["url"]).get_data(
        as_text=True)
    assert "Shipping" in client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)


def test_nobody_else_reaches_a_survey_or_the_fulfilment_pages(client, auth, scene):
    campaign = scene["campaign"]
    tier_id = campaign.tiers[0].id
    auth.login_as(make_user())  # another backer
    assert client.get(scene["url"]).status_code == 404
    assert client.post(scene["url"], data=ADDRESS).status_code == 404
    auth.logout()
    auth.login_as(make_user(name="Another founder"))
    for method, url in (
            ("GET", f"/studio/{campaign.id}/fulfilment"),
            ("GET", f"/studio/{campaign.id}/fulfilment.csv"),
            ("POST", f"/studio/{campaign.id}/fulfilment/tiers/{tier_id}/questions"),
            ("POST", f"/studio/{campaign.id}/fulfilment/tiers/{tier_id}/questions/remove"),
            ("POST", f"/studio/{campaign.id}/fulfilment/tiers/{tier_id}/shipping"),
            ("GET", f"/operators/campaigns/{campaign.id}/fulfilment.csv")):
        expected = 403 if url.startswith("/operators") else 404
        assert client.open(url, method=method, data={
            f"tier{tier_id}-prompt": "Mine?", f"tier{tier_id}-kind": "text",
            "question_id": str(scene["size"].id)}).status_code == expected, url
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyQuestion)) == 1
    assert client.get(f"/pledges/{scene['pledge'].id}").status_code == 404


def test_the_founder_and_operators_export_the_fulfilment_csv_formula_safe(client, auth,
                                                                          session, scene):
    campaign, size = scene["campaign"], scene["size"]
    note = questions.add_question(campaign, campaign.founder, campaign.tiers[0].id, "text",
                                  "Engraving", "", False)
    campaign.tiers[0].title = "@Lamp"
    session.commit()
    auth.login_as(scene["pledge"].backer)
    client.post(scene["url"], data={
        **ADDRESS, "recipient_name": "=HYPERLINK(\"http://x\")", "address_line1": "+1 Main",
        "address_line2": "-2", f"q_{size.id}": "M", f"q_{note.id}": "@SUM(A1)"})
    stranger = surveyed_pledge(campaign, make_user(name="Alan Turing"), country="JP")
    session.commit()
    auth.logout()
    auth.login_as(campaign.founder)
    header, *rows = _csv(client.get(f"/studio/{campaign.id}/fulfilment.csv"))
    assert header[:15] == ["pledge_id", "backer", "recipient", "address_line1",
                           "address_line2", "city", "region", "postal_code", "country",
                           "phone", "reward", "quantity", "add_ons", "survey", "answered_at"]
    assert header[15:] == ["'@Lamp: Which size?", "'@Lamp: Engraving"]
    grace = rows[0]
    assert grace[:13] == [str(scene["pledge"].id), "Grace Hopper",
                          "'=HYPERLINK(\"http://x\")", "'+1 Main", "'-2", "San Francisco",
                          "CA", "94105", "US", "", "'@Lamp", "1", ""]
    assert (grace[13], grace[15], grace[16]) == ("answered", "M", "'@SUM(A1)")
    assert rows[1][:2] == [str(stranger.id), "Alan Turing"] and rows[1][13] == "not answered"
    assert rows[1][8] == "JP" and rows[1][3] == ""
    auth.logout()
    auth.login_as(make_user(operator=True))
    assert "Which size?" in client.get(f"/operators/campaigns/{campaign.id}/fulfilment") \
        .get_data(as_text=True)
    assert _csv(client.get(f"/operators/campaigns/{campaign.id}/fulfilment.csv"))[1] == grace


def test_the_founder_asks_and_removes_questions_and_sees_progress(client, auth, scene):
    campaign = scene["campaign"]
    tier_id = campaign.tiers[0].id
    auth.login_as(campaign.founder)
    page = client.get(f"/studio/{campaign.id}/fulfilment").get_data(as_text=True)
    assert "1 backer to deliver to: 0 answered, 1 not yet." in page
    missing = client.post(f"/studio/{campaign.id}/fulfilment/tiers/{tier_id}/questions",
                          data={f"tier{tier_id}-prompt": "Colour?",
                                f"tier{tier_id}-kind": "colour",
                                f"tier{tier_id}-options": "Red"})
    assert missing.status_code == 400
    assert "Give at least two options, one per line." in missing.get_data(as_text=True)
    added = client.post(f"/studio/{campaign.id}/fulfilment/tiers/{tier_id}/questions",
                        data={f"tier{tier_id}-prompt": "Colour?",
                              f"tier{tier_id}-kind": "colour",
                              f"tier{tier_id}-options": "Red\nBlue"})
    assert added.status_code == 302
    colour = db.session.scalar(sa.select(SurveyQuestion).where(
        SurveyQuestion.prompt == "Colour?"))
    assert colour.options == ["Red", "Blue"] and colour.required is False  # box unticked
    colour_id = colour.id
    client.post(f"/studio/{campaign.id}/fulfilment/tiers/{tier_id}/questions/remove",
                data={"question_id": str(colour_id)})
    db.session.expire_all()
    assert db.session.get(SurveyQuestion, colour_id) is None


def test_the_fulfilment_csv_lists_each_backers_add_ons(client, auth, session, scene):
    campaign, pledge = scene["campaign"], scene["pledge"]
    lens, strap = make_add_on(campaign, name="Extra lens"), make_add_on(campaign, name="Strap")
    session.add_all([PledgeAddOn(pledge_id=pledge.id, add_on_id=lens.id, quantity=2,
                                 unit_price_minor=500),
                     PledgeAddOn(pledge_id=pledge.id, add_on_id=strap.id, quantity=1,
                                 unit_price_minor=500)])
    other = surveyed_pledge(campaign, make_user(name="Alan Turing"), country="JP")
    session.add(PledgeAddOn(pledge_id=other.id, add_on_id=make_add_on(
        campaign, name="=cmd").id, quantity=1, unit_price_minor=500))
    session.commit()
    auth.login_as(campaign.founder)
    header, grace, alan = _csv(client.get(f"/studio/{campaign.id}/fulfilment.csv"))
    assert grace[header.index("add_ons")] == "2 x Extra lens; 1 x Strap"
    assert alan[header.index("add_ons")] == "1 x =cmd"  # not a formula: starts with a digit
