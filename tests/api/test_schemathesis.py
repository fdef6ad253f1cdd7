"""Property-based: every operation of the OpenAPI document, called with data generated from
the document (valid and invalid), with a token of each scope and none, answers as the
document says: never a 5xx, a documented status, a documented content type, a body
matching its schema, invalid input refused with a 4xx, an operation that needs a token
refused without one (Schemathesis's checks). Left out: "schema-valid data is accepted",
since a body can match the schema and still break a rule (an amount below the reward's
minimum, a cursor this API never gave): those answer 4xx problems by design."""

from __future__ import annotations

from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from crowdfund.auth.api_tokens import Scope
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.db import utcnow
from crowdfund.extensions import db
from tests.factories import make_add_on, make_campaign, make_pledge, make_user

SCOPES = {"none": (), "read": (Scope.READ,), "pledge": (Scope.PLEDGE,),
          "founder": (Scope.FOUNDER,), "all": tuple(Scope)}


@pytest.fixture
def world(bearer):
    """Something for the generated ids to find: a live campaign with rewards and an
    add-on, its founder, a backer with an active pledge, comments, an update."""
    founder = make_user(verified=True)
    campaign = make_campaign(founder, status=CampaignStatus.LIVE, tiers=2)
    make_add_on(campaign, price_minor=500, limit=10)
    backer = make_user()
    make_pledge(campaign, backer, amount_minor=5000)
    make_campaign(founder, status=CampaignStatus.FUNDED, days_left=0).deadline = (
        utcnow() - timedelta(days=1))
    db.session.commit()
    return {name: bearer(founder if name == "founder" else backer, *scopes)
            if scopes else {} for name, scopes in SCOPES.items()}


EXAMPLES = settings(max_examples=12, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("scope", list(SCOPES))
def test_every_operation_answers_as_documented(app, world, scope):
    """Each operation of the document in turn (Schemathesis's pytest loader does not run
    on this pytest: its hypothesis strategies are used directly)."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:
        @given(case=operation.as_strategy())
        @EXAMPLES
        def check(case):
            case.call_and_validate(headers=world[scope], excluded_checks=[
                positive_data_acceptance])

        check()
