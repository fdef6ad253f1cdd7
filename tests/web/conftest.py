"""Fixtures of the studio's page tests: a signed-in founder and their unfinished draft."""

import pytest

from tests.factories import make_campaign, make_user


@pytest.fixture
def founder(session, auth):
    """A signed-in person (a founder once they start a draft)."""
    user = make_user(name="Founder")
    session.commit()
    auth.login_as(user)
    return user


@pytest.fixture
def draft(session, founder):
    """The signed-in founder's draft, with nothing filled in beyond what creating it needs."""
    campaign = make_campaign(founder, ready=False)
    session.commit()
    return campaign
