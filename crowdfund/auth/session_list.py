"""A person's signed-in browsers, as they see them on "Your sessions": which device, from
where, last seen when; any of them can be ended (server-side: the cookie it holds stops
working at once)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from crowdfund.auth.models import User, UserSession
from crowdfund.auth.services import _token_hash
from crowdfund.db import utcnow
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.i18n import _

_BROWSERS = [("Edge", r"Edg/"), ("Opera", r"OPR/"), ("Firefox", r"Firefox/"),
             ("Chrome", r"Chrom(e|ium)/"), ("Safari", r"Safari/"), ("curl", r"curl/")]
_SYSTEMS = [("Android", r"Android"), ("iPhone", r"iPhone"), ("iPad", r"iPad"),
            ("Windows", r"Windows"), ("macOS", r"Mac OS X|Macintosh"), ("Linux", r"Linux"),
            ("ChromeOS", r"CrOS")]


def describe_device(user_agent: str) -> str:
    """"Firefox on Windows", from a browser's User-Agent (or "Unknown browser"), in the
    reader's language."""
    browser = next((name for name, pattern in _BROWSERS if re.search(pattern, user_agent)),
                   None)
    system = next((name for name, pattern in _SYSTEMS if re.search(pattern, user_agent)),
                  None)
    if browser and system:
        # TRANSLATORS: a signed-in device: "Firefox on Windows".
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    return browser or system or _("Unknown browser")


@dataclass(frozen=True)
class SessionView:
    id: int
    device: str
    ip: str
    started: datetime
    last_seen: datetime
    current: bool


def live_sessions(user: User) -> list[SessionView]:
    """The user's sessions that still work, the most recently used first."""
    since = utcnow() - current_app.config["REMEMBER_COOKIE_DURATION"]
    mine = _token_hash(user.session_token) if user.session_token else None
    rows = db.session.scalars(sa.select(UserSession).where(
        UserSession.user_id == user.id, UserSession.revoked_at.is_(None),
        UserSession.last_seen_at >= since).order_by(UserSession.last_seen_at.desc()))
    return [SessionView(row.id, describe_device(row.user_agent), row.ip or _("unknown"),
                        row.created_at, row.last_seen_at, row.token_hash == mine)
            for row in rows]


def end_own_session(user: User, session_id: int) -> None:
    """End one of the user's own sessions (another person's does not exist for them)."""
    ended = db.session.execute(sa.update(UserSession).where(
        UserSession.id == session_id, UserSession.user_id == user.id,
        UserSession.revoked_at.is_(None)).values(revoked_at=utcnow(),
                                                 revoked_reason="ended by its owner")).rowcount
    if not ended:
        raise DomainError(_("That session has already ended."))
