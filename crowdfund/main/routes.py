"""Home, discover (category, search, sort, pages) and uploaded images."""

from __future__ import annotations

import re

from flask import Response, abort, render_template, request

from crowdfund.auth.identity import PRIVATE_FOLDER
from crowdfund.campaigns.categories import CATEGORIES
from crowdfund.campaigns.states import CampaignKind
from crowdfund.main import bp
from crowdfund.main.queries import SORTS, STAGES, category_counts, discover, home_page
from crowdfund.pagecache import public_page
from crowdfund.pledges.totals import shown_totals_for
from crowdfund.storage import storage
from crowdfund.web import MAX_PAGE, int_arg, text_arg


@bp.get("/")
@public_page
def index():
    home = home_page()
    counts = category_counts()
    return render_template("main/index.html", home=home, sort_labels=SORTS,
                           totals=shown_totals_for(home.campaigns), categories=CATEGORIES,
                           counts=counts, live=sum(counts.values()))


#: The discover page's "type" filter: reward campaigns or equity offerings.
KINDS = {"reward": CampaignKind.REWARD, "equity": CampaignKind.EQUITY}


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
    kind = KINDS.get(request.args.get("kind", ""))  # anything else: every kind
    stage = request.args.get("stage", "live")
    if stage not in STAGES:
        stage = "live"
    results = discover(q=q or None, category=category, sort=sort, page=page, kind=kind,
                       stage=stage)
    return render_template(
        "main/discover.html", results=results, totals=shown_totals_for(results.items), q=q,
        sort=sort, sorts=SORTS, category=category, categories=CATEGORIES,
        counts=category_counts(), kind=kind.value if kind else "", stage=stage,
        stages=STAGES,
    )



#: What stored keys look like (older uploads have 32 random hex digits, newer ones the
#: content's hash); anything else is not ours.
UPLOAD_KEY = re.compile(r"^[a-z]+/[0-9a-f]{32,64}\.(jpg|png|webp|pdf)$")


@bp.get("/uploads/<path:filename>")
def uploads(filename: str):
    """A stored upload. Its name is its content's hash: cached for a year by browsers and
    proxies. Documents download; they are never shown inline on our origin."""
    # Identity documents are in a private folder: operators read them on their own page.
    public = UPLOAD_KEY.match(filename) and not filename.startswith(f"{PRIVATE_FOLDER}/")
    found = storage().get(filename) if public else None
    if found is None:
        abort(404)
    response = Response(found.data, mimetype=found.content_type)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.set_etag(filename.rsplit("/", 1)[-1].split(".", 1)[0])
    if filename.endswith(".pdf"):
        response.headers["Content-Disposition"] = (
            f'attachment; filename="{filename.rsplit("/", 1)[-1]}"')
    return response.make_conditional(request)
