"""The backer's survey after funding (``crowdfund/fulfilment/``): opened when the charge
is collected (real settlement, in-process gateway), answered whole and corrected, locked
once the founder reports the reward shipping, its questions per tier (a required one added
later asks again), and a person's surveys in their archive and erased on closing."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from crowdfund.auth import privacy
from crowdfund.campaigns.states import CampaignKind, CampaignStatus
from crowdfund.community.delivery import report_delivery
from crowdfund.db import utcnow
from crowdfund.errors import DomainError, NotAllowed
from crowdfund.extensions import db
from crowdfund.fulfilment import questions
from crowdfund.fulfilment.models import Survey, SurveyAnswer
from crowdfund.fulfilment.surveys import (
    SurveyRefused,
    answer_survey,
    open_survey,
    survey_of,
    view_of,
)
from crowdfund.money import Money
from crowdfund.pledges import services as pledges
from crowdfund.pledges.models import PledgeStatus
from tests.factories import (
    CARDS,
    PASSWORD,
    ended,
    every_string_containing,
    funded_reward,
    make_campaign,
    make_pledge,
    make_tier,
    make_user,
    pledge_of,
    surveyed_pledge,
)

ADDRESS = {"recipient_name": "Grace Hopper", "address_line1": "1 Market Street",
           "address_line2": "", "city": "San Francisco", "region": "CA",
           "postal_code": "94105", "phone": ""}


def _survey(pledge) -> Survey:
    db.session.expire_all()
    return survey_of(pledge)


def _back(campaign, gw, tier, destination):
    backer = make_user()
    pledge = pledges.start_pledge(backer, campaign, tier, Money(7000, "USD"), destination)
    intent = pledges.ensure_setup_intent(pledge, backer, gw)
    gw.confirm_setup(intent.id, CARDS["ok"])
    pledges.confirm_card(pledge, gw)
    return pledge.id


def test_collecting_the_charge_opens_one_survey_per_reward_pledge(app, session, gw, settler):
    campaign = make_campaign(status=CampaignStatus.LIVE, tiers=0, goal_minor=10_000)
    ships = make_tier(campaign, minimum_minor=5000, ships=True)
    digital = make_tier(campaign, minimum_minor=1000)
    shipped = _back(campaign, gw, ships, "FR")
    downloaded = _back(campaign, gw, digital, None)
    no_reward = _back(campaign, gw, None, None)
    ended(campaign)
    session.commit()
    settler.settle(campaign.id)
    surveys = {s.pledge_id: s for s in db.session.scalars(sa.select(Survey))}
    assert set(surveys) == {shipped, downloaded}
    assert no_reward not in surveys  # no reward, no survey
    assert (surveys[shipped].needs_address, surveys[shipped].country) == (True, "FR")
    assert (surveys[downloaded].needs_address, surveys[downloaded].country) == (False, None)
    latest = campaign.deadline + app.config["FULFILMENT_ADDRESS_MAX_RETENTION"]
    assert abs(surveys[shipped].erase_after - latest) < timedelta(seconds=1)
    # A second collection event (a retry, a replay) opens nothing more.
    open_survey(pledge_of(shipped))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Survey)) == 2


def test_an_equity_commitment_gets_no_survey(session):
    offering = make_campaign(status=CampaignStatus.COLLECTING, kind=CampaignKind.EQUITY)
    pledge = surveyed_pledge(offering, country="US")
    assert survey_of(pledge) is None


def test_the_backer_answers_and_corrects_until_shipping(session):
    campaign = funded_reward()
    pledge = surveyed_pledge(campaign, country="US")
    tier = campaign.tiers[0]
    size = questions.add_question(campaign, campaign.founder, tier.id, "size", "Which size?",
                                  "", True)
    engraving = questions.add_question(campaign, campaign.founder, tier.id, "text",
                                       "Name to engrave", "", False)
    survey = _survey(pledge)
    assert view_of(survey).may_answer and not view_of(survey).answered
    answer_survey(survey, pledge.backer, ADDRESS, {size.id: "M", engraving.id: "Grace"})
    session.commit()
    survey = _survey(pledge)
    assert (survey.city, survey.postal_code) == ("San Francisco", "94105")
    assert view_of(survey).answers == {size.id: "M", engraving.id: "Grace"}

    # A correction: another address, another size, the optional answer left out.
    answer_survey(survey, pledge.backer, {**ADDRESS, "city": "Oakland", "postal_code": "94607"},
                  {size.id: "L"})
    session.commit()
    survey = _survey(pledge)
    assert (survey.city, survey.postal_code) == ("Oakland", "94607")
    assert view_of(survey).answers == {size.id: "L"}

    report_delivery(campaign, campaign.founder, tier.id, "shipping", None, "")
    session.commit()
    survey = _survey(pledge)
    assert view_of(survey).locked and not view_of(survey).may_answer
    with pytest.raises(DomainError, match="This reward is shipping"):
        answer_survey(survey, pledge.backer, {**ADDRESS, "city": "Berkeley"}, {size.id: "S"})
    session.rollback()
    assert _survey(pledge).city == "Oakland"
    # Later statuses (a delay, even) do not unlock it.
    report_delivery(campaign, campaign.founder, tier.id, "delayed",
                    utcnow().date() + timedelta(days=40), "Customs")
    session.commit()
    assert view_of(_survey(pledge)).locked


def test_a_survey_with_a_wrong_field_saves_nothing(session):
    campaign = funded_reward()
    pledge = surveyed_pledge(campaign, country="GB")
    tier = campaign.tiers[0]
    colour = questions.add_question(campaign, campaign.founder, tier.id, "colour", "Colour?",
                                    "Red\nBlue", True)
    session.commit()
    with pytest.raises(SurveyRefused, match="Enter a postcode such as SW1A 1AA.") as refused:
        answer_survey(_survey(pledge), pledge.backer,
                      {**ADDRESS, "postal_code": "94105", "region": ""}, {colour.id: "Green"})
    assert refused.value.errors == {"postal_code": "Enter a postcode such as SW1A 1AA.",
                                    f"q_{colour.id}": "Choose one of the options."}
    session.rollback()
    survey = _survey(pledge)
    assert survey.answered_at is None and survey.address_line1 is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyAnswer)) == 0


def test_only_its_backer_answers_and_only_while_it_is_to_deliver(session):
    campaign = funded_reward()
    pledge = surveyed_pledge(campaign)
    with pytest.raises(NotAllowed, match="This is not your pledge."):
        answer_survey(_survey(pledge), campaign.founder, ADDRESS, {})
    pledge.status = PledgeStatus.REFUNDED
    session.commit()
    with pytest.raises(DomainError, match="no reward to deliver any more"):
        answer_survey(_survey(pledge), pledge.backer, ADDRESS, {})


def test_questions_are_the_founders_and_stay_once_answered(session):
    campaign = funded_reward()
    tier = campaign.tiers[0]
    with pytest.raises(NotAllowed, match="This is not your campaign."):
        questions.add_question(campaign, make_user(), tier.id, "text", "Hi?", "", True)
    with pytest.raises(DomainError, match="at least two options"):
        questions.add_question(campaign, campaign.founder, tier.id, "choice", "Pick", "One",
                               True)
    with pytest.raises(DomainError, match="Write the question"):
        questions.add_question(campaign, campaign.founder, tier.id, "text", " ", "", True)
    size = questions.add_question(campaign, campaign.founder, tier.id, "size", "Size?", "",
                                  True)
    assert size.options == ["XS", "S", "M", "L", "XL", "XXL"]
    pledge = surveyed_pledge(campaign, country="DE")
    answer_survey(_survey(pledge), pledge.backer,
                  {**ADDRESS, "city": "Berlin", "postal_code": "10115", "region": ""},
                  {size.id: "XS"})
    session.commit()
    with pytest.raises(DomainError, match="Backers answered this question already"):
        questions.remove_question(campaign, campaign.founder, tier.id, size.id)
    unanswered = questions.add_question(campaign, campaign.founder, tier.id, "text", "Note?",
                                        "", False)
    questions.remove_question(campaign, campaign.founder, tier.id, unanswered.id)
    session.commit()
    assert [q.id for q in questions.questions_of([tier.id])[tier.id]] == [size.id]


def test_a_required_question_added_later_asks_the_backers_again(session):
    campaign = funded_reward()
    tier = campaign.tiers[0]
    pledge = surveyed_pledge(campaign)
    answer_survey(_survey(pledge), pledge.backer, ADDRESS, {})
    session.commit()
    questions.add_question(campaign, campaign.founder, tier.id, "text", "Gift note?", "",
                           False)
    session.commit()
    assert _survey(pledge).answered_at is not None  # an optional one asks nothing
    required = questions.add_question(campaign, campaign.founder, tier.id, "choice",
                                      "Plug type?", "EU, US, UK", True)
    session.commit()
    survey = _survey(pledge)
    assert (survey.answered_at, survey.round, survey.invited_at) == (None, 2, None)
    assert survey.city == "San Francisco"  # what was sent stays
    answer_survey(survey, pledge.backer, ADDRESS, {required.id: "US"})
    session.commit()
    assert _survey(pledge).answered_at is not None
    report_delivery(campaign, campaign.founder, tier.id, "shipping", None, "")
    session.commit()
    with pytest.raises(DomainError, match="This reward is shipping"):
        questions.add_question(campaign, campaign.founder, tier.id, "text", "Late?", "", True)


def test_a_closed_account_leaves_no_address_or_answer(session):
    campaign = funded_reward()
    backer = make_user(name="Grace Hopper")
    pledge = surveyed_pledge(campaign, backer)
    note = questions.add_question(campaign, campaign.founder, campaign.tiers[0].id, "text",
                                  "Engraving?", "", True)
    answer_survey(_survey(pledge), backer, {**ADDRESS, "address_line1": "77 Lighthouse Lane"},
                  {note.id: "For Ada, with love"})
    session.commit()
    archive = privacy.export(backer)["surveys"]
    assert archive[0]["address_line1"] == "77 Lighthouse Lane"
    assert archive[0]["answers"] == [{"question": "Engraving?", "answer": "For Ada, with love"}]
    privacy.close_account(db.session.get(type(backer), backer.id), PASSWORD)
    session.commit()
    assert every_string_containing(["Lighthouse", "For Ada", "Grace Hopper"]) == []
    assert _survey(pledge).erased_at is not None


def test_another_backers_pledge_has_its_own_survey(session):
    campaign = funded_reward()
    mine, theirs = surveyed_pledge(campaign), surveyed_pledge(campaign)
    assert _survey(mine).id != _survey(theirs).id
    assert survey_of(make_pledge(campaign)) is None  # an active pledge: no survey yet
