"""Settings of the JSON API (crowdfund/api/, docs/api.md)."""

from __future__ import annotations

import os


class ApiSettings:
    #: Requests per token (or per client address, for reads without a token), and per
    #: client address whatever the token: Flask-Limiter's notation. Over it: 429 with
    #: Retry-After.
    API_RATE_LIMIT = "300 per minute"
    API_CLIENT_RATE_LIMIT = "1200 per minute"
    #: Where the counts live: every web server must share them, so production uses the
    #: Redis it already runs (``RATELIMIT_STORAGE_URI``, else ``CELERY_BROKER_URL``);
    #: "memory://" counts per process (``make run``: one process).
    RATELIMIT_STORAGE_URI: str | None = None
    #: Web origins whose pages may call the API from a browser (CORS); none by default.
    API_CORS_ORIGINS: tuple[str, ...] = ()

    @classmethod
    def api_from_environment(cls) -> dict:
        values: dict = {}
        for name in ("API_RATE_LIMIT", "API_CLIENT_RATE_LIMIT", "RATELIMIT_STORAGE_URI"):
            if os.environ.get(name):
                values[name] = os.environ[name]
        if origins := os.environ.get("API_CORS_ORIGINS"):
            values["API_CORS_ORIGINS"] = tuple(
                o.strip().rstrip("/") for o in origins.split(",") if o.strip())
        return values
