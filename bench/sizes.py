"""Does a page cost more when its campaign is bigger? Size factors measured in one run.

    .venv/bin/python bench/sizes.py [--small 200] [--large 185000] [--rounds 7]
                                    [--requests 20] [--database-url postgresql://...]

One database (SQLite in a temporary folder unless ``--database-url``) holds two live
campaigns alike in everything but size: the small one has ``--small`` pledges, the large
one ``--large``, each with backers, a tenth as many comments (half of them answered),
followers for half its backers and an update per 2,000 pledges (at least 3), spread over
20 days. Both are in the same file, so the database's size, caches and the process's
heap are the same for both. In interleaved rounds it times ``--requests`` uncached
requests (``PAGE_CACHE_SECONDS=0``: what every cache miss, and every signed-in reader,
costs) of each campaign's page for an anonymous visitor and for a signed-in backer of
both, and prints the medians and the size factor, large / small (issue 30's goal: <= 1.5).
A ratio of two medians of the same run, never a timing assertion.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import bench_app  # noqa: E402 - after the path is set
from bench.pages import STORY, sign_in  # noqa: E402

CHUNK = 5000


def _insert(table, rows: list[dict]) -> None:
    from crowdfund.extensions import db

    for start in range(0, len(rows), CHUNK):
        db.session.execute(table.insert(), rows[start:start + CHUNK])


def seed(app, sizes: dict[str, int]) -> dict:
    """The two campaigns and their people, written in bulk (then the kept day totals
    rebuilt from the pledges, as the ORM would have kept them)."""
    import sqlalchemy as sa

    from crowdfund.auth import passwords
    from crowdfund.auth.models import User
    from crowdfund.campaigns.models import Campaign, RewardTier
    from crowdfund.campaigns.states import CampaignStatus
    from crowdfund.community import counts
    from crowdfund.community.models import CampaignUpdate, Comment, Follow
    from crowdfund.db import utcnow
    from crowdfund.extensions import db
    from crowdfund.pledges import summary
    from crowdfund.pledges.models import Pledge

    now = utcnow()
    people = max(sizes.values())
    with app.app_context():
        password = passwords.hash_password("bench password")
        _insert(User.__table__, [
            {"email": f"b{i}@bench.invalid", "password_hash": password,
             "display_name": f"Backer {i}", "email_verified_at": now}
            for i in range(people + 1)])
        ids = list(db.session.scalars(sa.select(User.id).order_by(User.id)))
        founder, backers = ids[-1], ids[:-1]
        world = {}
        for name, size in sizes.items():
            campaign = Campaign(
                slug=f"sizes-{name}", founder_id=founder, title=f"Solar kettle ({name})",
                blurb="Boil water with sunlight, anywhere.", category="technology",
                goal_minor=5_000_000, currency="USD", status=CampaignStatus.LIVE,
                duration_days=30, launched_at=now - timedelta(days=20),
                deadline=now + timedelta(days=10), description_md=STORY,
                risks_md="Tooling may slip by a month; we will say so.")
            for i in range(5):
                campaign.tiers.append(RewardTier(
                    title=f"Tier {i}", minimum_minor=2_500 * (i + 1), position=i,
                    quantity_limit=None if i % 2 else size, description="One kettle."))
            db.session.add(campaign)
            db.session.flush()
            tiers = [t.id for t in campaign.tiers]
            _insert(Pledge.__table__, [
                {"campaign_id": campaign.id, "backer_id": backers[i], "status": "active",
                 "tier_id": tiers[i % 5], "amount_minor": 2_500 * (i % 5 + 1),
                 "currency": "USD",
                 "created_at": now - timedelta(days=i % 20, seconds=i)}
                for i in range(size)])
            threads = max(30, size // 10)
            _insert(Comment.__table__, [
                {"campaign_id": campaign.id, "author_id": backers[i % size],
                 "body": f"Question {i}: does it work in winter?", "kind": "question",
                 "status": "visible", "created_at": now - timedelta(seconds=threads - i)}
                for i in range(threads)])
            firsts = list(db.session.scalars(sa.select(Comment.id).where(
                Comment.campaign_id == campaign.id).order_by(Comment.id)))
            _insert(Comment.__table__, [
                {"campaign_id": campaign.id, "author_id": founder, "parent_id": first,
                 "body": "Yes, more slowly.", "kind": "comment", "status": "visible"}
                for first in firsts[::2]])
            _insert(Follow.__table__, [{"user_id": backers[i], "campaign_id": campaign.id}
                                       for i in range(0, size, 2)])
            _insert(CampaignUpdate.__table__, [
                {"campaign_id": campaign.id, "number": n + 1, "title": f"Update {n + 1}",
                 "body_md": STORY[:400], "visibility": "public", "author_id": founder}
                for n in range(max(3, size // 2000))])
            world[name] = campaign.slug
        summary.rebuild()
        counts.rebuild()
        db.session.commit()
        # The planner's statistics, as autovacuum gathers them on a table that grew by
        # thousands of rows (SQLite plans without them, from the indexes alone).
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("ANALYZE"))
    return world


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=200)
    parser.add_argument("--large", type=int, default=185_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    # every request renders: what a cache miss costs
    app, url, _folder = bench_app(args.database_url, PAGE_CACHE_SECONDS=0)
    started = time.perf_counter()
    slugs = seed(app, {"small": args.small, "large": args.large})
    seeded = time.perf_counter() - started
    readers = {"anonymous": app.test_client(), "signed-in backer": sign_in(app, "b0@bench.invalid")}
    targets = {(reader, size): (client, f"/campaigns/{slug}")
               for reader, client in readers.items() for size, slug in slugs.items()}
    for client, path in targets.values():  # warm-up, and every target answers
        for _ in range(3):
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
    gc.collect()
    times: dict[tuple, list[float]] = {key: [] for key in targets}
    for _round in range(args.rounds):
        for key, (client, path) in targets.items():
            start = time.perf_counter()
            for _ in range(args.requests):
                client.get(path)
            times[key].append((time.perf_counter() - start) / args.requests)
    engine = url.split(":", 1)[0].split("+", 1)[0]
    print(f"sizes on {engine}: campaign page uncached, {args.small} vs {args.large} pledges "
          f"(seeded in {seeded:.0f} s), {args.rounds} rounds x {args.requests} requests")
    print(f"{'reader':18} {'small ms':>9} {'large ms':>9} {'factor':>7}  (goal <= 1.5)")
    for reader in readers:
        small = statistics.median(times[(reader, "small")]) * 1000
        large = statistics.median(times[(reader, "large")]) * 1000
        print(f"{reader:18} {small:9.1f} {large:9.1f} {large / small:7.2f}")


if __name__ == "__main__":
    main()
