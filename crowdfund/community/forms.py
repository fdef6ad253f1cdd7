"""The update form of the studio."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from crowdfund.forms import choices, no_markup


class UpdateForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(message="Give the update a title."),
                                             Length(max=120), no_markup])
    body_md = TextAreaField("Update", validators=[
        DataRequired(message="Write the update."), Length(min=20, max=20_000)])
    visibility = RadioField("Who can read it", default="public", choices=choices([
        ("public", "Everyone"), ("backers", "Backers only")]),
        validators=[InputRequired(message="Choose who can read it.")])
