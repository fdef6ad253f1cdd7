"""The founder's identity page: what they submit for the check, and where it stands."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf.file import FileAllowed, FileField
from wtforms import DateField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from crowdfund.auth import bp, identity
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.filters import duration
from crowdfund.forms import BaseForm, CountryField
from crowdfund.i18n import _, _l
from crowdfund.uploads import UploadError, save_image
from crowdfund.web import form_error, form_status


class IdentityForm(BaseForm):
    legal_name = StringField(_l("Legal name, as on the document"),
                             validators=[DataRequired(), Length(max=200)])
    date_of_birth = DateField(_l("Date of birth"), validators=[InputRequired(
        message=_l("Enter your date of birth (YYYY-MM-DD)."))])
    address = TextAreaField(_l("Home address"), validators=[DataRequired(), Length(max=500)],
                            description=_l("Street, town, postcode, country."))
    #: Where the person lives: once verified, the country whose investor rules apply.
    country = CountryField(_l("Country you live in"), validators=[DataRequired(
        message=_l("Choose the country you live in."))])
    document = FileField(
        _l("Identity document"), validators=[FileAllowed(["jpg", "jpeg", "png", "webp"],
                                                         _l("Use a photo: JPEG, PNG or WebP."))])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # When it is deleted, from the one setting the privacy page reads too.
        kept = duration(current_app.config["IDENTITY_DOCUMENT_RETENTION"])
        self.document.description = _(
            "A clear photo of your passport, identity card or driving licence. Only our "
            "operators see it; it is deleted %(kept)s after their decision.", kept=kept)


@bp.route("/account/identity", methods=["GET", "POST"])
@login_required
def identity_page():
    record = current_user.verification
    form = IdentityForm()
    if form.validate_on_submit():
        key = None
        try:
            if not form.document.data:
                raise DomainError(_("Add a photo of your identity document."),
                                  field="document")
            key = _store(form.document.data)
            old = identity.submit(current_user, legal_name=form.legal_name.data,
                                  date_of_birth=form.date_of_birth.data,
                                  address=form.address.data, document_key=key,
                                  country=form.country.data)
        except (DomainError, UploadError) as exc:
            db.session.rollback()
            identity.discard(key)
            if isinstance(exc, UploadError):
                form.document.errors = [*form.document.errors, str(exc)]
            else:
                form_error(form, exc)
        else:
            db.session.commit()
            identity.discard(old)
            flash(_("Thank you: an operator checks your documents, usually within two "
                    "business days. We email you the decision."), "success")
            return redirect(url_for("auth.identity_page"))
    return render_template("auth/identity.html", form=form, record=record), form_status(form)


def _store(upload) -> str:
    return save_image(upload, identity.PRIVATE_FOLDER,
                      max_bytes=current_app.config["IDENTITY_DOCUMENT_MAX_BYTES"],
                      max_size=(2400, 2400), min_size=(400, 250))
