"""Investor pages: the profile, the education step, and the investor's limit."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignKind
from crowdfund.campaigns.web import ref_for
from crowdfund.db import utcnow
from crowdfund.equity import changes, eu, highrisk, investing, investors, protections
from crowdfund.equity.forms import (
    AssessmentForm,
    CategoryForm,
    EducationForm,
    InvestForm,
    InvestorProfileForm,
)
from crowdfund.equity.models import Holding, InvestorCategory
from crowdfund.equity.rulesets import NotOpen, RuleSet, rules_for
from crowdfund.equity.standing import standing_of
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.filters import date_filter
from crowdfund.forms import ConfirmForm
from crowdfund.i18n import _, ngettext
from crowdfund.pledges.routes import own_pledge
from crowdfund.pledges.services import AlreadyBacking
from crowdfund.pledges.terms import investor_cancel_until
from crowdfund.pledges.totals import totals_of
from crowdfund.web import form_error, form_status, is_safe_next, run_action

bp = Blueprint("equity", __name__, url_prefix="/invest")


@bp.before_request
@login_required
def _signed_in():
    """Every investor page needs a signed-in user."""


def next_or(endpoint: str):
    target = request.args.get("next")
    return redirect(target if is_safe_next(target) else url_for(endpoint))


def _continue():
    """After a step of the investor's profile: the next one not done yet (profile, UK
    category, education, UK assessment), keeping where they were going; else there."""
    step = protections.missing_step(current_user)
    if step is None:
        return next_or("equity.overview")
    target = request.args.get("next")
    return redirect(url_for(step, next=target if is_safe_next(target) else None))


def _rules_of(profile) -> RuleSet | None:
    """The rules of the investor's country (None when it has none open)."""
    try:
        return rules_for(investors.residence_of(current_user, profile))
    except NotOpen:
        return None


@bp.get("/")
def overview():
    profile = investors.profile_of(current_user)
    limit = refusal = None
    try:
        limit = investors.limit_of(current_user)
    except DomainError as exc:  # no rules for their country, a missing exchange rate...
        refusal = exc.message
    return render_template("equity/overview.html", profile=profile, limit=limit,
                           refusal=refusal,
                           residence=investors.residence_of(current_user, profile),
                           verified_country=investors.verified_country(current_user))


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
        if current.financial_assets is not None:
            form.financial_assets.data = current.financial_assets.to_decimal()
    if form.validate_on_submit():
        data = investors.ProfileInput(
            jurisdiction=form.jurisdiction.data, annual_income=form.annual_income.data,
            net_worth=form.net_worth.data, accredited=form.accredited.data,
            invested_elsewhere=form.invested_elsewhere.data or Decimal(0),
            financial_assets=form.financial_assets.data)
        try:
            investors.save_profile(current_user, data)
        except DomainError as exc:
            db.session.rollback()
            form_error(form, exc)
        else:
            db.session.commit()
            flash(_("Your investor profile is saved."), "success")
            return _continue()
    status = form_status(form)
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
            for name in getattr(exc, "fields", ()):  # each wrong answer marked
                getattr(form, name).errors = [_("Not right: see the text above.")]
        else:
            db.session.commit()
            if protections.missing_step(current_user) is None:
                flash(_("Thank you. You can invest now."), "success")
            return _continue()
    status = form_status(form)
    return render_template("equity/education.html", form=form, text=investors.EDUCATION,
                           quiz=investors.QUIZ, version=investors.EDUCATION_VERSION), status


@bp.route("/category", methods=["GET", "POST"])
def categorisation():
    """UK: the investor chooses their category and makes the statement that goes with it
    (made again once it lapses, after 12 months)."""
    profile = investors.profile_of(current_user)
    if profile is None:
        return redirect(url_for("equity.profile"))
    rules = _rules_of(profile)
    if rules is None or not rules.categorised:
        return redirect(url_for("equity.overview"))
    form = CategoryForm()
    if request.method == "GET" and profile.category is not None:
        form.category.data = profile.category.value
    if form.validate_on_submit():
        try:
            saved = protections.categorise(current_user, form.category.data, form.confirm.data)
        except DomainError as exc:
            db.session.rollback()
            form_error(form, exc)
        else:
            db.session.commit()
            flash(_("Your statement is recorded: you invest as a %(category)s until "
                    "%(day)s, when you make it again.", category=saved.category.label.lower(),
                    day=date_filter(highrisk.lapses_at(saved.category_stated_at, rules))),
                  "success")
            return _continue()
    statements = [(c, highrisk.statement(c, rules)) for c in InvestorCategory]
    lapses = (highrisk.lapses_at(profile.category_stated_at, rules)
              if profile.category_stated_at else None)
    return render_template("equity/category.html", form=form, statements=statements,
                           profile=profile, lapses=lapses, now=utcnow()), form_status(form)


