"""Privacy pages: download everything about me (JSON), and close my account (after being
told what happens to open pledges and what is kept, and why)."""

from __future__ import annotations

import json

from flask import Response, flash, redirect, render_template, url_for
from flask_login import current_user, login_required, logout_user
from wtforms import PasswordField
from wtforms.validators import DataRequired, Length

from crowdfund.auth import bp, privacy
from crowdfund.auth.guards import recent_second_factor
from crowdfund.auth.passwords import MAX_LENGTH
from crowdfund.db import utcnow
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.forms import BaseForm, ConfirmForm
from crowdfund.i18n import _, _l
from crowdfund.storage import storage
from crowdfund.web import form_error


class CloseAccountForm(BaseForm):
    password = PasswordField(_l("Your password"), validators=[DataRequired(),
                                                              Length(max=MAX_LENGTH)])


@bp.get("/account/data")
@login_required
def my_data():
    return render_template("auth/my_data.html", confirm=ConfirmForm(), form=CloseAccountForm(),
                           blockers=privacy.blockers(current_user),
                           consequences=privacy.consequences(current_user),
                           kept=privacy.KEPT)


@bp.post("/account/data/download")
@login_required
def download_data():
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("auth.my_data"))
    archive = privacy.export(current_user)
    body = json.dumps(archive, indent=2, ensure_ascii=False, sort_keys=True)
    name = f"crowdfund-data-{current_user.id}-{utcnow():%Y%m%d}.json"
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store"})


@bp.post("/account/close")
@login_required
@recent_second_factor
def close_account():
    form = CloseAccountForm()
    if form.validate_on_submit():
        try:
            files = privacy.close_account(current_user, form.password.data)
        except DomainError as exc:
            db.session.rollback()
            form_error(form, exc)
        else:
            db.session.commit()
            for key in files:
                storage().delete(key)
            logout_user()
            flash(_("Your account is closed and your personal data erased. Thank you for "
                    "having been part of crowdfund."), "info")
            return redirect(url_for("main.index"))
    return render_template("auth/my_data.html", confirm=ConfirmForm(), form=form,
                           blockers=privacy.blockers(current_user),
                           consequences=privacy.consequences(current_user),
                           kept=privacy.KEPT), 400
