"""Account pages: register, sign in and out, password, profile, public founder page."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required, logout_user

from crowdfund.auth import bp, services, two_factor
from crowdfund.auth.forms import ChangePasswordForm, LoginForm, ProfileForm
from crowdfund.auth.models import User
from crowdfund.auth.signing import home_of, sign_in, start_second_step
from crowdfund.db import end_request
from crowdfund.errors import DomainError
from crowdfund.extensions import db, login_manager
from crowdfund.i18n import _, ngettext, refresh
from crowdfund.locking import write_transaction
from crowdfund.web import client_ip, form_error, form_status, is_safe_next


@login_manager.user_loader
def load_user(token: str) -> User | None:
    """The session cookie and the remember cookie carry a session token: a revoked or
    unknown one signs the browser out."""
    found = services.session_user(token)
    if found is None:
        return None
    user, stale_session_id = found
    if stale_session_id is not None:
        g.touch_session_id = stale_session_id
    return user


@bp.after_app_request
def _touch_session(response):
    """Write "last seen" after the view, in a transaction of its own: never in the middle
    of a view's work (whose commit it would otherwise take part in)."""
    session_id = g.pop("touch_session_id", None)
    if session_id is not None and response.status_code < 500:
        end_request(db.session(), None)  # a read-only transaction ends with COMMIT
        db.session.rollback()  # whatever the view left uncommitted is not ours to commit
        write_transaction()  # a GET's transaction reads only (SQLite: no write lock)
        services.touch_session(session_id)
        db.session.commit()
    return response


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(home_of(current_user))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    status = 200
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data, client_ip())
        except DomainError as exc:
            db.session.commit()  # keep the failed attempt: it is what the limit counts
            form.form_errors.append(exc.message)
            status = exc.status_code
        else:
            target = form.next.data
            if two_factor.enabled(user):
                db.session.commit()  # the attempt is kept; the session starts after the code
                return start_second_step(user, form.remember.data, target)
            sign_in(user, remember=form.remember.data)
            refresh()  # from now on in the account's language, if it has one
            flash(_("Signed in as %(name)s.", name=user.display_name), "success")
            return redirect(target if is_safe_next(target) else home_of(user))
    elif form.is_submitted():
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    services.end_session(current_user.session_token)
    db.session.commit()
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("main.index"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            ended = services.change_password(current_user, form.current_password.data,
                                             form.password.data)
        except DomainError as exc:
            db.session.rollback()
            form_error(form, exc)
        else:
            db.session.commit()
            flash(ngettext("Your password has been changed. You were signed out everywhere "
                           "else (%(num)s other session).",
                           "Your password has been changed. You were signed out everywhere "
                           "else (%(num)s other sessions).", ended)
                  if ended else _("Your password has been changed."), "success")
            return redirect(url_for("auth.profile"))
    status = form_status(form)
    return render_template("auth/password.html", form=form), status


@bp.route("/account/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user if request.method == "GET" else None)
    if request.method == "GET":
        for entry, link in zip(form.links.entries, current_user.links or [], strict=False):
            entry.data = link
    if form.validate_on_submit():
        services.update_profile(
            current_user,
            display_name=form.display_name.data,
            bio=form.bio.data or "",
            location=form.location.data or "",
            links=[e.data for e in form.links.entries],
        )
        db.session.commit()
        flash(_("Your profile is saved."), "success")
        return redirect(url_for("auth.profile"))
    status = form_status(form)
    return render_template("auth/profile.html", form=form), status