@bp.route("/assessment", methods=["GET", "POST"])
def assessment():
    """UK: the appropriateness assessment; after a failed attempt, the next one only after
    the wait (the page says until when)."""
    profile = investors.profile_of(current_user)
    if profile is None:
        return redirect(url_for("equity.profile"))
    rules = _rules_of(profile)
    if rules is None or not rules.needs_assessment:
        return redirect(url_for("equity.overview"))
    form = AssessmentForm.with_questions(highrisk.QUESTIONS)()
    if form.validate_on_submit():
        answers = {q.name: getattr(form, q.name).data for q in highrisk.QUESTIONS}
        try:
            protections.assess(current_user, answers)
        except protections.AssessmentFailed as exc:
            db.session.commit()  # the failed attempt stays recorded
            flash(exc.message, "error")
            return redirect(url_for("equity.assessment", next=request.args.get("next")))
        except DomainError as exc:
            db.session.rollback()
            form_error(form, exc)
        else:
            db.session.commit()
            flash(_("You passed the assessment."), "success")
            return _continue()
    again = protections.retry_at(profile, rules)
    return render_template("equity/assessment.html", form=form, questions=highrisk.QUESTIONS,
                           profile=profile, rules=rules,
                           waiting=again if again and utcnow() < again else None,
                           version=highrisk.ASSESSMENT_VERSION), form_status(form)


@bp.get("/risk-summary")
def risk_summary():
    """The risk summary the personalised risk warning links to (UK, PS22/10)."""
    return render_template("equity/risk_summary.html")


@bp.route("/<slug>", methods=["GET", "POST"])
def invest(slug: str):
    """Invest in an offering: type an amount, see what it buys, confirm, save a card."""
    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.slug == slug))
    if campaign is None or not campaign.is_public or campaign.kind is not CampaignKind.EQUITY:
        abort(404)
    now = utcnow()
    try:
        offering = investing.open_offering(campaign, now)
    except DomainError as exc:
        flash(exc.message, "info")
        return redirect(url_for("campaigns.show", slug=slug))
    standing = standing_of(current_user, offering, now)
    elsewhere = _first_the_profile(slug, standing)
    if elsewhere is not None:
        return elsewhere
    form = InvestForm()
    quote = None
    if form.validate_on_submit():
        typed = form.amount.money_in(campaign.currency)
        if typed is not None:
            try:
                quote = investing.quote_investment(offering, typed)
                investing.check_investor(current_user, quote, now, offering,
                                         consent=form.consent.data)
                # Committed only once the investor saw what this very amount buys.
                if form.confirmed.data == str(typed.amount):
                    pledge = investing.start_investment(current_user, campaign, typed, now,
                                                          ref=ref_for(campaign),
                                                          consent=form.consent.data)
                    target = url_for("pledges.card", pledge_id=pledge.id)  # before commit
                    db.session.commit()
                    return redirect(target)
            except AlreadyBacking as exc:
                db.session.rollback()
                flash(_("You already invest in this offering."), "info")
                return redirect(url_for("pledges.show", pledge_id=exc.pledge_id))
            except investing.OverLimit as exc:
                db.session.rollback()
                quote = _offer_what_the_limit_allows(form, offering, exc)
            except DomainError as exc:
                db.session.rollback()
                quote = None
                form_error(form, exc)
            else:
                form.confirmed.data = str(typed.amount)
    status = 400 if form.is_submitted() and quote is None else 200
    cutoff = investor_cancel_until(campaign.deadline)
    profile = investors.profile_of(current_user)
    reflection = (standing.rules.reflection_days
                  if standing.rules and eu.applies(standing.rules, profile) else 0)
    return render_template("equity/invest.html", campaign=campaign, offering=offering,
                           form=form, quote=quote, cutoff=cutoff, totals=totals_of(campaign),
                           limit=standing.limit, standing=standing,
                           reflection=reflection), status


