"""Signing a browser in: a server-side session first (committed), then the cookies; or,
for an account with two-factor sign-in, the password step remembered for a few minutes
while the code is asked."""

from __future__ import annotations

from datetime import timedelta

from flask import redirect, request, session, url_for
from flask_login import login_user

from crowdfund.auth import services
from crowdfund.auth.models import User
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.web import client_ip, is_safe_next

#: How long the password step of a sign-in waits for its code.
PENDING_FOR = timedelta(minutes=5)
PENDING_KEY = "second_factor_pending"


def sign_in(user: User, remember: bool = False) -> None:
    """Start a server-side session (committed), then set the cookies."""
    services.start_session(user, client_ip(), request.headers.get("User-Agent", ""))
    db.session.commit()
    login_user(user, remember=remember)


def home_of(user: User) -> str:
    """Where a signed-in person starts: operators at their console, everyone else home."""
    return url_for("operators.index") if user.is_operator else url_for("main.index")


def start_second_step(user: User, remember: bool, target: str):
    """The password was right and the account has two-factor sign-in: remember who (in
    the signed session cookie) and ask for the code."""
    session[PENDING_KEY] = {"user": user.id, "at": utcnow().timestamp(),
                            "remember": bool(remember),
                            "next": target if is_safe_next(target) else ""}
    return redirect(url_for("auth.login_code"))
