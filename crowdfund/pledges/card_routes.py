"""Saved cards' pages: paying a pledge with a saved card, and the account's "Saved cards"
(listed from the gateway, removed there). See docs/money.md#saved-cards."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.forms import ConfirmForm
from crowdfund.i18n import _
from crowdfund.payments import gateway
from crowdfund.payments.gateway import PaymentError, is_gateway_id
from crowdfund.pledges import saved_cards, services
from crowdfund.pledges.forms import SavedCardForm
from crowdfund.pledges.models import PledgeStatus
from crowdfund.pledges.routes import bp, confirmed, own_pledge


def _refused(exc: Exception) -> None:
    db.session.rollback()
    flash(getattr(exc, "message", None) or exc.user_message, "error")


@bp.post("/pledges/<int:pledge_id>/card/saved")
@login_required
def use_saved_card(pledge_id: int):
    """Pay a pledge with a saved card: the SetupIntent is made and confirmed here; when the
    bank asks for 3-D Secure again, the card page runs it and posts to ``confirm_card``."""
    pledge = own_pledge(pledge_id)
    back = redirect(url_for("pledges.card", pledge_id=pledge.id))
    form = SavedCardForm()
    if not form.validate_on_submit():
        flash(_("Choose one of your saved cards, or use a new card."), "error")
        return back
    payment_method, gw = form.payment_method.data, gateway()
    was_pending = pledge.status is PledgeStatus.PENDING
    try:
        attempt = saved_cards.begin_reuse(pledge, current_user, payment_method, gw)
    except saved_cards.CardNotSaved:
        db.session.rollback()
        abort(404)
    except (DomainError, PaymentError) as exc:
        _refused(exc)
        return back
    db.session.commit()  # the attempt counted before the call: its idempotency key
    try:
        intent = saved_cards.reuse(pledge, current_user, payment_method, attempt, gw)
    except PaymentError as exc:
        _refused(exc)
        return back
    db.session.commit()  # the SetupIntent's id, whatever comes next
    if intent.status == "requires_action":
        flash(_("Your bank asks you to confirm this card."), "info")
        return back  # the card page runs 3-D Secure
    try:
        services.confirm_card(pledge, gw, actor=current_user)  # read back: succeeded?
    except (DomainError, PaymentError) as exc:
        _refused(exc)
        return back
    db.session.commit()
    return confirmed(pledge, was_pending)


@bp.get("/account/cards")
@login_required
def saved_cards_page():
    """The backer's saved cards, as the gateway lists them, with what each pays for."""
    try:
        cards = saved_cards.account_cards(current_user, gateway())
    except PaymentError:
        cards = None  # the page says the list could not be read
    return render_template("pledges/saved_cards.html", cards=cards, confirm=ConfirmForm())


@bp.post("/account/cards/<payment_method_id>/remove")
@login_required
def remove_saved_card(payment_method_id: str):
    if not is_gateway_id(payment_method_id):
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        card = saved_cards.remove(current_user, payment_method_id, gateway())
    except saved_cards.CardNotSaved:
        db.session.rollback()
        abort(404)
    except (DomainError, PaymentError) as exc:
        _refused(exc)
    else:
        db.session.commit()
        flash(_("The card ending in %(last4)s is removed from your account.",
                last4=card.last4), "success")
    return redirect(url_for("pledges.saved_cards_page"))
