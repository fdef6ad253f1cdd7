"""Fixtures of the API tests: an app context for the factories, and tokens."""

from __future__ import annotations

import pytest

from crowdfund.auth.api_tokens import Scope, create_token
from crowdfund.extensions import db


@pytest.fixture(autouse=True)
def _context(session):
    """Factories and services run in an app context (the client's requests get their own)."""
    return session


@pytest.fixture
def bearer():
    """``bearer(user, *scopes)``: the Authorization header of a new token of ``user``."""
    def make(user, *scopes: Scope, days: int = 30) -> dict[str, str]:
        _token, secret = create_token(user, "test", list(scopes or Scope), days)
        db.session.commit()
        return {"Authorization": f"Bearer {secret}"}
    return make
