"""Discovery: home page, category and search listings, uploaded files."""

from flask import Blueprint

bp = Blueprint("main", __name__)
