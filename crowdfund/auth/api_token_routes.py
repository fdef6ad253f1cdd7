"""The account page of API tokens: make one (its secret shown once), revoke one."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from wtforms import RadioField, SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Length

from crowdfund.auth import api_tokens, bp
from crowdfund.auth.api_tokens import LIFETIMES, Scope
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.forms import BaseForm, ConfirmForm, choices
from crowdfund.i18n import _, _l, ngettext
from crowdfund.web import form_error, form_status


class TokenForm(BaseForm):
    """Name, scopes and lifetime of a new token."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=60)],
                       description=_l("What the token is for, e.g. “My phone”."))
    scopes = SelectMultipleField(
        _l("What it may do"), choices=choices([(s.value, s.value) for s in Scope]),
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput())
    days = RadioField(_l("Works for"), default=str(LIFETIMES[1]),
                      choices=choices([(str(d), str(d)) for d in LIFETIMES]))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Labels made per request: the reader's language.
        self.scopes.choices = choices([(s.value, s.label) for s in Scope])
        self.days.choices = choices([(str(d), ngettext("%(num)s day", "%(num)s days", d))
                                     for d in LIFETIMES])


def _page(form: TokenForm, status: int = 200, secret: str | None = None):
    return render_template("auth/api_tokens.html", form=form, secret=secret,
                           tokens=api_tokens.tokens_of(current_user),
                           confirm=ConfirmForm()), status


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def api_token_list():
    form = TokenForm()
    if form.validate_on_submit():
        try:
            _token, secret = api_tokens.create_token(
                current_user, form.name.data, [Scope(s) for s in form.scopes.data or []],
                int(form.days.data))
        except DomainError as exc:
            db.session.rollback()
            form_error(form, exc)
            return _page(form, exc.status_code)
        db.session.commit()
        # Shown on this answer only (never stored, never in a redirect's session).
        page, status = _page(TokenForm(formdata=None), 201, secret)
        return page, status, {"Cache-Control": "no-store"}
    return _page(form, form_status(form))


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_api_token(token_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    token = api_tokens.revoke_token(current_user, token_id)
    if token is None:
        abort(404)
    db.session.commit()
    flash(_("The token “%(name)s” is revoked: it no longer works.", name=token.name),
          "success")
    return redirect(url_for("auth.api_token_list"))
