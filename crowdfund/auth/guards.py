"""Where two-factor sign-in is asked: before any operator page (operators move money), and
again before sensitive actions when the browser last gave a code a while ago."""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, request, url_for
from flask_login import current_user

from crowdfund.auth import two_factor
from crowdfund.i18n import _


def operator_second_factor():
    """For an operator's request: a redirect to set up or give the second factor, or None
    when this session passed it (or OPERATOR_TWO_FACTOR_REQUIRED is off)."""
    if not current_app.config["OPERATOR_TWO_FACTOR_REQUIRED"]:
        return None
    if not two_factor.enabled(current_user):
        flash(_("Operators move money: set up two-factor sign-in before using the console."),
              "info")
        return redirect(url_for("auth.two_factor_page"))
    if not two_factor.session_passed(current_user):
        return redirect(url_for("auth.verify_second_factor", next=request.full_path))
    return None


def _back() -> str:
    """Where to come back to after giving the code: this page for a GET; for a POST (not
    replayed) the page the form was on."""
    if request.method == "GET":
        return request.full_path
    referrer = urlsplit(request.referrer or "")
    return (referrer.path + (f"?{referrer.query}" if referrer.query else "")) or "/"


def recent_second_factor(view):
    """A sensitive action (refunds, the payout account, a new email address): when the
    account has two-factor sign-in, a code is asked again if this browser last gave one
    longer ago than TWO_FACTOR_FRESH_FOR."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if current_user.is_authenticated and two_factor.enabled(current_user) and \
                not two_factor.session_passed(current_user,
                                              current_app.config["TWO_FACTOR_FRESH_FOR"]):
            flash(_("For this, give a code from your authenticator app again."), "info")
            return redirect(url_for("auth.verify_second_factor", next=_back()))
        return view(*args, **kwargs)
    return wrapped
