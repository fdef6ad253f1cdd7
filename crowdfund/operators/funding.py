"""Funding models (docs/domain.md#funding-models): where flexible funding is turned off,
the form that turns it off in a category or allows it again, and the history of who did
which, when and why."""

from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_login import current_user

from crowdfund.campaigns import funding
from crowdfund.campaigns.categories import CATEGORIES, category_label
from crowdfund.i18n import _
from crowdfund.operators import bp
from crowdfund.operators.forms import FlexibleFundingForm
from crowdfund.web import form_status, submit_form


def _done(category: str, allowed: bool, changed: bool) -> str:
    name = category_label(category)
    if not changed:
        return (_("Flexible funding was already allowed for %(category)s: nothing changed.",
                  category=name) if allowed else
                _("Flexible funding was already off for %(category)s: nothing changed.",
                  category=name))
    return (_("Flexible funding is allowed again for %(category)s.", category=name) if allowed
            else _("Flexible funding is now off for %(category)s: new campaigns there are "
                   "all-or-nothing.", category=name))


@bp.route("/funding", methods=["GET", "POST"])
def funding_page():
    form = FlexibleFundingForm()
    if form.validate_on_submit():
        category, allowed = form.category.data, form.allowed.data == "on"
        if submit_form(form, lambda: funding.set_flexible_funding(
                current_user, category, allowed, form.reason.data),
                lambda changed: _done(category, allowed, changed)):
            return redirect(url_for("operators.funding_page"))
    off = funding.disabled_categories()
    return render_template(
        "operators/funding.html", form=form, changes=funding.changes(),
        categories=[(label, slug not in off) for slug, label in CATEGORIES.items()],
    ), form_status(form)
