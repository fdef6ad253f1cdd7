"""Differences with the gateway (docs/money.md#reconciliation-with-the-gateway): open ones
with what to do and a form to resolve each with a reason, and the resolved history."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from crowdfund.auth.guards import recent_second_factor
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.i18n import _
from crowdfund.operators import bp
from crowdfund.operators.forms import ResolveDifferenceForm
from crowdfund.settlement.books import differences
from crowdfund.settlement.books.models import GatewayDifference
from crowdfund.settlement.books.run import last_run
from crowdfund.web import form_error


def _form(difference_id: int) -> ResolveDifferenceForm:
    return ResolveDifferenceForm(prefix=f"d{difference_id}")


def _page(sent: tuple[int, ResolveDifferenceForm] | None = None, status: int = 200):
    waiting = differences.open_differences()
    forms = {d.id: _form(d.id) for d in waiting}
    if sent is not None:
        forms[sent[0]] = sent[1]
    return render_template("operators/differences.html", waiting=waiting, forms=forms,
                           resolved=differences.resolved_differences(),
                           open_count=differences.open_count(), last=last_run()), status


@bp.get("/differences")
def differences_page():
    return _page()


@bp.post("/differences/<int:difference_id>/resolve")
@recent_second_factor
def resolve_difference(difference_id: int):
    """An operator resolves one difference, saying what they found and did."""
    difference = db.session.get(GatewayDifference, difference_id) or abort(404)
    form = _form(difference_id)
    if not form.validate_on_submit():
        return _page((difference_id, form), 400)
    try:
        differences.resolve(difference, current_user, form.reason.data)
    except DomainError as exc:  # a reason too short; resolved by someone else meanwhile
        db.session.rollback()
        if exc.field is None:
            flash(exc.message, "error")
        form_error(form, exc)
        return _page((difference_id, form), exc.status_code)
    db.session.commit()
    flash(_("Difference #%(id)s resolved.", id=difference_id), "success")
    return redirect(url_for("operators.differences_page"))
