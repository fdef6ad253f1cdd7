"""The production process model on real parts: two gunicorn web servers with their own
instance folders, three Celery workers and beat on Redis, PostgreSQL, the Stripe sandbox.

A funded campaign of 1,000 pledges, and beside it a flexible one of 200 far below its goal
(charged all the same), every third pledge of each with add-ons, are settled by the
workers while one of them is SIGKILLed in the middle of a batch and started again; then
200 late pledges of the funded campaign, left unanswered, are charged by the settle pass
while the worker running it is SIGKILLed: the sandbox holds exactly one PaymentIntent per
pledge for its whole amount (add-ons in it), the ledger check passes, and the sandbox
never sees more than the platform's budget (+10%) in any 5-second window. A cover uploaded
through the first web server is served by the second.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
import requests
import sqlalchemy as sa
from PIL import Image

from bench.cluster import Cluster, busiest_window, charges_by_pledge, saved_cards
from bench.common import pledges_with_cards
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignStatus, FundingModel
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.ledger.services import check as check_ledger
from crowdfund.pledges.models import Pledge, PledgeStatus
from crowdfund.queue import Job, JobStatus
from tests.factories import PASSWORD, free_port, make_add_on, make_campaign, make_user
from tests.sandbox_late import late_pledges_left_unanswered

pytestmark = pytest.mark.postgres_only

ROOT = Path(__file__).resolve().parents[2]
PLEDGES = 1_000
FLEXIBLE_PLEDGES = 200
LATE_PLEDGES = 200  # left unanswered, then resumed by the settle pass
BUDGET = 40  # requests/s for the whole platform: below what the sandbox serves here


def _environment(app, sandbox, broker: str) -> dict[str, str]:
    return {
        "CROWDFUND_ENV": "production", "SECRET_KEY": "scale-out-test-secret",
        "SESSION_COOKIE_SECURE": "0", "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "CELERY_BROKER_URL": broker, "UPLOAD_STORAGE": "database",
        "PAYMENT_GATEWAY": "stripe", "STRIPE_SECRET_KEY": "sk_test_cluster",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_cluster", "STRIPE_API_BASE": sandbox.base,
        "STRIPE_WEBHOOK_SECRET": "whsec_cluster", "SANDBOX_DEPLOYMENT": "1",
        "SETTLE_REQUESTS_PER_SECOND": str(BUDGET), "SETTLE_BATCH": "50",
        "SETTLE_CONCURRENCY": "4",
        # Short leases and timeouts, so that a killed worker's batch is taken over soon.
        "JOB_LEASE_SECONDS": "6", "JOB_SWEEP_SECONDS": "3", "SETTLE_INTERVAL_SECONDS": "3",
        "OUTBOX_INTERVAL_SECONDS": "5", "CELERY_VISIBILITY_TIMEOUT": "30",
    }


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def _cover_through(web: str, campaign: Campaign, email: str) -> None:
    """Sign in and upload a cover through one web server, as a founder's browser would."""
    browser = requests.Session()
    page = browser.get(f"{web}/login", timeout=30).text
    signed_in = browser.post(f"{web}/login", timeout=30, data={
        "email": email, "password": PASSWORD, "csrf_token": _csrf(page)})
    assert signed_in.ok and "Sign out" in signed_in.text, signed_in.text[-2000:]
    form = browser.get(f"{web}/studio/{campaign.id}/edit", timeout=30).text
    image = io.BytesIO()
    Image.new("RGB", (640, 360), (200, 90, 30)).save(image, "PNG")
    saved = browser.post(f"{web}/studio/{campaign.id}/edit", timeout=30, allow_redirects=False,
                         data={"csrf_token": _csrf(form), "title": campaign.title,
                               "blurb": "Short", "category": "design", "slug": campaign.slug,
                               "currency": "USD", "goal": "1000", "duration_days": "30",
                               "scheduled_launch_at": "", "description_md": "Story " * 20,
                               "risks_md": "Risky business, handled."},
                         files={"cover": ("cover.png", image.getvalue(), "image/png")})
    assert saved.status_code == 302, saved.text[-2000:]


def _seed(app, cards: list[tuple[str, str]], *, goal_minor: int = 100_000,
          funding_model: FundingModel = FundingModel.ALL_OR_NOTHING, first: int = 0) -> int:
    """A live campaign past its deadline, one active pledge per saved card: its goal
    reached, or flexible and far below it; every third pledge takes a limited add-on."""
    with app.app_context():
        campaign = make_campaign(status=CampaignStatus.LIVE, tiers=0, goal_minor=goal_minor,
                                 funding_model=funding_model)
        campaign.deadline = utcnow()
        db.session.flush()
        add_on = make_add_on(campaign, price_minor=900, limit=len(cards))
        pledges_with_cards(campaign, cards, first=first, add_on=add_on)
        db.session.commit()
        return campaign.id


