"""Every status the document promises for an operation was answered by some test of this
folder (recorded by tests/api/conftest.py): a documented status no test reaches is either
wrong in the document or untested. Named to run last in the folder; run alone, or with
part of the folder, it has nothing to compare and says so."""

from __future__ import annotations

from pathlib import Path

import pytest

from crowdfund.api.docs import document
from tests.api.conftest import ANSWERED

FOLDER = Path(__file__).parent


def test_every_documented_status_was_answered_by_some_test(app, request):
    ran = {item.path.name for item in request.session.items if item.path.parent == FOLDER}
    every = {path.name for path in FOLDER.glob("test_*.py")}
    if ran != every:
        pytest.skip("compares only when every test of tests/api runs (make test does)")
    with app.test_request_context():
        paths = document()["paths"]
    promised = {(method, path, int(status))
                for path, item in paths.items() for method, operation in item.items()
                if method in ("get", "post", "put", "patch", "delete")
                for status in operation.get("responses", {}) if status != "default"}
    missing = sorted(promised - ANSWERED)
    assert not missing, "documented but never answered in tests/api:\n" + "\n".join(
        f"  {method.upper()} {path} -> {status}" for method, path, status in missing)
