"""Pages of addresses and recovery: register (one answer whether or not the address has an
account), confirm an address, send a new link, change the address, forgot password,
choose a new password with a link."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_required, logout_user

from crowdfund.auth import bp, recovery, services, session_list, tokens
from crowdfund.auth.forms import ChangeEmailForm, EmailForm, NewPasswordForm, RegisterForm
from crowdfund.auth.guards import recent_second_factor
from crowdfund.auth.models import TokenPurpose
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.forms import ConfirmForm
from crowdfund.i18n import _, browser_timezone, ngettext, reader_locale
from crowdfund.web import client_ip, flash_error, form_error, form_status


def _refused(form, exc: DomainError) -> int:
    """Roll back and show ``exc`` on the form; the page's status (400, or 429 when the
    client asked too often)."""
    db.session.rollback()
    form_error(form, exc)
    return 429 if isinstance(exc, recovery.TooManyRequests) else 400


def _then_answer(form, action, endpoint: str, template: str):
    """For a valid ``form``: run ``action``, commit and redirect to ``endpoint`` (one
    answer, whatever the service found). Otherwise ``template`` with the form's errors."""
    status = form_status(form)
    if form.validate_on_submit():
        try:
            action()
        except DomainError as exc:
            status = _refused(form, exc)
        else:
            db.session.commit()
            return redirect(url_for(endpoint))
    return render_template(template, form=form), status


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegisterForm()
    # The same answer whether the address was free or already had an account. The new
    # account keeps the language this page is read in and the browser's time zone: its
    # emails are written in them.
    return _then_answer(form, lambda: recovery.register(
        form.email.data, form.password.data, form.display_name.data, client_ip(),
        locale=reader_locale(), timezone=browser_timezone()),
        "auth.registered", "auth/register.html")


@bp.get("/register/sent")
def registered():
    return render_template("auth/sent.html", heading=_("Check your inbox"), text=_(
        "We sent a message to the address you gave. Open the link in it within 24 hours to "
        "confirm your address; then sign in and you can back campaigns, invest, comment "
        "and start your own. Nothing arrived? Look in your spam folder, or ask for a new "
        "link from the banner once you are signed in."))


@bp.route("/account/confirm/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    """A confirmation link. Opening it shows a button (mail scanners open links: only a
    person's click confirms)."""
    form = ConfirmForm()
    try:
        tokens.find(token, TokenPurpose.VERIFY_EMAIL)
        if form.validate_on_submit():
            user = recovery.confirm_email(token)
        else:
            return render_template("auth/confirm.html", form=form)
    except DomainError as exc:
        db.session.rollback()
        return render_template("auth/link_invalid.html", message=exc.message), 400
    db.session.commit()
    if current_user.is_authenticated and current_user.id == user.id:
        flash(_("Your email address %(email)s is confirmed.", email=user.email), "success")
        return redirect(url_for("main.index"))
    flash(_("Your email address %(email)s is confirmed. Sign in to continue.",
            email=user.email), "success")
    return redirect(url_for("auth.login"))


@bp.post("/account/confirm")
@login_required
def resend_confirmation():
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("main.index"))
    try:
        sent = recovery.resend_confirmation(current_user, client_ip())
    except DomainError as exc:
        db.session.rollback()
        flash_error(exc)
        return redirect(url_for("main.index"))
    db.session.commit()
    if sent:
        flash(_("We sent a new link to %(email)s.", email=current_user.email), "success")
    else:
        flash(_("We have sent several links this hour: look for them in your inbox and spam "
                "folder, or try again later."), "info")
    return redirect(url_for("main.index"))


@bp.route("/account/email", methods=["GET", "POST"])
@login_required
@recent_second_factor
def change_email():
    form = ChangeEmailForm()
    status = form_status(form)
    if form.validate_on_submit():
        try:
            email = recovery.request_email_change(current_user, form.email.data,
                                                  form.password.data, client_ip())
        except DomainError as exc:
            status = _refused(form, exc)
        else:
            db.session.commit()
            flash(_("We sent a link to %(email)s. Your address changes when you open it "
                    "(within 24 hours); until then we keep writing to your current one.",
                    email=email), "success")
            return redirect(url_for("auth.profile"))
    return render_template("auth/email.html", form=form), status


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    form = EmailForm()
    # The same answer whether or not an account has this address.
    return _then_answer(form, lambda: recovery.request_password_reset(form.email.data,
                                                                      client_ip()),
                        "auth.reset_sent", "auth/forgot.html")


@bp.get("/password/forgot/sent")
def reset_sent():
    return render_template("auth/sent.html", heading=_("Check your inbox"), text=_(
        "If an account has this address, we sent it a link to choose a new password. The "
        "link works once, for one hour. Nothing arrived? Look in your spam folder, or ask "
        "again in a few minutes."))


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    form = NewPasswordForm()
    try:
        tokens.find(token, TokenPurpose.RESET_PASSWORD)
    except DomainError as exc:
        return render_template("auth/link_invalid.html", message=exc.message), 400
    status = form_status(form)
    if form.validate_on_submit():
        try:
            user, _ended = recovery.reset_password(token, form.password.data)
        except tokens.LinkInvalid as exc:
            db.session.rollback()
            return render_template("auth/link_invalid.html", message=exc.message), 400
        except DomainError as exc:
            status = _refused(form, exc)
        else:
            db.session.commit()
            if current_user.is_authenticated:
                logout_user()  # this browser's session ended with the others
            flash(_("Your new password is saved, and every browser that was signed in is "
                    "signed out. Sign in with it as %(email)s.", email=user.email), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form), status


@bp.get("/account/sessions")
@login_required
def sessions():
    return render_template("auth/sessions.html", sessions=session_list.live_sessions(
        current_user), confirm=ConfirmForm())


@bp.post("/account/sessions/<int:session_id>/end")
@login_required
def end_session(session_id: int):
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("auth.sessions"))
    mine = any(s.id == session_id and s.current
               for s in session_list.live_sessions(current_user))
    try:
        session_list.end_own_session(current_user, session_id)
    except DomainError as exc:
        db.session.rollback()
        flash_error(exc)
        return redirect(url_for("auth.sessions"))
    db.session.commit()
    if mine:
        logout_user()
        flash(_("You are signed out."), "info")
        return redirect(url_for("main.index"))
    flash(_("That session is ended: whoever holds it is signed out."), "success")
    return redirect(url_for("auth.sessions"))


@bp.post("/account/sessions/end-others")
@login_required
def end_other_sessions():
    if ConfirmForm().validate_on_submit():
        ended = services.end_sessions(current_user, "ended by its owner",
                                      keep_token=current_user.session_token)
        db.session.commit()
        flash(ngettext("Signed out everywhere else (%(num)s session).",
                       "Signed out everywhere else (%(num)s sessions).", ended), "success")
    return redirect(url_for("auth.sessions"))