def _status(app, campaign_id: int) -> CampaignStatus:
    with app.app_context():
        return db.session.scalar(sa.select(Campaign.status).where(Campaign.id == campaign_id))


def _charged(app, campaign_id: int) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Pledge).where(
            Pledge.campaign_id == campaign_id, Pledge.status != PledgeStatus.ACTIVE))


def _running_batch(app) -> tuple[int, str] | None:
    """A charge batch some worker started less than a second ago, so that it is still in
    the middle of its calls (a batch takes seconds): (job id, the worker's node name)."""
    with app.app_context():
        row = db.session.execute(sa.select(Job.id, Job.claimed_by).where(
            Job.kind == "charge batch", Job.status == JobStatus.RUNNING,
            Job.started_at > utcnow() - timedelta(seconds=1)).limit(1)).first()
    return (row.id, row.claimed_by.split("@")[0]) if row else None


def _late_collected(app, ids: list[int]) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Pledge).where(
            Pledge.id.in_(ids), Pledge.status == PledgeStatus.COLLECTED))


def _late_pledges_under_a_kill(app, cards, cluster, campaign_id: int):
    """The funded campaign takes late pledges: one per card of ``cards`` was left unanswered
    (their card page killed after committing the charge attempt); the workers' settle pass
    charges them with their keys, and the worker running it is SIGKILLed mid-way and started
    again. Returns the late pledges' ids and the killed worker (None: it finished first)."""
    with app.app_context():
        db.session.get(Campaign, campaign_id).late_pledge_days = 5
        db.session.commit()
    ids = late_pledges_left_unanswered(app, cards, campaign_id,
                                       first=PLEDGES + FLEXIBLE_PLEDGES)
    victim, deadline = None, time.monotonic() + 120
    while _late_collected(app, ids) < LATE_PLEDGES and time.monotonic() < deadline:
        if victim is None and _late_collected(app, ids) >= LATE_PLEDGES // 10:
            with app.app_context():
                runner = db.session.scalar(sa.select(Job.claimed_by).where(
                    Job.kind == "settle pass", Job.status == JobStatus.RUNNING))
            if runner:
                victim = runner.split("@")[0]
                cluster.kill(victim)
                time.sleep(2)
                cluster.worker(victim)
        time.sleep(0.1)
    assert _late_collected(app, ids) == LATE_PLEDGES, cluster.log("w1")[-3000:]
    return ids, victim


