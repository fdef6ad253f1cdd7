"""Campaigns: the founder's studio, review and launch, and the public campaign page."""

from flask import Blueprint
from flask_login import login_required

from crowdfund.campaigns.categories import CATEGORIES

bp = Blueprint("campaigns", __name__, cli_group="campaigns")
studio_bp = Blueprint("studio", __name__, url_prefix="/studio")


@studio_bp.before_request
@login_required
def _signed_in():
    """Every studio page (whichever package serves it) needs a signed-in user."""


@bp.app_context_processor
def _categories() -> dict:
    return {"all_categories": CATEGORIES}  # the site's navigation lists them on every page
