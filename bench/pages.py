"""Pages against a bare Flask page on the same database, as ratios measured in the same run.

    .venv/bin/python bench/pages.py [--pledges 2000] [--rounds 7] [--requests 40]
                                    [--database-url postgresql://...]

It builds a fresh database (SQLite in a temporary folder unless ``--database-url``), seeds
a live campaign with ``--pledges`` pledges spread over its days, tiers, a story, comments
with replies and updates, plus a page of other live campaigns, and a **bare** Flask +
Flask-SQLAlchemy app on the same database: one SELECT of the campaign and a template that
renders as many bytes as our campaign page. Then, in interleaved rounds (every target once
per round, in turn), it times ``--requests`` requests of each target through the WSGI app
in this process, and prints each target's median requests/s and its ratio to the bare
page's median of the same rounds. A ratio, never a timing assertion (issue 12 sets the
goals: anonymous campaign page and home >= 0.8, signed-in backer >= 0.4, discover >= 0.5).

Anonymous pages are measured with the page cache as in production (each round starts
with it empty: the first request renders, the others within 5 s are served kept) and
with it off, which is what a cache miss costs.

The HTTP server is left out on purpose (gunicorn's share is the same for both apps):
this measures what our code costs per request.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import bench_app  # noqa: E402 - after the path is set

STORY = """## What we are making

A kettle that boils water with sunlight, for camping and for kitchens without power.
It folds flat, weighs 900 g and boils a litre in 25 minutes of direct sun.

