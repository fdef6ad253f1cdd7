"""Forms of the campaign page's extras in the studio: a FAQ entry, a reward's image."""

from __future__ import annotations

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from crowdfund.campaigns.faq import MAX_ANSWER, MAX_QUESTION
from crowdfund.campaigns.forms import IMAGE_TYPES
from crowdfund.forms import BaseForm
from crowdfund.i18n import _l


class FaqForm(BaseForm):
    """One question of the FAQ with its answer."""

    question = StringField(_l("Question"), validators=[
        DataRequired(message=_l("Write the question.")), Length(max=MAX_QUESTION)])
    answer_md = TextAreaField(
        _l("Answer"), validators=[DataRequired(message=_l("Write the answer.")),
                                  Length(max=MAX_ANSWER)],
        description=_l("Markdown: **bold**, _italic_, lists, links."))


class RewardImageForm(BaseForm):
    """A picture of a reward (or an add-on), shown on its card."""

    image = FileField(_l("Image"), validators=[
        FileRequired(message=_l("Choose an image.")),
        FileAllowed(IMAGE_TYPES, _l("Use a JPEG, PNG, WebP or GIF image."))],
        description=_l("JPEG, PNG, WebP or GIF, up to 8 MB, at least 400 x 300 pixels; "
                       "shown at 4:3."))
