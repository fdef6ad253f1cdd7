"""gunicorn.conf.py: web workers replaced rarely, each at its own time."""

import runpy
from pathlib import Path

CONF = str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py")


def test_workers_are_replaced_rarely_with_a_jitter(monkeypatch):
    monkeypatch.delenv("GUNICORN_MAX_REQUESTS", raising=False)
    monkeypatch.delenv("GUNICORN_MAX_REQUESTS_JITTER", raising=False)
    settings = runpy.run_path(CONF)
    assert settings["max_requests"] == 100_000
    assert settings["max_requests_jitter"] == 20_000


def test_the_restart_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("GUNICORN_MAX_REQUESTS", "50000")
    monkeypatch.delenv("GUNICORN_MAX_REQUESTS_JITTER", raising=False)
    assert runpy.run_path(CONF)["max_requests_jitter"] == 10_000
    monkeypatch.setenv("GUNICORN_MAX_REQUESTS_JITTER", "7000")
    settings = runpy.run_path(CONF)
    assert (settings["max_requests"], settings["max_requests_jitter"]) == (50_000, 7000)
