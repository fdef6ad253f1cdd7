"""Late pledges' pages (docs/money.md#late-pledges): the form (reward at its late price,
add-ons, destination, as for a pledge), then the card page: the card saved with Stripe.js
(``confirmCardSetup``), charged at once on-session, 3-D Secure completed in the browser
(``confirmCardPayment``) and read back by the server. Pledge pages (``pledges.late_*``, on
the pledges blueprint) served by settlement, which owns charges."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from crowdfund.campaigns.web import public_campaign
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.forms import ConfirmForm
from crowdfund.i18n import _
from crowdfund.locking import write_transaction
from crowdfund.payments import gateway
from crowdfund.payments.gateway import PaymentError
from crowdfund.pledges import add_ons, services
from crowdfund.pledges.forms import ConfirmCardForm, late_pledge_form
from crowdfund.pledges.late import late_window_ends, require_late_open, start_late_pledge
from crowdfund.pledges.models import Pledge, PledgeStatus
from crowdfund.pledges.routes import bp, own_pledge
from crowdfund.settlement import late
from crowdfund.settlement.models import ChargeStatus
from crowdfund.settlement.views import settler
from crowdfund.web import form_error, reads_first, writes_on_get


@bp.route("/campaigns/<slug>/late", methods=["GET", "POST"])
@login_required
@reads_first
def late_new(slug: str):
    """Pledge late: a reward at its late price, add-ons, shipping; then the card page."""
    campaign = public_campaign(slug)
    try:
        require_late_open(campaign)
    except DomainError as exc:
        flash(exc.message, "info")
        return redirect(url_for("campaigns.show", slug=campaign.slug))
    form = late_pledge_form(campaign, add_ons.offered(campaign))
    if request.method == "GET":
        tier = next((t for t in campaign.tiers if str(t.id) == request.args.get("tier")), None)
        if tier is not None:
            form.tier.data, form.amount.data = str(tier.id), tier.late_price.to_decimal()
    status = 400 if form.is_submitted() else 200
    if form.validate_on_submit() and (amount := form.amount.money_in(campaign.currency)):
        try:
            write_transaction(campaign)
            pledge = start_late_pledge(current_user, campaign, form.chosen_tier(), amount,
                                       form.destination.data or None,
                                       extras=form.chosen_add_ons())
        except services.AlreadyBacking as exc:
            db.session.rollback()
            flash(exc.message, "info")
            return redirect(url_for("pledges.show", pledge_id=exc.pledge_id))
        except DomainError as exc:
            db.session.rollback()
            form_error(form, exc)
            status = exc.status_code
        else:
            target = url_for("pledges.late_card", pledge_id=pledge.id)
            db.session.commit()
            return redirect(target)
    return render_template("pledges/new.html", form=form, campaign=campaign, late=True,
                           late_ends=late_window_ends(campaign)), status


def _own_late(pledge_id: int) -> Pledge:
    pledge = own_pledge(pledge_id)
    if not pledge.late:
        abort(404)
    return pledge


@bp.get("/pledges/<int:pledge_id>/late")
@login_required
@writes_on_get  # makes (and saves) the SetupIntent the card form confirms
def late_card(pledge_id: int):
    """The card page of a late pledge: save the card (charged at once), or confirm the
    payment with the bank when it asks."""
    pledge = _own_late(pledge_id)
    if pledge.status is not PledgeStatus.PENDING:
        return redirect(url_for("pledges.show", pledge_id=pledge.id))
    waiting = late.waiting_attempt(pledge)
    intent = client_secret = None
    try:
        if waiting is not None and waiting.status is ChargeStatus.REQUIRES_ACTION:
            client_secret = gateway().retrieve_payment_intent(
                waiting.payment_intent_id).client_secret
        elif waiting is None:
            require_late_open(pledge.campaign)
            intent = services.ensure_setup_intent(pledge, current_user, gateway())
    except (DomainError, PaymentError) as exc:
        db.session.rollback()
        flash(getattr(exc, "message", None) or exc.user_message, "error")
        return redirect(url_for("pledges.show", pledge_id=pledge.id))
    page = render_template(
        "pledges/late_card.html", pledge=pledge, intent=intent, gateway=gateway(),
        client_secret=client_secret, waiting=waiting, confirm=ConfirmForm(),
        form=ConfirmCardForm(setup_intent=intent.id if intent else ""))
    db.session.commit()  # after rendering: see pledges.routes.card
    return page


@bp.post("/pledges/<int:pledge_id>/late/card")
@login_required
def late_pay(pledge_id: int):
    """The card was saved in the browser: read it back, then charge it at once (once)."""
    pledge = _own_late(pledge_id)
    if not ConfirmCardForm().validate_on_submit():
        abort(400)
    try:
        services.save_card(pledge, gateway())
    except (DomainError, PaymentError) as exc:
        db.session.rollback()
        flash(getattr(exc, "message", None) or exc.user_message, "error")
        return redirect(url_for("pledges.late_card", pledge_id=pledge.id))
    campaign_slug = pledge.campaign.slug
    try:
        outcome = settler().charge_late(pledge_id)  # commits the card first
    except (DomainError, PaymentError) as exc:
        flash(getattr(exc, "message", None) or exc.user_message, "error")
        return redirect(url_for("campaigns.show", slug=campaign_slug))
    return _after(pledge_id, campaign_slug, outcome)


@bp.post("/pledges/<int:pledge_id>/late/authenticated")
@login_required
def late_authenticated(pledge_id: int):
    """The browser says 3-D Secure is done: read the PaymentIntent back and record it."""
    pledge = _own_late(pledge_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    campaign_slug = pledge.campaign.slug
    try:
        outcome = settler().read_back_late(pledge_id)
    except PaymentError as exc:
        flash(exc.user_message, "error")
        return redirect(url_for("pledges.late_card", pledge_id=pledge_id))
    return _after(pledge_id, campaign_slug, outcome)


def _after(pledge_id: int, campaign_slug: str, outcome: str):
    if outcome in ("succeeded", "collected"):
        flash(_("Thank you! Your late pledge is paid."), "success")
        return redirect(url_for("pledges.show", pledge_id=pledge_id))
    if outcome == "requires_action":
        flash(_("Your bank asks you to confirm this payment."), "info")
        return redirect(url_for("pledges.late_card", pledge_id=pledge_id))
    if outcome in ("failed", "cancelled"):
        flash(_("The payment did not go through, so your late pledge is cancelled. You can "
                "pledge again with another card."), "error")
        return redirect(url_for("campaigns.show", slug=campaign_slug))
    flash(_("We are confirming your payment with the bank; your pledge page will show it "
            "within a few minutes."), "info")
    return redirect(url_for("pledges.show", pledge_id=pledge_id))
