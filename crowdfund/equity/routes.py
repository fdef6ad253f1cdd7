"""Investor pages: the profile, the education step, and the investor's limit."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from crowdfund.equity import investors
from crowdfund.equity.forms import EducationForm, InvestorProfileForm
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.web import form_error, is_safe_next

bp = Blueprint("equity", __name__, url_prefix="/invest")


@bp.before_request
@login_required
def _signed_in():
    """Every investor page needs a signed-in user."""


def _next_or(endpoint: str):
    target = request.args.get("next")
    return redirect(target if is_safe_next(target) else url_for(endpoint))


@bp.get("/")
def overview():
    profile = investors.profile_of(current_user)
    return render_template("equity/overview.html", profile=profile,
                           limit=investors.limit_of(current_user))


@bp.route("/profile", methods=["GET", "POST"])
def profile():
    current = investors.profile_of(current_user)
    form = InvestorProfileForm()
    if request.method == "GET" and current is not None:
        form.jurisdiction.data = current.jurisdiction
        form.annual_income.data = current.annual_income.to_decimal()
        form.net_worth.data = current.net_worth.to_decimal()
        form.accredited.data = current.accredited
        form.invested_elsewhere.data = current.invested_elsewhere.to_decimal()
    if form.validate_on_submit():
        from decimal import Decimal

        data = investors.ProfileInput(
            jurisdiction=form.jurisdiction.data, annual_income=form.annual_income.data,
            net_worth=form.net_worth.data, accredited=form.accredited.data,
            invested_elsewhere=form.invested_elsewhere.data or Decimal(0))
        try:
            saved = investors.save_profile(current_user, data)
        except DomainError as exc:
            db.session.rollback()
            form_error(form, exc)
        else:
            db.session.commit()
            flash("Your investor profile is saved.", "success")
            if not saved.educated:
                return redirect(url_for("equity.education", next=request.args.get("next")))
            return _next_or("equity.overview")
    status = 400 if form.is_submitted() else 200
    return render_template("equity/profile.html", form=form, profile=current), status


@bp.route("/education", methods=["GET", "POST"])
def education():
    if investors.profile_of(current_user) is None:
        return redirect(url_for("equity.profile"))
    form = EducationForm.with_quiz(investors.QUIZ)()
    if form.validate_on_submit():
        answers = {name: getattr(form, name).data for name, _q, _r in investors.QUIZ}
        try:
            investors.acknowledge(current_user, answers, form.accept.data)
        except DomainError as exc:
            db.session.rollback()
            form_error(form, exc)
        else:
            db.session.commit()
            flash("Thank you. You can invest now.", "success")
            return _next_or("equity.overview")
    status = 400 if form.is_submitted() else 200
    return render_template("equity/education.html", form=form, text=investors.EDUCATION,
                           quiz=investors.QUIZ, version=investors.EDUCATION_VERSION), status
