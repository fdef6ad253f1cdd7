"""Fixtures of the API tests: an app context for the factories, and tokens."""

from __future__ import annotations

import re

import pytest
from flask import request, request_finished

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


#: (method, path as the document writes it, status) of every API answer in this session:
#: tests/api/test_zz_statuses.py checks each documented status was answered by some test.
ANSWERED: set[tuple[str, str, int]] = set()


@pytest.fixture(scope="session", autouse=True)
def _record_answers(app):
    def record(sender, response, **_extra):
        rule = request.url_rule
        if rule is not None and rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
            ANSWERED.add((request.method.lower(), path, response.status_code))

    request_finished.connect(record, app)
    yield
    request_finished.disconnect(record, app)
