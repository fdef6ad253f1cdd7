"""View helpers shared by the operators' console and the founder's studio."""

from __future__ import annotations

from flask import current_app, flash

from crowdfund.auth.models import User
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.i18n import _
from crowdfund.payments import gateway
from crowdfund.payments.gateway import PaymentError
from crowdfund.pledges.models import Pledge
from crowdfund.settlement import refunds
from crowdfund.settlement.forms import RefundForm
from crowdfund.settlement.runner import Settler
from crowdfund.web import form_error


def settler() -> Settler:
    db.session.commit()  # the settler works in sessions of its own
    return Settler(current_app._get_current_object(), gateway())


def refund_from_form(pledge: Pledge, form: RefundForm, actor: User) -> bool:
    """Parse, write the refund row (committed: its key is stored before the call), send it.
    Returns True when the refund went through; errors are flashed."""
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(errors[0], "error")
        return False
    amount = form.amount.money_in(pledge.currency)
    if amount is None:
        flash(form.amount.errors[-1], "error")
        return False
    try:
        refund = refunds.request_refund(pledge, amount, actor, form.reason.data or "")
    except DomainError as exc:
        db.session.rollback()
        form_error(form, exc)
        flash(exc.message, "error")
        return False
    db.session.commit()
    refund_id = refund.id
    try:
        outcome = settler().refund(refund_id)
    except PaymentError as exc:
        flash(_("The refund is recorded and will be retried: %(error)s",
                error=exc.user_message), "error")
        return False
    if outcome == "succeeded":
        flash(_("Refunded %(amount)s.", amount=amount.format()), "success")
        return True
    if outcome == "failed":
        flash(_("The payment service refused the refund; nothing was refunded."), "error")
    else:
        flash(_("The refund is recorded and will be sent on the next settlement pass."),
              "info")
    return False
