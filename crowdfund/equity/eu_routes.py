"""The EU investor's steps before investing (``equity.eu``): the entry knowledge test and
the simulation of the ability to bear loss. Views are thin: parse, call a service, commit
once, redirect."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from crowdfund.equity import eu, investors
from crowdfund.equity.forms import EuKnowledgeForm, LossSimulationForm, NotAppropriateForm
from crowdfund.equity.limits import loss_capacity
from crowdfund.equity.routes import bp, next_or
from crowdfund.equity.rulesets import NotOpen
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.i18n import _
from crowdfund.web import form_error, form_status


def _eu_profile():
    """The investor's profile and rules, when the EU protections apply to them."""
    profile = investors.profile_of(current_user)
    if profile is None:
        return None, None
    try:
        rules = investors.rules_of(current_user, profile)
    except NotOpen:
        return None, None
    return (profile, rules) if eu.applies(rules, profile) else (None, None)


@bp.route("/eu/knowledge", methods=["GET", "POST"])
def eu_knowledge():
    profile, _rules = _eu_profile()
    if profile is None:
        return redirect(url_for("equity.overview"))
    form = EuKnowledgeForm.with_test(eu.KNOWLEDGE_TEST)()
    accept = NotAppropriateForm(prefix="go")
    if request.method == "POST" and "go-accept" in request.form and accept.validate():
        eu.accept_not_appropriate(profile)
        db.session.commit()
        return redirect(url_for("equity.eu_loss", next=request.args.get("next")))
    if request.method == "POST" and "go-accept" not in request.form \
            and form.validate_on_submit():
        answers = {name: getattr(form, name).data for name, *_rest in eu.KNOWLEDGE_TEST}
        try:
            result = eu.take_knowledge_test(profile, answers)
        except DomainError as exc:
            db.session.rollback()
            form_error(form, exc)
        else:
            db.session.commit()
            if result.passed:
                flash(_("Thank you: your answers show the knowledge investing asks for."),
                      "success")
                return redirect(url_for("equity.eu_loss", next=request.args.get("next")))
    failed = profile.eu_knowledge_taken_at is not None and not profile.eu_knowledge_passed
    return render_template("equity/eu_knowledge.html", form=form, accept=accept,
                           failed=failed), form_status(form)


@bp.route("/eu/loss", methods=["GET", "POST"])
def eu_loss():
    profile, rules = _eu_profile()
    if profile is None:
        return redirect(url_for("equity.overview"))
    form = LossSimulationForm()
    if form.validate_on_submit():
        eu.simulate_loss(profile, rules)
        db.session.commit()
        return next_or("equity.overview")
    capacity = loss_capacity(rules, profile.net_worth)
    return render_template("equity/eu_loss.html", form=form, profile=profile,
                           capacity=capacity), form_status(form)
