"""The backer's survey page (``pledges.survey``: a pledge page, on the pledges blueprint,
linked from the pledge page and the emails), and the survey's part of the pledge page."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.fulfilment import addresses
from crowdfund.fulfilment.forms import survey_form
from crowdfund.fulfilment.surveys import (
    SurveyRefused,
    SurveyView,
    answer_survey,
    survey_of,
    view_of,
)
from crowdfund.i18n import _
from crowdfund.pledges.models import Pledge
from crowdfund.pledges.routes import bp, own_pledge


def _page(view: SurveyView, form, status: int = 200):
    return render_template(
        "pledges/survey.html", pledge=view.survey.pledge, view=view, form=form,
        rules=addresses.rules_for(view.survey.country),
        questions=form.question_fields(view.questions) if form else [],
        support=current_app.config["SUPPORT_EMAIL"],
        retention=current_app.config["FULFILMENT_ADDRESS_RETENTION"]), status


@bp.route("/pledges/<int:pledge_id>/survey", methods=["GET", "POST"])
@login_required
def survey(pledge_id: int):
    """Where to send the reward, and the founder's questions: sent whole, corrected until
    the reward ships; read-only after."""
    pledge = own_pledge(pledge_id)
    found = survey_of(pledge)
    if found is None:
        abort(404)
    view = view_of(found)
    form = survey_form(view) if view.may_answer else None
    if request.method == "GET":
        return _page(view, form)
    if form is None:
        flash(_("This survey can no longer be changed."), "error")
        return redirect(url_for("pledges.survey", pledge_id=pledge.id))
    if not form.validate_on_submit():
        return _page(view, form, 400)
    try:
        answer_survey(found, current_user, form.address(), form.answers(view.questions))
    except SurveyRefused as exc:
        db.session.rollback()
        for name, message in exc.errors.items():
            field = getattr(form, name, None)  # None: a question added meanwhile
            if field is None:
                form.form_errors.append(message)
            else:
                field.errors = [*field.errors, message]
        return _page(view_of(survey_of(pledge)), form, 400)
    except DomainError as exc:  # shipping since the page was opened, refunded...
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("pledges.survey", pledge_id=pledge.id))
    target = url_for("pledges.show", pledge_id=pledge.id)
    db.session.commit()
    flash(_("Thank you: your survey is saved. You can correct it until the reward ships."),
          "success")
    return redirect(target)


@dataclass(frozen=True)
class SurveyPart:
    """The survey's part of the pledge page."""

    view: SurveyView
    template: str = "pledges/_survey_part.html"


def pledge_page_part(pledge: Pledge) -> list[SurveyPart]:
    """For the pledge page: its survey, when it has one that asks something."""
    found = survey_of(pledge)
    if found is None:
        return []
    view = view_of(found)
    return [SurveyPart(view)] if view.needed else []
