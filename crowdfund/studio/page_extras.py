"""The campaign page's extras in the studio: the FAQ (add, edit, reorder, remove) and a
picture per reward and per add-on (docs/domain.md#the-campaign-page)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from crowdfund.campaigns import faq, studio_bp
from crowdfund.campaigns.add_on_models import AddOn
from crowdfund.campaigns.faq import FaqEntry
from crowdfund.campaigns.models import Campaign, RewardTier
from crowdfund.campaigns.page_forms import FaqForm, RewardImageForm
from crowdfund.campaigns.reward_images import require_images_editable, set_image
from crowdfund.campaigns.web import own_campaign, own_tier
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.forms import ConfirmForm
from crowdfund.i18n import _
from crowdfund.uploads import UploadError, delete_upload, save_image
from crowdfund.web import form_error, form_status, run_action, submit_form


def _own_entry(campaign: Campaign, entry_id: int) -> FaqEntry:
    entry = db.session.get(FaqEntry, entry_id)
    if entry is None or entry.campaign_id != campaign.id:
        abort(404)
    return entry


@studio_bp.route("/<int:campaign_id>/faq", methods=["GET", "POST"])
@studio_bp.route("/<int:campaign_id>/faq/<int:entry_id>", methods=["GET", "POST"])
def faq_page(campaign_id: int, entry_id: int | None = None):
    """The FAQ, with a form that adds a question, or edits the entry ``entry_id``."""
    campaign = own_campaign(campaign_id)
    entry = _own_entry(campaign, entry_id) if entry_id is not None else None
    form = FaqForm(obj=entry)
    if form.validate_on_submit() and submit_form(form, lambda: (
            faq.add_entry(campaign, current_user, form.question.data, form.answer_md.data)
            if entry is None else faq.update_entry(entry, campaign, current_user,
                                                   form.question.data, form.answer_md.data)),
            _("Question added.") if entry is None else _("Question saved.")):
        return redirect(url_for("studio.faq_page", campaign_id=campaign.id))
    return render_template("studio/faq.html", form=form, campaign=campaign, editing=entry,
                           entries=faq.faq_of(campaign), editable=campaign.status
                           in faq.FAQ_STATUSES, max_entries=faq.MAX_ENTRIES,
                           confirm=ConfirmForm()), form_status(form)


@studio_bp.post("/<int:campaign_id>/faq/<int:entry_id>/delete")
def delete_faq_entry(campaign_id: int, entry_id: int):
    campaign = own_campaign(campaign_id)
    entry = _own_entry(campaign, entry_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    run_action(lambda: faq.delete_entry(entry, campaign, current_user), _("Question removed."))
    return redirect(url_for("studio.faq_page", campaign_id=campaign.id))


@studio_bp.post("/<int:campaign_id>/faq/<int:entry_id>/<any(up, down):action>")
def move_faq_entry(campaign_id: int, entry_id: int, action: str):
    campaign = own_campaign(campaign_id)
    entry = _own_entry(campaign, entry_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    run_action(lambda: faq.move_entry(entry, campaign, current_user, up=action == "up"),
               _("Question moved."))
    return redirect(url_for("studio.faq_page", campaign_id=campaign.id) + f"#faq-{entry.id}")


def _own_add_on(campaign: Campaign, add_on_id: int) -> AddOn:
    add_on = db.session.get(AddOn, add_on_id)
    if add_on is None or add_on.campaign_id != campaign.id:
        abort(404)
    return add_on


def _item(campaign_id: int, tier_id: int | None,
          add_on_id: int | None) -> tuple[Campaign, RewardTier | AddOn]:
    campaign = own_campaign(campaign_id)
    if tier_id is not None:
        return campaign, own_tier(campaign, tier_id)
    return campaign, _own_add_on(campaign, add_on_id)


def _back(campaign: Campaign, item: RewardTier | AddOn):
    return redirect(url_for("studio.rewards" if isinstance(item, RewardTier)
                            else "studio.add_ons", campaign_id=campaign.id))


@studio_bp.route("/<int:campaign_id>/rewards/<int:tier_id>/image", methods=["GET", "POST"])
@studio_bp.route("/<int:campaign_id>/add-ons/<int:add_on_id>/image", methods=["GET", "POST"])
def reward_image(campaign_id: int, tier_id: int | None = None, add_on_id: int | None = None):
    """A reward's or an add-on's picture: upload one (replacing the last), checked before
    anything is stored; a refused file is said next to the field."""
    campaign, item = _item(campaign_id, tier_id, add_on_id)
    form = RewardImageForm()
    if form.validate_on_submit():
        try:
            require_images_editable(campaign, current_user)
            key = save_image(form.image.data, "rewards",
                             max_bytes=current_app.config["REWARD_IMAGE_MAX_BYTES"],
                             max_size=current_app.config["REWARD_IMAGE_MAX_SIZE"],
                             min_size=current_app.config["REWARD_IMAGE_MIN_SIZE"])
            old = set_image(item, current_user, key)
        except UploadError as exc:
            db.session.rollback()
            form.image.errors = [*form.image.errors, str(exc)]
        except DomainError as exc:
            db.session.rollback()
            form_error(form, exc)
        else:
            db.session.commit()
            if old and old != key:
                delete_upload(old)
            flash(_("Image saved."), "success")
            return _back(campaign, item)
    tier = isinstance(item, RewardTier)
    return render_template("studio/reward_image.html", form=form, campaign=campaign, item=item,
                           kind="rewards" if tier else "add-ons",
                           name=item.title if tier else item.name,
                           item_args={"tier_id": item.id} if tier else {"add_on_id": item.id},
                           confirm=ConfirmForm()), form_status(form)


@studio_bp.post("/<int:campaign_id>/rewards/<int:tier_id>/image/delete")
@studio_bp.post("/<int:campaign_id>/add-ons/<int:add_on_id>/image/delete")
def delete_reward_image(campaign_id: int, tier_id: int | None = None,
                        add_on_id: int | None = None):
    campaign, item = _item(campaign_id, tier_id, add_on_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    old = item.image_path
    if run_action(lambda: set_image(item, current_user, None), _("Image removed.")):
        delete_upload(old)
    return _back(campaign, item)