def test_workers_on_several_machines_settle_exactly_once_within_the_budget(
        app, sandbox, redis_url, tmp_path):
    sandbox.reset()
    broker = redis_url.rsplit("/", 1)[0] + "/5"
    redis.Redis.from_url(broker).flushdb()
    cluster = Cluster(tmp_path, _environment(app, sandbox, broker))
    try:
        # Two web servers, each with its own instance folder (two machines).
        first = cluster.web("web1", free_port(), tmp_path / "instance-web1")
        second = cluster.web("web2", free_port(), tmp_path / "instance-web2")
        with app.app_context():
            founder = make_user(password=PASSWORD)
            draft = make_campaign(founder=founder, ready=False)
            db.session.commit()
            email = founder.email
        _cover_through(first, draft, email)
        with app.app_context():
            key = db.session.get(Campaign, draft.id).cover_path
        assert key
        served = requests.get(f"{second}/uploads/{key}", timeout=30)
        assert served.status_code == 200 and served.headers["Content-Type"] == "image/png"
        assert Image.open(io.BytesIO(served.content)).size == (640, 360)
        assert served.content == requests.get(f"{first}/uploads/{key}", timeout=30).content

        campaign_id = _seed(app, saved_cards(sandbox.base, PLEDGES))
        flexible_id = _seed(app, saved_cards(sandbox.base, FLEXIBLE_PLEDGES), goal_minor=10**9,
                            funding_model=FundingModel.FLEXIBLE, first=PLEDGES)
        late_cards = saved_cards(sandbox.base, LATE_PLEDGES)  # made before the platform runs
        started = time.time()
        for name in ("w1", "w2", "w3"):
            cluster.worker(name)
        cluster.beat()

        # Kill a worker while it runs a batch, once a good part of the campaign is charged.
        running, deadline = None, time.monotonic() + 240
        while running is None and time.monotonic() < deadline:
            if _charged(app, campaign_id) >= PLEDGES // 4:
                running = _running_batch(app)
            time.sleep(0.05)
        assert running is not None, cluster.log("w1")[-3000:]
        killed_job, victim = running
        cluster.kill(victim)
        killed_at = utcnow()
        assert _status(app, campaign_id) is CampaignStatus.FUNDED  # mid-run
        time.sleep(2)
        cluster.worker(victim)  # started again, as a supervisor would

        both = (campaign_id, flexible_id)
        while (any(_status(app, c) is not CampaignStatus.COLLECTING for c in both)
               and time.monotonic() < deadline):
            time.sleep(0.5)
        assert [_status(app, c) for c in both] == [CampaignStatus.COLLECTING] * 2, (
            cluster.log("w1")[-3000:] + cluster.log("beat")[-2000:])
        late_ids, late_killed = _late_pledges_under_a_kill(app, late_cards, cluster,
                                                             campaign_id)
    finally:
        cluster.stop()
    # What reached the gateway while the platform ran (this test's own reads left out).
    stamps = [at for at, what in requests.get(f"{sandbox.base}/_config/stamps",
                                              params={"since": started}, timeout=60).json()
              if not what.split()[1].startswith("/_config")]

    # Exactly once, as the sandbox saw it: one PaymentIntent per pledge, each succeeded,
    # the flexible campaign's far below its goal too.
    with app.app_context():
        for campaign, count in ((campaign_id, PLEDGES + LATE_PLEDGES),
                                (flexible_id, FLEXIBLE_PLEDGES)):
            made = charges_by_pledge(sandbox.base, campaign, amounts=True)
            pledges = {str(p.id): p for p in db.session.scalars(
                sa.select(Pledge).where(Pledge.campaign_id == campaign))}
            assert set(made) == set(pledges) and len(made) == count
            assert made == {i: [("succeeded", p.amount_minor)] for i, p in pledges.items()}
            on_time = count - (LATE_PLEDGES if campaign == campaign_id else 0)
            assert sum(1 for p in pledges.values() if p.add_ons) >= on_time // 3
            assert {p.status for p in pledges.values()} == {PledgeStatus.COLLECTED}
        assert check_ledger() == []
        # The killed worker's batch was taken over and finished by another run.
        job = db.session.get(Job, killed_job)
        assert job.status is JobStatus.DONE and job.attempts >= 2 and job.finished_at > killed_at
        batches = db.session.scalars(sa.select(Job).where(Job.kind == "charge batch")).all()
        assert len(batches) >= PLEDGES // 50 and {b.status for b in batches} == {JobStatus.DONE}
        assert len({b.claimed_by.split("@")[0] for b in batches}) == 3  # every worker took part
        # Late pledges in the mix: resumed by the settle pass, one killed mid-way; each
        # charged once, apart from the total frozen at the deadline.
        made = charges_by_pledge(sandbox.base, campaign_id)
        assert all(made[str(i)] == ["succeeded"] for i in late_ids), late_killed
        print(f"late pledges: the settle pass's worker {late_killed or 'never'} killed")
        assert {db.session.get(Pledge, i).status for i in late_ids} == {PledgeStatus.COLLECTED}
        assert db.session.get(Campaign, campaign_id).backers_at_deadline == PLEDGES

    # The platform's budget held at the sandbox over every 5-second window.
    assert len(stamps) >= PLEDGES
    busiest = busiest_window(stamps)
    print(f"{len(stamps)} gateway requests in {max(stamps) - min(stamps):.1f} s; busiest 5 s: "
          f"{busiest} (budget {BUDGET * 5}); killed batch job {killed_job}")
    assert busiest <= 1.1 * BUDGET * 5, f"{busiest} requests in 5 s; budget {BUDGET}/s"


def test_the_scale_out_bench_runs(app):
    """bench/scale_out.py still runs (tiny): it prints its ratios for 1 and 2 workers.
    It empties the database it is given, so it gets one of its own."""
    url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    name = f"{url.database}_scale_bench"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if not connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                 {"n": name}):
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    done = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, "bench/scale_out.py", "--database-url",
         url.set(database=name).render_as_string(hide_password=False), "--workers", "1",
         "--workers", "2", "--pledges", "60", "--budget", "20"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [line.split() for line in done.stdout.splitlines() if line.strip()[:1].isdigit()]
    assert [row[:2] for row in rows] == [["1", "60"], ["2", "60"]], done.stdout
