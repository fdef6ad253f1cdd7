"""Campaigns: the founder's studio, review and launch, and the public campaign page."""

from flask import Blueprint

bp = Blueprint("campaigns", __name__, cli_group="campaigns")
studio_bp = Blueprint("studio", __name__, url_prefix="/studio")

from crowdfund.campaigns import cli, routes, studio  # noqa: E402,F401
