"""Health checks for load balancers, and logs that carry the request id."""

import io
import json
import logging
import socket

import pytest

from crowdfund import create_app, logs
from tests.factories import count_queries


def test_healthz_answers_without_the_database(app, client):
    with count_queries(app) as statements:
        response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}
    assert statements == []


def test_readyz_checks_the_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["status"] == "ready" and response.json["checks"] == {"database": "ok"}


def test_readyz_is_503_when_the_database_does_not_answer(tmp_path):
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI":
                      f"sqlite:///{tmp_path / 'missing' / 'folder' / 'db.sqlite3'}"})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "not ready"
    assert response.json["checks"]["database"] != "ok"


@pytest.fixture
def silent_broker():
    """A port that accepts connections and never answers (a broker that hangs)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    server.close()


def test_readyz_is_503_when_the_broker_is_down_or_hangs(app, client, silent_broker):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    app.config["READY_TIMEOUT_SECONDS"] = 0.5
    try:
        for url in (f"redis://127.0.0.1:{port}/0", silent_broker):
            app.config["CELERY_BROKER_URL"] = url
            response = client.get("/readyz")
            assert response.status_code == 503, url
            assert response.json["checks"]["database"] == "ok"
            assert response.json["checks"]["broker"] != "ok"
    finally:
        app.config["CELERY_BROKER_URL"] = None
        app.config["READY_TIMEOUT_SECONDS"] = 2.0


def test_every_response_says_its_request_id(client):
    kept = client.get("/healthz", headers={"X-Request-ID": "lb-1234abcd"})
    assert kept.headers["X-Request-ID"] == "lb-1234abcd"
    junk = client.get("/healthz", headers={"X-Request-ID": "<script>"})
    assert junk.headers["X-Request-ID"] != "<script>" and len(junk.headers["X-Request-ID"]) == 32
    assert client.get("/healthz").headers["X-Request-ID"] != junk.headers["X-Request-ID"]


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_log_lines_carry_the_request_id_or_the_work_in_hand(app, log_format):
    handler = logs.configure(log_format)
    buffer = io.StringIO()
    handler.setStream(buffer)
    try:
        with app.test_request_context("/", headers={"X-Request-ID": "req-0001abcd"}):
            app.preprocess_request()
            logging.getLogger("crowdfund.test").warning("charging pledge %s", 7)
        token = logs.current_work.set("settle campaign 12")
        try:
            logging.getLogger("crowdfund.test").warning("batch done")
        finally:
            logs.current_work.reset(token)
    finally:
        logs.configure(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
    first, second = buffer.getvalue().splitlines()
    if log_format == "json":
        first, second = json.loads(first), json.loads(second)
        assert (first["request_id"], first["message"], first["level"]) == (
            "req-0001abcd", "charging pledge 7", "WARNING")
        assert second["request_id"] == "settle campaign 12"
    else:
        assert "[req-0001abcd] charging pledge 7" in first
        assert "[settle campaign 12] batch done" in second


def test_an_unknown_log_format_is_refused(tmp_path):
    from crowdfund.config import ConfigError

    with pytest.raises(ConfigError, match="LOG_FORMAT"):
        create_app({"ENV_NAME": "testing", "LOG_FORMAT": "xml",
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}"})
