"""Home, discover (category, search, sort, pages) and uploaded images."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, render_template, request, send_from_directory

from crowdfund.campaigns.categories import CATEGORIES
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.queries import CARD_LOADS
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.extensions import db
from crowdfund.main import bp
from crowdfund.main.queries import SORTS, category_counts, discover
from crowdfund.pagecache import public_page
from crowdfund.pledges.totals import shown_totals_for
from crowdfund.uploads import upload_root
from crowdfund.web import MAX_PAGE, int_arg, text_arg


@bp.get("/")
@public_page
def index():
    sections = {
        key: discover(sort=key, per_page=4, count=False).items
        for key in ("newest", "ending", "funded")
    }
    picks = list(db.session.scalars(
        sa.select(Campaign).where(Campaign.status == CampaignStatus.LIVE,
                                  Campaign.staff_pick.is_(True)).limit(4).options(*CARD_LOADS)
    ))
    shown = {c.id: c for items in [*sections.values(), picks] for c in items}
    return render_template("main/index.html", sections=sections, sort_labels=SORTS,
                           picks=picks, totals=shown_totals_for(list(shown.values())),
                           categories=CATEGORIES, counts=category_counts())


@bp.get("/discover")
@bp.get("/discover/<category>")
@public_page
def discover_page(category: str | None = None):
    if category is not None and category not in CATEGORIES:
        abort(404)
    q = text_arg("q")
    sort = request.args.get("sort", "newest")
    if sort not in SORTS:
        sort = "newest"
    page = int_arg("page", 1, high=MAX_PAGE)
    results = discover(q=q or None, category=category, sort=sort, page=page)
    return render_template(
        "main/discover.html", results=results, totals=shown_totals_for(results.items), q=q,
        sort=sort, sorts=SORTS, category=category, categories=CATEGORIES,
        counts=category_counts(),
    )


@bp.get("/uploads/<path:filename>")
def uploads(filename: str):
    # Documents download; they are never shown inline on our origin.
    return send_from_directory(upload_root(), filename, max_age=86400,
                               as_attachment=filename.endswith(".pdf"))
