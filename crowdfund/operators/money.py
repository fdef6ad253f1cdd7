"""The operators' money pages: settlement overview, one campaign's money, refunds,
cancelling a funded campaign, payouts, the charges CSV and the outbox."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.orm import aliased, selectinload

from crowdfund import fleet, queue
from crowdfund.auth.guards import recent_second_factor
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.db import utcnow
from crowdfund.equity import changes
from crowdfund.equity.models import OfferingChange
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.forms import ConfirmForm
from crowdfund.i18n import _, _l, ngettext
from crowdfund.ledger.services import founder_owed
from crowdfund.money import Money
from crowdfund.notifications.links import expand_links
from crowdfund.notifications.models import OutboxMessage
from crowdfund.operators import bp
from crowdfund.payments.gateway import PaymentError
from crowdfund.pledges.models import (
    NEEDS_PAYMENT_STATUSES,
    Pledge,
    PledgeStatus,
    PledgeTransition,
)
from crowdfund.pledges.totals import totals_of
from crowdfund.queue import Job, JobStatus
from crowdfund.settlement import cards, payouts, refunds
from crowdfund.settlement.books import differences
from crowdfund.settlement.fan_out import CHARGE_BATCH, queue_refunds, subject_of
from crowdfund.settlement.forms import CancelFundedForm, MarkPaidForm, RefundForm
from crowdfund.settlement.models import (
    ChargeAttempt,
    ChargeStatus,
    Payout,
    PayoutStatus,
    Refund,
    RefundStatus,
)
from crowdfund.settlement.outcome import collected_of
from crowdfund.settlement.views import refund_from_form, settler
from crowdfund.supervision import JobFailure, open_failures
from crowdfund.web import csv_cell, csv_response, run_action

S = CampaignStatus

#: The settlement console's lists of campaigns, by where they stand.
LIST_TITLES = {
    "due": _l("Due (past the deadline, not settled yet)"),
    # TRANSLATORS: campaigns whose backers' cards are being charged.
    "charging": _l("Charging"),
    # TRANSLATORS: campaigns collecting failed payments: backers have 7 days to fix theirs.
    "collecting": _l("Collecting (7-day fix window)"),
    "settled": _l("Settled"),
}

#: Where a background job stands, as the console's jobs table says it.
JOB_STATES = {JobStatus.QUEUED: _l("queued"), JobStatus.RUNNING: _l("running"),
              JobStatus.DONE: _l("done"), JobStatus.FAILED: _l("failed")}

#: What a retried charge came to (``Settler.retry`` answers with the charge's status).
RETRY_OUTCOMES = {
    "succeeded": _l("succeeded"), "failed": _l("failed"),
    # TRANSLATORS: a retried charge the backer must confirm with their bank (3-D Secure).
    "requires_action": _l("the backer must confirm it with their bank"),
    "unknown": _l("outcome unknown, being looked up"), "not_sent": _l("not sent"),
    "started": _l("sent, outcome pending")}


def _campaign(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    return campaign


def by_status(campaign_ids: list[int]) -> dict[int, dict[PledgeStatus, tuple[int, Money]]]:
    """Per campaign: pledge count and amount for each status."""
    result: dict[int, dict] = {cid: {} for cid in campaign_ids}
    if not campaign_ids:
        return result
    rows = db.session.execute(
        sa.select(Pledge.campaign_id, Pledge.status, Pledge.currency, sa.func.count(),
                  sa.func.sum(Pledge.amount_minor))
        .where(Pledge.campaign_id.in_(campaign_ids), Pledge.status != PledgeStatus.PENDING)
        .group_by(Pledge.campaign_id, Pledge.status, Pledge.currency))
    for campaign_id, status, currency, count, amount in rows:
        result[campaign_id][status] = (count, Money(int(amount or 0), currency))
    return result


@bp.get("/settlement")
def settlement():
    now = utcnow()
    groups = {
        "due": sa.and_(Campaign.status == S.LIVE, Campaign.deadline <= now),
        "charging": Campaign.status == S.FUNDED,
        "collecting": Campaign.status == S.COLLECTING,
        "settled": Campaign.status == S.SETTLED,
    }
    lists = {key: list(db.session.scalars(sa.select(Campaign).where(where)
                                          .order_by(Campaign.deadline.desc()).limit(100)))
             for key, where in groups.items()}
    ids = [c.id for campaigns in lists.values() for c in campaigns]
    due_payouts = list(db.session.scalars(sa.select(Payout).where(
        Payout.status.in_((PayoutStatus.DUE, PayoutStatus.FAILED, PayoutStatus.STARTED)))
        .order_by(Payout.due_at)))
    campaigns = {c.id: c for c in db.session.scalars(sa.select(Campaign).where(
        Campaign.id.in_([p.campaign_id for p in due_payouts])))}
    failing = NEEDS_PAYMENT_STATUSES
    failures = open_failures()
    errored = db.session.scalar(sa.select(sa.func.count()).select_from(Pledge).where(
        Pledge.status.in_(failing)))
    earlier = aliased(ChargeAttempt)
    latest = (sa.select(sa.func.max(earlier.id)).where(earlier.pledge_id == Pledge.id)
              .correlate(Pledge).scalar_subquery())
    failed = db.session.execute(
        sa.select(Pledge, ChargeAttempt, Campaign).select_from(Pledge)
        .join(ChargeAttempt, ChargeAttempt.id == latest)
        .join(Campaign, Campaign.id == Pledge.campaign_id)
        .where(Pledge.status.in_(failing))
        .options(selectinload(Pledge.backer))
        .order_by(Pledge.payment_failed_at, Pledge.id).limit(100)).all()
    return render_template("operators/settlement.html", lists=lists, stats=by_status(ids),
                           list_titles=LIST_TITLES, job_states=JOB_STATES,
                           job_label=fleet.job_label,
                           due_payouts=due_payouts, payout_campaigns=campaigns,
                           errored=errored, failed=failed, statuses=list(PledgeStatus),
                           paid_form=MarkPaidForm(), confirm=ConfirmForm(),
                           job_failures=failures, undelivered=undelivered_email(),
                           email_waiting=email_waiting(),
                           celery=bool(current_app.config.get("CELERY_BROKER_URL")),
                           unknown=unknown_charges(), jobs=queue.recent(), now=now,
                           cards_left=cards_left(),
                           differences_open=differences.open_count(),
                           fleet=fleet.status(now),
                           batches=_batch_progress(lists["charging"]),
                           retryable={f.id for f in failures if queue.kind_covering(f.job)})


def _batch_progress(campaigns: list[Campaign]) -> dict[int, tuple[int, int]]:
    """Charge batches done and queued per charging campaign (one query for the list)."""
    found = queue.progress([subject_of(c.id) for c in campaigns], CHARGE_BATCH)
    return {c.id: found[subject_of(c.id)] for c in campaigns if subject_of(c.id) in found}


def cards_left() -> list[tuple[Campaign, cards.CardsLeft]]:
    """Campaigns with saved cards still to detach, each with its campaign (one query)."""
    left = cards.left_by_campaign()
    found = {c.id: c for c in db.session.scalars(sa.select(Campaign).where(
        Campaign.id.in_([row.campaign_id for row in left])))}
    return [(found[row.campaign_id], row) for row in left]


def unknown_charges(limit: int = 100) -> list[ChargeAttempt]:
    """Charges whose outcome the gateway has not told us yet (reconciled by the settle loop;
    one still here after a pass needs a look)."""
    return list(db.session.scalars(sa.select(ChargeAttempt).where(
        ChargeAttempt.status == ChargeStatus.UNKNOWN).order_by(ChargeAttempt.id).limit(limit)))


def email_waiting() -> tuple[int, int]:
    """Messages in the outbox not sent yet and not given up, and how many of them were
    never tried (the console counts them: "every email went out" only when none waits)."""
    waiting = sa.and_(OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None))
    total, untried = db.session.execute(sa.select(
        sa.func.count(),
        sa.func.coalesce(sa.func.sum(sa.case((OutboxMessage.attempts == 0, 1), else_=0)), 0))
        .where(waiting)).one()
    return int(total), int(untried)


def undelivered_email(limit: int = 100) -> list[OutboxMessage]:
    """Messages given up on, or failing and waiting for another try."""
    return list(db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.sent_at.is_(None), OutboxMessage.attempts > 0)
        .order_by(OutboxMessage.id.desc()).limit(limit)))


@bp.get("/campaigns/<int:campaign_id>/money")
def money(campaign_id: int):
    campaign = _campaign(campaign_id)
    pledges = list(db.session.scalars(
        sa.select(Pledge).where(Pledge.campaign_id == campaign.id,
                                Pledge.status != PledgeStatus.PENDING)
        .options(selectinload(Pledge.backer)).order_by(Pledge.id).limit(500)))
    attempts: dict[int, ChargeAttempt] = {}
    for attempt in db.session.scalars(sa.select(ChargeAttempt).where(
            ChargeAttempt.campaign_id == campaign.id).order_by(ChargeAttempt.attempt_no)):
        attempts[attempt.pledge_id] = attempt  # the latest per pledge
    payout = db.session.scalar(sa.select(Payout).where(Payout.campaign_id == campaign.id))
    history = list(db.session.scalars(
        sa.select(PledgeTransition).join(Pledge, Pledge.id == PledgeTransition.pledge_id)
        .where(Pledge.campaign_id == campaign.id)
        .order_by(PledgeTransition.id.desc()).limit(100)))
    refund_rows = list(db.session.scalars(sa.select(Refund).where(
        Refund.campaign_id == campaign.id).order_by(Refund.id.desc())))
    return render_template(
        "operators/money.html", campaign=campaign, totals=totals_of(campaign),
        collected=collected_of(campaign),
        stats=by_status([campaign.id])[campaign.id], pledges=pledges, attempts=attempts,
        payout=payout, owed=founder_owed(campaign.id, campaign.currency), history=history,
        refunds=refund_rows, refund_form=RefundForm(), cancel_form=CancelFundedForm(),
        paid_form=MarkPaidForm(), confirm=ConfirmForm(),
        refundable=refunds.refundable_of(
            [p for p in pledges if p.status is PledgeStatus.COLLECTED]))


@bp.post("/pledges/<int:pledge_id>/refund")
@recent_second_factor
def refund(pledge_id: int):
    pledge = db.session.get(Pledge, pledge_id) or abort(404)
    refund_from_form(pledge, RefundForm(), current_user)
    return redirect(url_for("operators.money", campaign_id=pledge.campaign_id))


@bp.post("/pledges/<int:pledge_id>/retry")
def retry(pledge_id: int):
    """Charge a pledge whose payment failed once more, with its saved card."""
    pledge = db.session.get(Pledge, pledge_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    campaign_id = pledge.campaign_id
    if not pledge.needs_payment or pledge.campaign.status not in (S.FUNDED, S.COLLECTING):
        flash(_("This pledge has nothing to retry."), "error")
        return redirect(url_for("operators.money", campaign_id=campaign_id))
    try:
        done = settler().retry(pledge_id)
        outcome = str(RETRY_OUTCOMES.get(done, done))
    except PaymentError as exc:
        outcome = str(exc.user_message)
    flash(_("Retry of pledge %(id)s: %(outcome)s.", id=pledge_id, outcome=outcome), "info")
    return redirect(url_for("operators.money", campaign_id=campaign_id))


@bp.post("/campaigns/<int:campaign_id>/cancel-funded")
def cancel_funded(campaign_id: int):
    campaign = _campaign(campaign_id)
    form = CancelFundedForm()
    if not form.validate_on_submit():
        flash(_("Give a reason (at least 5 characters)."), "error")
        return redirect(url_for("operators.money", campaign_id=campaign.id))
    try:
        made = refunds.cancel_funded(campaign, current_user, form.reason.data)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("operators.money", campaign_id=campaign.id))
    # Its refunds, and cancelling 3-D Secure payments nobody may complete now, as a job:
    # the page returns at once; the settlement console shows the job.
    job = queue_refunds(campaign.id, requested_by=current_user.id)
    db.session.commit()
    flash(ngettext("Campaign cancelled. %(num)s refund queued (job %(job)s); the settlement "
                   "console shows its progress.",
                   "Campaign cancelled. %(num)s refunds queued (job %(job)s); the settlement "
                   "console shows their progress.", len(made), job=job.id), "info")
    return redirect(url_for("operators.money", campaign_id=campaign_id))


@bp.post("/jobs/<int:job_id>/retry")
def retry_job(job_id: int):
    """A failed job queued again from its first attempt."""
    job = db.session.get(Job, job_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if queue.retry(job):
        db.session.commit()
        flash(_("Job %(id)s (%(label)s) queued again.", id=job_id,
                label=fleet.job_label(job.kind, job.args)), "success")
    else:
        flash(_("Job %(id)s is not failed, or the same work is already waiting.", id=job_id),
              "info")
    return redirect(url_for("operators.settlement"))


@bp.post("/failures/<int:failure_id>/retry")
def retry_failure(failure_id: int):
    """Run now the pass whose loop a failed item belongs to (it retries its items)."""
    failure = db.session.get(JobFailure, failure_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    kind = queue.kind_covering(failure.job)
    if kind is None:
        flash(_("That item is retried by its own loop only."), "info")
        return redirect(url_for("operators.settlement"))
    job = queue.enqueue(kind, key=kind, requested_by=current_user.id)
    db.session.commit()
    # TRANSLATORS: "kind" is a job's kind ("settle pass"); "job" and "item" what failed
    # ("detach card", "12"): the loop's code name and the item's id, left as they are.
    flash(_("The %(kind)s queued (job %(id)s): it retries %(job)s %(item)s.",
            kind=fleet.job_kind(kind), id=job.id, job=failure.job, item=failure.item),
          "success")
    return redirect(url_for("operators.settlement"))


@bp.post("/payouts/<int:payout_id>/paid")
def mark_paid(payout_id: int):
    payout = db.session.get(Payout, payout_id) or abort(404)
    form = MarkPaidForm()
    if not form.validate_on_submit():
        flash(_("Enter the payment reference (at least 3 characters)."), "error")
    else:
        run_action(lambda: payouts.mark_paid(payout, current_user, form.reference.data),
                   lambda _done: _("Payout of %(amount)s marked paid.",
                                   amount=payout.amount.format()))
    return redirect(url_for("operators.money", campaign_id=payout.campaign_id))


@bp.get("/campaigns/<int:campaign_id>/charges.csv")
def charges_csv(campaign_id: int):
    """Every charge attempt of a campaign, with its refunds, for reconciliation."""
    campaign = _campaign(campaign_id)
    refunded = dict(db.session.execute(
        sa.select(Refund.attempt_id, sa.func.sum(Refund.amount_minor))
        .where(Refund.campaign_id == campaign.id, Refund.status == RefundStatus.SUCCEEDED)
        .group_by(Refund.attempt_id)).all())
    rows = db.session.scalars(sa.select(ChargeAttempt).where(
        ChargeAttempt.campaign_id == campaign.id).order_by(ChargeAttempt.id))
    return csv_response(
        f"{campaign.slug}-charges.csv",
        ["attempt_id", "pledge_id", "backer_email", "attempt_no", "idempotency_key",
         "payment_intent", "status", "amount", "refunded", "currency", "error_code",
         "error_message", "started_at", "finished_at"],
        ([a.id, a.pledge_id, a.pledge.backer.email, a.attempt_no, a.idempotency_key,
          a.payment_intent_id or "", a.status.value, a.amount.to_decimal(),
          Money(int(refunded.get(a.id, 0)), a.currency).to_decimal(), a.currency,
          a.error_code or "", csv_cell(a.error_message), a.created_at.isoformat(),
          a.finished_at.isoformat() if a.finished_at else ""] for a in rows))


@bp.get("/outbox")
def outbox():
    """What the platform would have emailed (development and testing only)."""
    if current_app.config["ENV_NAME"] == "production":
        abort(404)
    messages = list(db.session.scalars(sa.select(OutboxMessage)
                                       .order_by(OutboxMessage.id.desc()).limit(100)))
    # Development: the account links are shown usable, so that a person trying the platform
    # without SMTP can confirm an address or reset a password from here.
    return render_template("operators/outbox.html", messages=messages, expand=expand_links)




@bp.post("/offering-changes/<int:change_id>/<any(material, 'not-material'):kind>")
def decide_offering_change(change_id: int, kind: str):
    """Apply a founder's change of a live offering, judged material or not."""
    change = db.session.get(OfferingChange, change_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    campaign_id = change.offering.campaign_id
    run_action(lambda: changes.decide(change, current_user, material=kind == "material"),
               lambda count: (ngettext("Applied as material: %(num)s investor must reconfirm "
                                       "within 5 business days.",
                                       "Applied as material: %(num)s investors must reconfirm "
                                       "within 5 business days.", count)
                              if kind == "material" else _("Applied; no reconfirmation needed.")))
    return redirect(url_for("operators.review", campaign_id=campaign_id))
