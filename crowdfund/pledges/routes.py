"""Backing a campaign: choose, save a card, manage the pledge."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from crowdfund.campaigns.add_on_models import quantity_field
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignKind
from crowdfund.campaigns.web import public_campaign, ref_for
from crowdfund.db import utcnow
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.forms import ConfirmForm
from crowdfund.i18n import _
from crowdfund.locking import write_transaction
from crowdfund.payments import gateway
from crowdfund.payments.gateway import PaymentError
from crowdfund.pledges import add_ons, queries, saved_cards, services
from crowdfund.pledges.forms import (
    NO_REWARD,
    ConfirmCardForm,
    PledgeForm,
    SavedCardForm,
    pledge_form,
)
from crowdfund.pledges.models import Pledge, PledgeStatus
from crowdfund.pledges.terms import after_charge, may_confirm_receipt, page_parts, revocable
from crowdfund.pledges.terms import terms as pledge_terms
from crowdfund.web import form_error, reads_first, run_action, writes_on_get

bp = Blueprint("pledges", __name__, cli_group="pledges")


def own_pledge(pledge_id: int) -> Pledge:
    """The signed-in backer's pledge, or 404 (other people's pledges do not exist)."""
    pledge = db.session.get(Pledge, pledge_id)
    if pledge is None or pledge.backer_id != current_user.id:
        abort(404)
    return pledge


def _choice(form: PledgeForm, campaign: Campaign):
    """(tier, amount with add-ons and shipping, destination) from a valid form; None after
    a field error."""
    amount = form.amount.money_in(campaign.currency)
    if amount is None:
        return None
    return form.chosen_tier(), amount, (form.destination.data or None)


def _require_available(choice, form: PledgeForm, campaign: Campaign) -> None:
    """Sold out as read (the reward, or fewer add-on units left than asked): refused before
    queueing to write (``services.require_available``). Other refusals of the add-ons come
    from the service."""
    services.require_available(choice[0])
    if extras := form.chosen_add_ons():
        add_ons.require_available(services.quote(campaign, *choice, extras).add_ons, utcnow())


def _already_backing(pledge_id: int):
    flash(_("You already back this campaign; you can change your pledge here."), "info")
    return redirect(url_for("pledges.edit", pledge_id=pledge_id))


def _not_a_pledge_form(campaign):
    """Where to send someone for whom this form is not the way in: an investment, or the
    founder's own campaign (never shown the form; a POST is refused by the service, 403)."""
    if campaign.kind is CampaignKind.EQUITY:
        return redirect(url_for("equity.invest", slug=campaign.slug))
    if campaign.founder_id == current_user.id and request.method == "GET":
        flash(_("This is your own campaign: founders cannot back it."), "info")
        return redirect(url_for("campaigns.show", slug=campaign.slug))
    return None


@bp.route("/campaigns/<slug>/pledge", methods=["GET", "POST"])
@login_required
@reads_first
def new(slug: str):
    campaign = public_campaign(slug)
    if (elsewhere := _not_a_pledge_form(campaign)) is not None:
        return elsewhere
    if request.method == "GET":  # a POST learns it from the service (AlreadyBacking)
        existing = services.open_pledge_of(current_user, campaign)
        if existing is not None and existing.status is PledgeStatus.ACTIVE:
            return _already_backing(existing.id)
    form = pledge_form(campaign, add_ons.offered(campaign))
    if request.method == "GET":
        chosen = request.args.get("tier", NO_REWARD)
        tier = next((t for t in campaign.tiers if str(t.id) == chosen), None)
        form.tier.data = str(tier.id) if tier else NO_REWARD
        if tier is not None:
            form.amount.data = tier.minimum.to_decimal()
    status = 200
    if form.validate_on_submit():
        choice = _choice(form, campaign)
        if choice is not None:
            try:
                _require_available(choice, form, campaign)  # reads only: never queues
                write_transaction(campaign)  # SQLite: the checks above took no write lock
                pledge = services.start_pledge(current_user, campaign, *choice,
                                               ref=ref_for(campaign),
                                               extras=form.chosen_add_ons())
            except services.AlreadyBacking as exc:
                db.session.rollback()
                return _already_backing(exc.pledge_id)
            except DomainError as exc:
                db.session.rollback()
                form_error(form, exc)
                status = exc.status_code
            else:
                target = url_for("pledges.card", pledge_id=pledge.id)  # read before commit
                db.session.commit()  # (after it, reading the id would begin a transaction)
                return redirect(target)
    if form.is_submitted() and status == 200:
        status = 400
    return render_template("pledges/new.html", form=form, campaign=campaign), status


def offered_cards(pledge: Pledge) -> list:
    """The backer's saved cards to offer on the card page; none when the gateway cannot
    list them just now (a new card still works)."""
    try:
        return saved_cards.offered_for(pledge, current_user, gateway())
    except PaymentError:
        return []


