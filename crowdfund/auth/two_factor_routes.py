"""Two-factor pages: turning it on (QR code, first code, recovery codes shown once), new
recovery codes, turning it off, the code asked at sign-in and again before sensitive
actions."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from crowdfund.auth import bp, two_factor
from crowdfund.auth.forms import (
    CodeForm,
    RecoveryCodeForm,
    TurnOffTwoFactorForm,
    TurnOffWithRecoveryCodeForm,
)
from crowdfund.auth.models import User
from crowdfund.auth.signing import PENDING_FOR, PENDING_KEY, home_of, sign_in
from crowdfund.db import utcnow
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.forms import ConfirmForm
from crowdfund.i18n import _, ngettext, refresh
from crowdfund.web import client_ip, form_error, is_safe_next


def _status(exc: DomainError) -> int:
    return 429 if exc.status_code == 429 else 400


def _with_recovery_code() -> bool:
    """``?use=recovery``: the page asks for a recovery code (a full keyboard on phones)
    instead of the app's 6 digits (a number pad). Either field accepts either code."""
    return request.args.get("use") == "recovery"


@bp.get("/account/two-factor")
@login_required
def two_factor_page():
    return render_template(
        "auth/two_factor.html", on=two_factor.enabled(current_user),
        left=two_factor.recovery_codes_left(current_user), confirm=ConfirmForm(),
        code_form=CodeForm(), recovery=_with_recovery_code(),
        off_form=(TurnOffWithRecoveryCodeForm if _with_recovery_code() else
                  TurnOffTwoFactorForm)(),
        required=current_user.is_operator
        and current_app.config["OPERATOR_TWO_FACTOR_REQUIRED"])


@bp.route("/account/two-factor/setup", methods=["GET", "POST"])
@login_required
def two_factor_setup():
    """POST from the two-factor page begins (a new seed); the form here confirms it."""
    form = CodeForm()
    if request.method == "POST" and "code" not in request.form:
        if not ConfirmForm().validate_on_submit():
            return redirect(url_for("auth.two_factor_page"))
        try:
            two_factor.begin_setup(current_user)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "info")
            return redirect(url_for("auth.two_factor_page"))
        db.session.commit()
        return redirect(url_for("auth.two_factor_setup"))
    status = 200
    if form.validate_on_submit():
        try:
            codes = two_factor.confirm_setup(current_user, form.code.data)
        except DomainError as exc:
            db.session.rollback()
            form_error(form, exc)
            status = 400
        else:
            two_factor.mark_session(current_user)
            db.session.commit()
            return render_template("auth/recovery_codes.html", codes=codes, first=True)
    try:
        seed, qr = two_factor.setup_details(current_user)
    except DomainError:
        return redirect(url_for("auth.two_factor_page"))
    return render_template("auth/two_factor_setup.html", form=form, seed=seed, qr=qr), status


@bp.post("/account/two-factor/recovery-codes")
@login_required
def new_recovery_codes():
    form = CodeForm()
    if form.validate_on_submit() and two_factor.enabled(current_user):
        try:
            two_factor.check(current_user, form.code.data, client_ip())
        except DomainError as exc:
            db.session.commit()  # the failed attempt counts
            flash(exc.message, "error")
            return redirect(url_for("auth.two_factor_page"))
        codes = two_factor.new_recovery_codes(current_user)
        db.session.commit()
        return render_template("auth/recovery_codes.html", codes=codes, first=False)
    return redirect(url_for("auth.two_factor_page"))


@bp.post("/account/two-factor/off")
@login_required
def two_factor_off():
    form = TurnOffTwoFactorForm()
    if form.validate_on_submit():
        try:
            two_factor.turn_off(current_user, form.password.data, form.code.data, client_ip())
        except DomainError as exc:
            db.session.commit()  # a failed code counts
            flash(exc.message, "error")
        else:
            db.session.commit()
            flash(_("Two-factor sign-in is off."), "info")
    return redirect(url_for("auth.two_factor_page"))


# --- the code at sign-in, and again --------------------------------------------------------


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    pending = session.get(PENDING_KEY) or {}
    user = db.session.get(User, pending.get("user") or 0) if pending else None
    if user is None or utcnow().timestamp() - pending.get("at", 0) > \
            PENDING_FOR.total_seconds():
        session.pop(PENDING_KEY, None)
        flash(_("Sign in again: the code was not given in time."), "info")
        return redirect(url_for("auth.login"))
    form = (RecoveryCodeForm if _with_recovery_code() else CodeForm)()
    status = 200
    if form.validate_on_submit():
        try:
            kind = two_factor.check(user, form.code.data, client_ip())
        except DomainError as exc:
            db.session.commit()  # the failed attempt counts
            form_error(form, exc)
            status = _status(exc)
        else:
            session.pop(PENDING_KEY, None)
            sign_in(user, remember=pending.get("remember", False))
            two_factor.mark_session(user)
            db.session.commit()
            refresh()  # from now on in the account's language, if it has one
            if kind == "recovery code":
                left = two_factor.recovery_codes_left(user)
                flash(ngettext(
                    "You signed in with a recovery code; %(num)s left. Make new ones on your "
                    "two-factor page if you are running out.",
                    "You signed in with a recovery code; %(num)s left. Make new ones on your "
                    "two-factor page if you are running out.", left), "info")
            return redirect(pending.get("next") or home_of(user))
    return render_template("auth/login_code.html", form=form,
                           recovery=_with_recovery_code()), status


@bp.route("/account/two-factor/verify", methods=["GET", "POST"])
@login_required
def verify_second_factor():
    """A code again (an operator's session that has not given one, or a sensitive action)."""
    form = (RecoveryCodeForm if _with_recovery_code() else CodeForm)()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    status = 200
    if form.validate_on_submit():
        try:
            two_factor.check(current_user, form.code.data, client_ip())
        except DomainError as exc:
            db.session.commit()
            form_error(form, exc)
            status = _status(exc)
        else:
            two_factor.mark_session(current_user)
            db.session.commit()
            target = form.next.data
            return redirect(target if is_safe_next(target) else url_for("main.index"))
    return render_template("auth/login_code.html", form=form, again=True,
                           recovery=_with_recovery_code()), status