- **Vacuum tube** borosilicate glass
- **Reflector** recycled aluminium
- [Test results](https://example.com/tests)

| Part | Supplier | Status |
| --- | --- | --- |
| Tube | Glassworks | sampled |
| Reflector | Alu Co | tooling |
""" * 3


def seed(app, pledges: int) -> dict:
    from crowdfund.auth import passwords
    from crowdfund.auth.models import IdentityVerification, User, VerificationStatus
    from crowdfund.campaigns.models import BudgetLine, Campaign, RewardTier
    from crowdfund.campaigns.states import CampaignStatus
    from crowdfund.community.models import CampaignUpdate, Comment
    from crowdfund.db import utcnow
    from crowdfund.extensions import db
    from crowdfund.pledges.models import Pledge, PledgeStatus

    now = utcnow()
    with app.app_context():
        password = passwords.hash_password("bench password")
        founder = User(email="founder@bench.invalid", password_hash=password,
                       display_name="Ada Founder",
                       email_verified_at=utcnow())
        db.session.add(founder)
        db.session.flush()
        db.session.add(IdentityVerification(user_id=founder.id, legal_name="Ada Founder",
                                            status=VerificationStatus.VERIFIED))
        campaigns = []
        for n in range(13):
            campaign = Campaign(
                slug=f"bench-{n}", founder_id=founder.id, title=f"Solar kettle {n}",
                blurb="Boil water with sunlight, anywhere.", category="technology",
                goal_minor=5_000_000, currency="USD", status=CampaignStatus.LIVE,
                duration_days=30, launched_at=now - timedelta(days=20),
                deadline=now + timedelta(days=10), cover_path=None,
                description_md=STORY, risks_md="Tooling may slip by a month; we will say so.")
            for i in range(5):
                campaign.tiers.append(RewardTier(
                    title=f"Tier {i}", minimum_minor=2_500 * (i + 1), position=i,
                    quantity_limit=500 if i % 2 else None, description="One kettle."))
            campaign.budget_lines.append(BudgetLine(label="Tooling", amount_minor=2_000_000))
            db.session.add(campaign)
            campaigns.append(campaign)
        db.session.flush()
        main = campaigns[0]
        backers = [User(email=f"b{i}@bench.invalid", password_hash=password,
                        display_name=f"Backer {i}",
                        email_verified_at=utcnow()) for i in range(pledges)]
        db.session.add_all(backers)
        db.session.flush()
        for i, backer in enumerate(backers):
            db.session.add(Pledge(
                campaign_id=main.id, backer_id=backer.id, status=PledgeStatus.ACTIVE,
                tier_id=main.tiers[i % 5].id, amount_minor=2_500 * (i % 5 + 1),
                currency="USD", created_at=now - timedelta(days=i % 20, minutes=i)))
        for i in range(30):
            top = Comment(campaign_id=main.id, author_id=backers[i % len(backers)].id,
                          body=f"Question {i}: does it work in winter?", kind="question")
            db.session.add(top)
            db.session.flush()
            db.session.add(Comment(campaign_id=main.id, author_id=founder.id,
                                   parent_id=top.id, body="Yes, more slowly."))
        for i in range(3):
            db.session.add(CampaignUpdate(campaign_id=main.id, number=i + 1,
                                          title=f"Update {i + 1}", body_md=STORY[:400],
                                          visibility="public", author_id=founder.id))
        db.session.commit()
        return {"slug": main.slug, "campaign_id": main.id, "backer": backers[0].email,
                "founder": founder.email}


def bare_app(database_url: str, size: int):
    """One SELECT and a template of ``size`` bytes: the floor a page cannot go under."""
    import sqlalchemy as sa
    from flask import Flask, render_template_string
    from flask_sqlalchemy import SQLAlchemy

    app = Flask("bare")
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url
    db = SQLAlchemy(app)
    template = ("<!doctype html><title>{{ row.title }}</title><h1>{{ row.title }}</h1>"
                "<p>{{ row.blurb }}</p><p>{{ row.goal_minor }}</p><div>{{ pad }}</div>")

    @app.get("/campaigns/<slug>")
    def page(slug):
        row = db.session.execute(sa.text(
            "SELECT id, title, blurb, goal_minor FROM campaigns WHERE slug = :slug"),
            {"slug": slug}).one()
        return render_template_string(template, row=row, pad="x" * max(size - 200, 0))

    return app


def sign_in(app, email: str):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": "bench password"})
    assert response.status_code == 302, response.status_code
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pledges", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    app, url, _folder = bench_app(args.database_url, PAGE_CACHE_SECONDS=5)  # as in production
    world = seed(app, args.pledges)
    anonymous = app.test_client()
    backer, founder = sign_in(app, world["backer"]), sign_in(app, world["founder"])
    page = f"/campaigns/{world['slug']}"
    size = len(anonymous.get(page).data)
    bare = bare_app(url, size).test_client()
    cached = 5  # seconds, as in production (PAGE_CACHE_SECONDS)
    targets = {  # name: (client, path, page cache seconds)
        "bare page (1 SELECT + template)": (bare, page, 0),
        "campaign page, anonymous": (anonymous, page, cached),
        "campaign page, anonymous, cache off": (anonymous, page, 0),
        "campaign page, signed-in backer": (backer, page, cached),
        "home": (anonymous, "/", cached),
        "home, cache off": (anonymous, "/", 0),
        "discover": (anonymous, "/discover", cached),
        "discover, cache off": (anonymous, "/discover", 0),
        f"studio backers ({args.pledges} pledges)": (
            founder, f"/studio/{world['campaign_id']}/backers", cached),
    }
    for client, path, _ in targets.values():  # warm-up, and every target answers
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    rates: dict[str, list[float]] = {name: [] for name in targets}
    for _round in range(args.rounds):
        for name, (client, path, seconds) in targets.items():
            app.config["PAGE_CACHE_SECONDS"] = seconds
            app.extensions["page_cache"].clear()  # every round starts cold
            start = time.perf_counter()
            for _ in range(args.requests):
                client.get(path)
            rates[name].append(args.requests / (time.perf_counter() - start))
    base = statistics.median(rates["bare page (1 SELECT + template)"])
    engine = url.split(":", 1)[0].split("+", 1)[0]
    print(f"pages on {engine}, {args.pledges} pledges, {args.rounds} rounds x "
          f"{args.requests} requests, our page {size} bytes")
    print(f"{'target':44} {'req/s':>8} {'ratio':>6}")
    for name, values in rates.items():
        rate = statistics.median(values)
        print(f"{name:44} {rate:8.1f} {rate / base:6.2f}")


if __name__ == "__main__":
    main()
