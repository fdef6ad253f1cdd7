"""Campaigns: the founder's studio, review and launch, and the public campaign page."""

from flask import Blueprint

from crowdfund.campaigns.categories import CATEGORIES

bp = Blueprint("campaigns", __name__, cli_group="campaigns")
studio_bp = Blueprint("studio", __name__, url_prefix="/studio")


@bp.app_context_processor
def _categories() -> dict:
    return {"all_categories": CATEGORIES}  # the site's navigation lists them on every page
