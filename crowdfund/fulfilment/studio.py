"""The founder's pledge manager in the studio: the questions of each reward's survey, the
backers' progress, the fulfilment CSV, and "shipping" (which locks the addresses: it is
the tier's delivery status, posted as on the delivery page)."""

from __future__ import annotations

from flask import abort, redirect, render_template, url_for
from flask_login import current_user

from crowdfund.campaigns import studio_bp
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignKind
from crowdfund.campaigns.web import own_campaign, own_tier
from crowdfund.community.delivery import FUNDED_STATUSES, report_delivery
from crowdfund.community.models import DeliveryStatus
from crowdfund.forms import ConfirmForm
from crowdfund.fulfilment import export, questions
from crowdfund.fulfilment.forms import QuestionForm, RemoveQuestionForm
from crowdfund.i18n import _
from crowdfund.web import csv_response, int_arg, run_action, submit_form


def _reward_campaign(campaign_id: int) -> Campaign:
    campaign = own_campaign(campaign_id)
    if campaign.kind is not CampaignKind.REWARD:
        abort(404)
    return campaign


def fulfilment_page(campaign: Campaign, forms: dict | None = None, status: int = 200,
                    template: str = "studio/fulfilment.html", **extra):
    """The page of a campaign's surveys (the founder's, or an operator's: ``template``)."""
    progress = export.progress_of(campaign)
    answered = questions.answered_question_ids(q.id for p in progress for q in p.questions)
    forms = {t.id: QuestionForm(formdata=None, prefix=_prefix(t.id)) for t in campaign.tiers
             } | (forms or {})
    return render_template(
        template, campaign=campaign, progress=progress, answered=answered,
        funded=campaign.status in FUNDED_STATUSES, forms=forms,
        remove=RemoveQuestionForm(formdata=None), confirm=ConfirmForm(), **extra), status


def _prefix(tier_id: int) -> str:
    """Each reward's question form has fields of its own (ids unique on the page)."""
    return f"tier{tier_id}"


@studio_bp.get("/<int:campaign_id>/fulfilment")
def fulfilment(campaign_id: int):
    return fulfilment_page(_reward_campaign(campaign_id))


@studio_bp.get("/<int:campaign_id>/fulfilment.csv")
def fulfilment_csv(campaign_id: int):
    """Every backer to deliver to (``?tier=<id>``: of one reward), with the address and
    the answers; formula-safe."""
    campaign = _reward_campaign(campaign_id)
    return fulfilment_csv_of(campaign)


def fulfilment_csv_of(campaign: Campaign):
    tier_id = int_arg("tier")
    if tier_id is not None and tier_id not in {t.id for t in campaign.tiers}:
        abort(404)
    asked = export.all_questions(campaign, tier_id)
    return csv_response(f"{campaign.slug}-fulfilment.csv", export.header(asked),
                        export.rows(campaign, asked, tier_id))


@studio_bp.post("/<int:campaign_id>/fulfilment/tiers/<int:tier_id>/questions")
def add_question(campaign_id: int, tier_id: int):
    campaign = _reward_campaign(campaign_id)
    tier = own_tier(campaign, tier_id)
    form = QuestionForm(prefix=_prefix(tier.id))
    if form.validate_on_submit() and submit_form(
            form, lambda: questions.add_question(campaign, current_user, tier.id,
                                                 form.kind.data, form.prompt.data,
                                                 form.options.data or "", form.required.data),
            _("The question is added to the survey of %(reward)s.", reward=tier.title)):
        return redirect(url_for("studio.fulfilment", campaign_id=campaign.id) + f"#tier-{tier.id}")
    return fulfilment_page(campaign, {tier.id: form}, 400)


@studio_bp.post("/<int:campaign_id>/fulfilment/tiers/<int:tier_id>/questions/remove")
def remove_question(campaign_id: int, tier_id: int):
    campaign = _reward_campaign(campaign_id)
    tier = own_tier(campaign, tier_id)
    form = RemoveQuestionForm()
    if form.validate_on_submit():
        run_action(lambda: questions.remove_question(campaign, current_user, tier.id,
                                                     form.question_id.data),
                   _("The question is removed."))
    else:
        abort(400)
    return redirect(url_for("studio.fulfilment", campaign_id=campaign.id) + f"#tier-{tier.id}")


@studio_bp.post("/<int:campaign_id>/fulfilment/tiers/<int:tier_id>/shipping")
def mark_shipping(campaign_id: int, tier_id: int):
    """The reward ships: its delivery status (on the campaign page) becomes "shipping",
    and its backers' addresses and answers lock."""
    campaign = _reward_campaign(campaign_id)
    tier = own_tier(campaign, tier_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    run_action(lambda: report_delivery(campaign, current_user, tier.id,
                                       DeliveryStatus.SHIPPING.value, None, ""),
               _("%(reward)s is shipping: its addresses and answers are locked.",
                 reward=tier.title))
    return redirect(url_for("studio.fulfilment", campaign_id=campaign.id) + f"#tier-{tier.id}")
