"""What the benchmarks share: a fresh schema and a free port."""

from __future__ import annotations

import socket


def fresh_schema(app) -> None:
    """The schema made again by the migrations (PostgreSQL: dropped first; SQLite: the
    benchmarks use a new file)."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from crowdfund.extensions import db

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()


def bench_app(database_url: str | None, **config):
    """``(app, url, folder)``: our app on ``database_url`` (SQLite in a new temporary
    folder when None), its schema made fresh by the migrations; ``config`` on top of the
    benchmarks' own (testing, CSRF off, uploads in the folder)."""
    import tempfile

    from crowdfund import create_app
    from crowdfund.config import normalise_database_url

    folder = tempfile.mkdtemp(prefix="crowdfund-bench-")
    url = normalise_database_url(database_url) if database_url else \
        f"sqlite:///{folder}/bench.sqlite3"
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url,
                      "WTF_CSRF_ENABLED": False, "UPLOAD_FOLDER": folder, **config})
    fresh_schema(app)
    return app, url, folder


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


NO_LOGIN = "!"  # noqa: S105 - not an Argon2 hash: these accounts cannot sign in


def pledges_with_cards(campaign, cards: list[tuple[str, str]], first: int = 0,
                       add_on=None) -> None:
    """One backer and one active pledge per saved card (customer id, card id), added and
    flushed in the caller's app context: what a campaign's confirmed pledges leave.
    ``first``: the number of the first backer (backers of another campaign seeded the
    same way take other numbers). ``add_on``: one of the campaign's add-ons that every
    third pledge takes (one or two units, claimed and part of its amount)."""
    from crowdfund.auth.models import User
    from crowdfund.db import utcnow
    from crowdfund.extensions import db
    from crowdfund.pledges.models import Pledge, PledgeAddOn, PledgeStatus

    for i, (customer, method) in enumerate(cards, start=first):
        backer = User(email=f"b{i}@bench.invalid", password_hash=NO_LOGIN,
                      display_name=f"Backer {i}", payment_customer_id=customer,
                      email_verified_at=utcnow())
        db.session.add(backer)
        db.session.flush()
        pledge = Pledge(campaign_id=campaign.id, backer_id=backer.id,
                        status=PledgeStatus.ACTIVE, amount_minor=1000 + i % 5000,
                        currency="USD", payment_method_id=method,
                        card_brand="visa", card_last4="4242")
        if add_on is not None and i % 3 == 0:
            units = 1 + i % 2
            pledge.amount_minor += units * add_on.price_minor
            pledge.add_ons.append(PledgeAddOn(add_on_id=add_on.id, quantity=units,
                                              unit_price_minor=add_on.price_minor))
            add_on.claimed += units
        db.session.add(pledge)
    db.session.flush()


def past_deadline_campaign(goal_minor: int):
    """A founder and their live campaign whose deadline passed a minute ago (added and
    flushed, in the caller's app context): what settlement picks up."""
    from datetime import timedelta

    from crowdfund.auth.models import User
    from crowdfund.campaigns.models import Campaign
    from crowdfund.campaigns.states import CampaignStatus
    from crowdfund.db import utcnow
    from crowdfund.extensions import db

    now = utcnow()
    founder = User(email="founder@bench.invalid", password_hash=NO_LOGIN,
                   display_name="Founder",
                   email_verified_at=utcnow())
    db.session.add(founder)
    db.session.flush()
    campaign = Campaign(slug="bench", founder_id=founder.id, title="Bench",
                        category="technology", goal_minor=goal_minor, currency="USD",
                        status=CampaignStatus.LIVE, launched_at=now - timedelta(days=30),
                        deadline=now - timedelta(minutes=1))
    db.session.add(campaign)
    return campaign


def seed_funded(env: dict[str, str], cards: list[tuple[str, str]]) -> tuple[int, str]:
    """In the database ``env`` names (migrated): a live campaign past its deadline, goal
    reached, one active pledge per saved card. Returns its id and slug; no connection is
    left open (a benchmark may drop the schema next)."""
    import os

    os.environ.update(env)
    from crowdfund import create_app
    from crowdfund.extensions import db

    app = create_app()
    with app.app_context():
        campaign = past_deadline_campaign(100)
        db.session.flush()
        pledges_with_cards(campaign, cards)
        db.session.commit()
        found = campaign.id, campaign.slug
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()
    return found
