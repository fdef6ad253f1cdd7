"""Which emails a person gets: their choices page, and unsubscribing from a message's link
without signing in (a page with a button, or one click from the mail client)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import BooleanField

from crowdfund.auth import bp, email_choices
from crowdfund.errors import DomainError
from crowdfund.extensions import csrf, db
from crowdfund.forms import BaseForm
from crowdfund.i18n import _


def _choices_form():
    class ChoicesForm(BaseForm):
        pass

    for category in email_choices.CATEGORIES.values():
        setattr(ChoicesForm, category.name, BooleanField(category.label))
    return ChoicesForm


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def notifications():
    form_cls = _choices_form()
    form = form_cls(data={name: email_choices.wants(current_user, name)
                          for name in email_choices.CATEGORIES}) \
        if request.method == "GET" else form_cls()
    if form.validate_on_submit():
        email_choices.choose(current_user, {name: getattr(form, name).data
                                            for name in email_choices.CATEGORIES})
        db.session.commit()
        flash(_("Your email choices are saved."), "success")
        return redirect(url_for("auth.notifications"))
    return render_template("auth/notifications.html", form=form,
                           categories=email_choices.CATEGORIES.values())


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed token is the authority: mail clients POST it with one click
def unsubscribe(token: str):
    """GET shows what the link stops, with a button; POST (that button, or the mail
    client's one-click List-Unsubscribe-Post) stops it. No sign-in needed."""
    try:
        if request.method == "POST":
            user, category = email_choices.unsubscribe(token)
            db.session.commit()
            return render_template("auth/unsubscribed.html", category=category, done=True,
                                   email=user.email)
        user, category = email_choices.read_token(token)
    except DomainError as exc:
        db.session.rollback()
        return render_template("auth/link_invalid.html", message=exc.message), 400
    return render_template("auth/unsubscribed.html", category=category, done=False,
                           email=user.email, token=token)