def _first_the_profile(slug: str, standing):
    """Where the investor goes before typing an amount: the next step of their profile
    when one is not done (the profile, the UK category, the education step, the UK
    assessment), the offering page when they may not invest (it says why). A first-time
    investor in their cooling-off stays: the page says until when, and asks no amount."""
    step = protections.missing_step(current_user)
    if step is not None:
        if step in ("equity.profile", "equity.education"):
            flash(_("Before your first investment, complete your investor profile and the "
                    "short education step."), "info")
        else:
            flash(standing.message, "info")
        return redirect(url_for(step, next=url_for("equity.invest", slug=slug)))
    if not standing.may_invest and standing.wait_until is None:  # said before any amount
        flash(standing.message, "info")
        return redirect(url_for("campaigns.show", slug=slug))
    return None


def _offer_what_the_limit_allows(form: InvestForm, offering, error):
    """Over the limit: the form offers the most the limit allows, rounded down to whole
    shares, to confirm (or the refusal, when even that is below the minimum)."""
    quote = investing.within_limit(offering, error)
    if quote is None:
        form_error(form, error)
        return None
    form.amount.data, form.amount.raw_data = quote.amount.to_decimal(), None  # shown as is
    form.confirmed.data = str(quote.amount.amount)
    values = {"refusal": error.message, "amount": quote.amount.format()}
    if quote.shares:
        # TRANSLATORS: %(refusal)s is the refusal of the amount typed (whole sentences).
        lowered = ngettext(
            "%(refusal)s We lowered the amount to %(amount)s (%(shares)s whole share), the "
            "most you can invest now: check it and confirm, or change it.",
            "%(refusal)s We lowered the amount to %(amount)s (%(shares)s whole shares), the "
            "most you can invest now: check it and confirm, or change it.",
            quote.shares, shares=f"{quote.shares:,}", **values)
    else:
        lowered = _("%(refusal)s We lowered the amount to %(amount)s, the most you can invest "
                    "now: check it and confirm, or change it.", **values)
    form.form_errors.append(lowered)
    return quote


@bp.get("/holdings")
def holdings():
    rows = list(db.session.scalars(sa.select(Holding).where(
        Holding.holder_id == current_user.id).order_by(Holding.issued_on.desc())))
    return render_template("equity/holdings.html", holdings=rows)


@bp.get("/holdings/<int:holding_id>/confirmation.txt")
def confirmation(holding_id: int):
    """A plain-text confirmation of the securities issued (the investor's own only)."""
    holding = db.session.get(Holding, holding_id)
    if holding is None or holding.holder_id != current_user.id:
        abort(404)
    body = render_template("equity/confirmation.txt", holding=holding,
                           offering=holding.offering, holder=current_user)
    return Response(body, mimetype="text/plain", headers={
        "Content-Disposition": f'attachment; filename="confirmation-{holding.id}.txt"'})


@bp.post("/commitments/<int:pledge_id>/reconfirm")
def reconfirm(pledge_id: int):
    """The investor keeps their commitment after a material change of the terms."""
    pledge = own_pledge(pledge_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    run_action(lambda: changes.reconfirm(pledge, current_user),
               lambda _result: _reconfirmed(pledge))
    return redirect(url_for("pledges.show", pledge_id=pledge.id))


def _reconfirmed(pledge) -> str:
    """What the investor is told once their commitment stands on the new terms."""
    if pledge.shares:
        return ngettext("Thank you: your commitment stands on the new terms: %(shares)s share "
                        "for %(amount)s.",
                        "Thank you: your commitment stands on the new terms: %(shares)s shares "
                        "for %(amount)s.", pledge.shares, shares=f"{pledge.shares:,}",
                        amount=pledge.amount.format())
    return _("Thank you: your commitment stands on the new terms: %(amount)s.",
             amount=pledge.amount.format())
