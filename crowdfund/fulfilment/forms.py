"""The backer's survey form (address fields, and one field per question of the tier), and
the founder's question forms. The survey's rules are checked by the service
(``surveys.answer_survey``): its refusals are put next to their fields."""

from __future__ import annotations

from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from crowdfund.forms import BaseForm, IdField, choices
from crowdfund.fulfilment import addresses
from crowdfund.fulfilment.models import KIND_LABELS, SurveyQuestion
from crowdfund.fulfilment.surveys import SurveyView
from crowdfund.i18n import _, _l

#: What phones and browsers need to fill each address field in.
_AUTOFILL = {"recipient_name": "shipping name", "address_line1": "shipping address-line1",
             "address_line2": "shipping address-line2", "city": "shipping address-level2",
             "region": "shipping address-level1", "postal_code": "shipping postal-code",
             "phone": "shipping tel"}


def _address_field(name: str, label) -> StringField:
    extra = {"autocomplete": _AUTOFILL[name], "maxlength": addresses.MAX_LENGTHS[name]}
    if name == "phone":
        extra["type"] = "tel"
    return StringField(label, render_kw=extra)


class SurveyForm(BaseForm):
    recipient_name = _address_field("recipient_name", _l("Full name of the recipient"))
    address_line1 = _address_field("address_line1", _l("Address line 1"))
    address_line2 = _address_field("address_line2", _l("Address line 2 (optional)"))
    city = _address_field("city", _l("Town or city"))
    region = _address_field("region", _l("State, province or region"))
    postal_code = _address_field("postal_code", _l("Postal code"))
    phone = _address_field("phone", _l("Phone, for the courier (optional)"))

    def address(self) -> dict[str, str | None]:
        return {name: getattr(self, name).data for name in addresses.FIELDS}

    def answers(self, questions: list[SurveyQuestion]) -> dict[int, str]:
        return {q.id: getattr(self, f"q_{q.id}").data or "" for q in questions}

    def question_fields(self, questions: list[SurveyQuestion]) -> list:
        return [getattr(self, f"q_{q.id}") for q in questions]


def _question_field(question: SurveyQuestion):
    label = question.prompt if question.required else _("%(question)s (optional)",
                                                        question=question.prompt)
    if question.has_options:
        return SelectField(label, choices=choices([("", "—"), *((o, o) for o in
                                                                question.options)]),
                           validate_choice=False)
    return TextAreaField(label, render_kw={"rows": 2, "maxlength": 500})


def survey_form(view: SurveyView, **kwargs) -> SurveyForm:
    """The form of ``view``'s survey: the address fields named as its country names them,
    and one field per question; filled in with what is saved (a GET)."""
    fields = {f"q_{q.id}": _question_field(q) for q in view.questions}
    form_class = type("SurveyFormOfTier", (SurveyForm,), fields)
    survey = view.survey
    saved = {name: getattr(survey, name) for name in addresses.FIELDS}
    saved.update({f"q_{question_id}": value for question_id, value in view.answers.items()})
    form = form_class(data=saved, **kwargs)
    rules = addresses.rules_for(survey.country)
    form.city.label.text = str(rules.city_label)
    if rules.region is not None:
        form.region.label.text = str(rules.region.label) if rules.region.need == \
            addresses.REQUIRED else _("%(field)s (optional)", field=rules.region.label)
    if rules.postal is not None:
        form.postal_code.label.text = str(rules.postal.label) if rules.postal_need == \
            addresses.REQUIRED else _("%(field)s (optional)", field=rules.postal.label)
    return form


class QuestionForm(BaseForm):
    kind = SelectField(_l("Kind"), default="text", choices=choices(
        [(k.value, label) for k, label in KIND_LABELS.items()]),
        validators=[InputRequired(message=_l("Choose a kind of question."))])
    prompt = StringField(_l("Question"), validators=[
        InputRequired(message=_l("Write the question (at most 200 characters).")),
        Length(max=200)])
    options = TextAreaField(_l("Options, one per line (a choice, a size or a colour)"),
                            validators=[Length(max=3000)], render_kw={"rows": 3})
    required = BooleanField(_l("An answer is required"), default=True)


class RemoveQuestionForm(BaseForm):
    question_id = IdField()
