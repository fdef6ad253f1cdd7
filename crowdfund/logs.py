"""Logging configured in one place, for web servers and workers alike: every line carries
the request id (or the job and item a worker is on), as text or as JSON lines
(``LOG_FORMAT=json``). Card data, tokens and links that sign someone in are never logged:
log ids, not payloads."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import uuid

from flask import Flask, g, has_request_context, request

from crowdfund.config import ConfigError

#: What a worker is doing (``"settle campaign 12"``), set around each job or task.
current_work: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "crowdfund_current_work", default=None)

#: A request id a client or proxy sent is kept if it looks like one; otherwise we make one.
_GOOD_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_HANDLER_MARK = "_crowdfund_handler"


class ContextFilter(logging.Filter):
    """Adds ``request_id`` (the request's, or the work a worker is on, or "-")."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context() and "request_id" in g:
            record.request_id = g.request_id
        else:
            record.request_id = current_work.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, request_id, message (and the
    exception's traceback as text when there is one)."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
                "level": record.levelname, "logger": record.name,
                "request_id": getattr(record, "request_id", "-"),
                "message": record.getMessage()}
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


#: Paths whose last part is a secret (an emailed link's token): what access logs show of
#: them ends in "[redacted]" (``redact``).
_SECRET_PATHS = re.compile(r"(/account/confirm/|/password/reset/)[^\s?#\"']+")


def redact(text: str) -> str:
    """``text`` with the token of every emailed-link path replaced."""
    return _SECRET_PATHS.sub(r"\1[redacted]", text)


class RedactFilter(logging.Filter):
    """For request lines written by servers (werkzeug's development server): the message
    is formatted here, with the links' tokens redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def configure(log_format: str = "text", level: str = "INFO") -> logging.Handler:
    """Our handler on the ``crowdfund`` logger (once per process: a second call replaces
    it), with the request id on every line."""
    logger = logging.getLogger("crowdfund")
    for handler in list(logger.handlers):
        if getattr(handler, _HANDLER_MARK, False):
            logger.removeHandler(handler)
    handler = logging.StreamHandler()
    setattr(handler, _HANDLER_MARK, True)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json"
                         else logging.Formatter(TEXT_FORMAT))
    logger.addHandler(handler)
    logger.setLevel(level.upper())
    logger.propagate = False
    return handler


def init_app(app: Flask) -> None:
    """Configure logging from ``LOG_FORMAT``/``LOG_LEVEL``, give every request an id
    (``X-Request-ID`` kept when sane) and send it back in the response."""
    if app.config["LOG_FORMAT"] not in ("text", "json"):
        raise ConfigError("LOG_FORMAT must be text or json.")
    configure(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
    werkzeug_log = logging.getLogger("werkzeug")
    if not any(isinstance(f, RedactFilter) for f in werkzeug_log.filters):
        werkzeug_log.addFilter(RedactFilter())

    @app.before_request
    def _request_id() -> None:
        sent = request.headers.get("X-Request-ID", "")
        g.request_id = sent if _GOOD_ID.match(sent) else uuid.uuid4().hex

    @app.after_request
    def _echo_request_id(response):
        # A page served from the page cache skipped the hook above: it gets an id too.
        response.headers["X-Request-ID"] = g.get("request_id") or uuid.uuid4().hex
        return response
