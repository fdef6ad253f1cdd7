"""The operators' console: review queue, audit trail, founder verification, suspension."""

from flask import Blueprint

bp = Blueprint("operators", __name__, url_prefix="/operators")
