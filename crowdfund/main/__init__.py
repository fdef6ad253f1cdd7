"""Discovery: home page, category and search listings, uploaded files."""

from flask import Blueprint

bp = Blueprint("main", __name__)

from crowdfund.main import routes  # noqa: E402,F401
