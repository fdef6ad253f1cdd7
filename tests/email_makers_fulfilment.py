"""The makers of the pledge manager's emails (the survey after funding) for Chinese
readers, registered in ``tests.email_makers.MAKERS`` when imported; see
``tests/services/test_every_email_in_chinese.py``."""

from __future__ import annotations

from crowdfund.campaigns.models import ShippingRate
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.extensions import db
from crowdfund.fulfilment.models import Survey
from crowdfund.fulfilment.surveys import open_survey
from crowdfund.notifications import fulfilment_emails
from crowdfund.pledges.models import PledgeStatus
from tests.email_makers import _pledge, _queued, _reward, maker


def _surveys() -> list[Survey]:
    """A collected backer's survey of a reward that ships to China, and of one that does
    not ship (questions only)."""
    found = []
    for ships in (True, False):
        campaign = _reward(CampaignStatus.COLLECTING)
        tier = campaign.tiers[0]
        tier.ships = ships
        if ships:
            tier.shipping_rates.append(ShippingRate(destination="ROW", fee_minor=1_500))
        pledge = _pledge(campaign, PledgeStatus.COLLECTED)
        pledge.destination = "CN" if ships else None
        open_survey(pledge)
        db.session.flush()
        found.append(db.session.query(Survey).filter_by(pledge_id=pledge.id).one())
    return found


@maker("fulfilment_emails.survey_invitation")
def _survey_invitation():
    """An address and questions, an address only, questions only; asked again (round 2)."""
    shipped, digital = _surveys()
    _queued(fulfilment_emails.survey_invitation(shipped.pledge, shipped, True))
    _queued(fulfilment_emails.survey_invitation(digital.pledge, digital, True))
    shipped.round = 2
    _queued(fulfilment_emails.survey_invitation(shipped.pledge, shipped, True))
    alone, _ = _surveys()
    _queued(fulfilment_emails.survey_invitation(alone.pledge, alone, False))


@maker("fulfilment_emails.survey_reminder")
def _survey_reminder():
    """The first and the last reminder, with and without an address."""
    for survey in _surveys():
        for number, last in ((1, False), (3, True)):
            _queued(fulfilment_emails.survey_reminder(survey.pledge, survey, True, number,
                                                      last))
