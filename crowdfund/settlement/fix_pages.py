"""Paying a failed charge: the backer's fix page (3-D Secure, the saved card again, another
card). These are pledge pages (``pledges.pay``...: on the pledges blueprint, linked from
the pledge page and the emails), served by settlement, which owns charges."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.forms import ConfirmForm
from crowdfund.i18n import _
from crowdfund.payments import gateway
from crowdfund.payments.gateway import PaymentError
from crowdfund.pledges import services
from crowdfund.pledges.forms import ConfirmCardForm
from crowdfund.pledges.models import Pledge
from crowdfund.pledges.routes import bp, own_pledge
from crowdfund.settlement.recovery import (
    complete_authentication,
    fix_deadline,
    require_fixable,
    waiting_authentication,
)
from crowdfund.settlement.views import settler
from crowdfund.web import writes_on_get


def _fixable(pledge_id: int) -> Pledge | None:
    """The backer's pledge if it can be paid now; otherwise flash why and return None."""
    pledge = own_pledge(pledge_id)
    try:
        require_fixable(pledge)
    except DomainError as exc:
        flash(exc.message, "info")
        return None
    return pledge


def _after_payment(pledge_id: int, outcome: str):
    messages = {
        "succeeded": (_("Thank you! Your payment went through."), "success"),
        "requires_action": (_("Your bank asks you to confirm this payment."), "info"),
        "failed": (_("The payment did not go through. Try another card."), "error"),
    }
    message, category = messages.get(outcome, (_("Please try again in a minute."), "info"))
    flash(message, category)
    if outcome == "succeeded":
        return redirect(url_for("pledges.show", pledge_id=pledge_id))
    return redirect(url_for("pledges.pay", pledge_id=pledge_id))


@bp.get("/pledges/<int:pledge_id>/pay")
@login_required
@writes_on_get  # makes (and saves) the SetupIntent for another card
def pay(pledge_id: int):
    """The fix page: complete 3-D Secure, retry the saved card, or pay with another."""
    pledge = _fixable(pledge_id)
    if pledge is None:
        return redirect(url_for("pledges.show", pledge_id=pledge_id))
    waiting = waiting_authentication(pledge)
    client_secret = None
    try:
        if waiting is not None:
            client_secret = gateway().retrieve_payment_intent(waiting.payment_intent_id)\
                .client_secret
        intent = services.ensure_setup_intent(pledge, current_user, gateway())
    except PaymentError as exc:
        db.session.rollback()
        flash(exc.user_message, "error")
        return redirect(url_for("pledges.show", pledge_id=pledge.id))
    page = render_template("pledges/pay.html", pledge=pledge, intent=intent,
                           gateway=gateway(), client_secret=client_secret, waiting=waiting,
                           deadline=fix_deadline(pledge), confirm=ConfirmForm(),
                           form=ConfirmCardForm(setup_intent=intent.id))
    db.session.commit()  # after rendering: see pledges.routes.card
    return page


@bp.post("/pledges/<int:pledge_id>/pay/authenticated")
@login_required
def authenticated(pledge_id: int):
    """The browser says 3-D Secure is done: read the PaymentIntent and record it."""
    pledge = _fixable(pledge_id)
    if pledge is None:
        return redirect(url_for("pledges.show", pledge_id=pledge_id))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        outcome = complete_authentication(pledge, gateway())
    except PaymentError as exc:
        db.session.rollback()
        flash(exc.user_message, "error")
        return redirect(url_for("pledges.pay", pledge_id=pledge.id))
    db.session.commit()
    return _after_payment(pledge_id, outcome)


@bp.post("/pledges/<int:pledge_id>/pay/card")
@login_required
def pay_with_card(pledge_id: int):
    """A new card was saved in the browser: check it, then charge it (once)."""
    pledge = _fixable(pledge_id)
    if pledge is None:
        return redirect(url_for("pledges.show", pledge_id=pledge_id))
    if not ConfirmCardForm().validate_on_submit():
        abort(400)
    try:
        services.confirm_card(pledge, gateway(), actor=current_user)
    except (DomainError, PaymentError) as exc:
        db.session.rollback()
        flash(getattr(exc, "message", None) or exc.user_message, "error")
        return redirect(url_for("pledges.pay", pledge_id=pledge.id))
    return _charge_again(pledge.id)


@bp.post("/pledges/<int:pledge_id>/pay/retry")
@login_required
def pay_again(pledge_id: int):
    """Try the saved card again (the backer may have sorted it out with their bank)."""
    pledge = _fixable(pledge_id)
    if pledge is None:
        return redirect(url_for("pledges.show", pledge_id=pledge_id))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return _charge_again(pledge.id)


def _charge_again(pledge_id: int):
    """One more charge attempt (crash-safe, its own commits), then say how it went."""
    try:
        outcome = settler().retry(pledge_id)
    except PaymentError as exc:
        flash(exc.user_message, "error")
        return redirect(url_for("pledges.pay", pledge_id=pledge_id))
    return _after_payment(pledge_id, outcome)