@bp.get("/pledges/<int:pledge_id>/card")
@login_required
@writes_on_get  # makes (and saves) the SetupIntent the card form confirms
def card(pledge_id: int):
    """Save a card: for a new pledge, or to replace the card of an active one."""
    pledge = own_pledge(pledge_id)
    try:
        intent = services.ensure_setup_intent(pledge, current_user, gateway())
    except (DomainError, PaymentError) as exc:
        db.session.rollback()
        flash(getattr(exc, "message", None) or exc.user_message, "error")
        return redirect(url_for("pledges.show", pledge_id=pledge.id))
    # Rendered before the commit: after it, reading the pledge would begin another
    # (writing) transaction just to show what this one wrote.
    page = render_template("pledges/card.html", pledge=pledge, intent=intent,
                           gateway=gateway(), form=ConfirmCardForm(setup_intent=intent.id),
                           saved=offered_cards(pledge), saved_form=SavedCardForm(),
                           authenticate=intent.status == "requires_action"
                           and intent.payment_method_id is not None)
    db.session.commit()
    return page


@bp.post("/pledges/<int:pledge_id>/card")
@login_required
def confirm_card(pledge_id: int):
    pledge = own_pledge(pledge_id)
    form = ConfirmCardForm()
    if not form.validate_on_submit():
        abort(400)
    was_pending = pledge.status is PledgeStatus.PENDING
    try:
        services.confirm_card(pledge, gateway(), actor=current_user)
    except (DomainError, PaymentError) as exc:
        db.session.rollback()
        flash(getattr(exc, "message", None) or exc.user_message, "error")
        return redirect(url_for("pledges.card", pledge_id=pledge.id))
    db.session.commit()
    return confirmed(pledge, was_pending)


def confirmed(pledge: Pledge, was_pending: bool):
    """Where a backer goes once their card is confirmed (a new one, or a saved one)."""
    if not was_pending:
        flash(_("Your card is updated."), "success")
    elif pledge.campaign.is_equity:
        flash(_("Thank you! Your investment is active."), "success")
    else:
        flash(_("Thank you! Your pledge is active."), "success")
    return redirect(url_for("pledges.show", pledge_id=pledge.id))


@bp.get("/pledges/<int:pledge_id>")
@login_required
def show(pledge_id: int):
    pledge = own_pledge(pledge_id)
    return render_template("pledges/show.html", pledge=pledge, confirm=ConfirmForm(),
                           terms=pledge_terms(pledge), after_charge=after_charge(pledge),
                           may_confirm_receipt=may_confirm_receipt(pledge),
                           investment=pledge.campaign.kind is CampaignKind.EQUITY,
                           revocable=revocable(pledge), parts=page_parts(pledge))


@bp.route("/pledges/<int:pledge_id>/edit", methods=["GET", "POST"])
@login_required
def edit(pledge_id: int):
    pledge = own_pledge(pledge_id)
    campaign = pledge.campaign
    if campaign.kind is CampaignKind.EQUITY:
        flash(_("An investment cannot be changed: cancel it and invest again."), "info")
        return redirect(url_for("pledges.show", pledge_id=pledge_id))
    form = pledge_form(campaign, add_ons.offered(campaign))
    if request.method == "GET":
        form.tier.data = str(pledge.tier_id) if pledge.tier_id else NO_REWARD
        form.amount.data = pledge.amount.to_decimal()
        form.destination.data = pledge.destination or ""
        for add_on_id, quantity in add_ons.wanted_now(pledge).items():
            if quantity_field(add_on_id) in form:
                form[quantity_field(add_on_id)].data = quantity
    status = 200
    if form.validate_on_submit():
        choice = _choice(form, campaign)
        if choice is not None:
            try:
                services.change_pledge(pledge, current_user, *choice,
                                       extras=form.chosen_add_ons())
            except DomainError as exc:
                db.session.rollback()
                form_error(form, exc)
                status = exc.status_code
            else:
                db.session.commit()
                flash(_("Your pledge is updated."), "success")
                return redirect(url_for("pledges.show", pledge_id=pledge_id))
    if form.is_submitted() and status == 200:
        status = 400
    return render_template("pledges/new.html", form=form, campaign=campaign, pledge=pledge,
                           pledge_add_ons=add_ons.wanted_now(pledge)), status


@bp.post("/pledges/<int:pledge_id>/cancel")
@login_required
def cancel(pledge_id: int):
    pledge = own_pledge(pledge_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    run_action(lambda: services.cancel_pledge(pledge, current_user),
               _("Your investment is cancelled. You will not be charged.")
               if pledge.campaign.is_equity else
               _("Your pledge is cancelled. You will not be charged."), "info")
    return redirect(url_for("pledges.show", pledge_id=pledge.id))


@bp.get("/pledges")
@login_required
def mine():
    return render_template("pledges/mine.html", pledges=queries.pledges_of(current_user))
