"""`flask demo seed` (what `make run` calls) seeds an empty database once, with a demo that
shows the product: several founders, an equity offering open to invest in, a funded
campaign with updates and deliveries, a failed one, staff picks."""

import re
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from crowdfund.auth.models import User
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignKind, CampaignStatus
from crowdfund.db import UTCDateTime, utcnow
from crowdfund.equity.models import Offering
from crowdfund.extensions import db
from crowdfund.payments import gateway as current_gateway
from tests.factories import reward_words_in

S = CampaignStatus


def _campaign(title_start: str) -> Campaign:
    return db.session.scalar(sa.select(Campaign).where(Campaign.title.like(f"{title_start}%")))


def test_seed_only_into_an_empty_database(app, client, auth):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    assert "founder@example.com" in result.output and "operator-demo-pass" in result.output
    with app.app_context():
        live = db.session.scalars(sa.select(Campaign).where(Campaign.status == S.LIVE)).all()
        rewards = [c for c in live if c.kind is CampaignKind.REWARD]
        assert len(rewards) == 4 and len({c.category for c in rewards}) == 4
        # Several founders, each identity-checked; every campaign tells its own story.
        assert len({c.founder_id for c in live}) == 5
        assert all(c.founder.is_verified for c in live)
        blurbs = [c.blurb for c in db.session.scalars(sa.select(Campaign)) if c.blurb]
        assert len(blurbs) == len(set(blurbs)) >= 6
        offering = _campaign("Fernwood Cider")
        assert offering.kind is CampaignKind.EQUITY and offering.status is S.LIVE
        assert {c.title.split(":")[0] for c in live if c.staff_pick} == {
            "The Salt Road — a graphic novel", "Fernwood Cider Co."}
        statuses = db.session.scalars(sa.select(Campaign.status)).all()
        users = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    assert S.SUBMITTED in statuses and S.DRAFT in statuses
    again = runner.invoke(args=["demo", "seed"])
    assert again.exit_code == 0 and "not seeding" in again.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == users
    # The printed accounts work, and the operator sees the campaign waiting for review.
    # The demo operator has two-factor sign-in: its key and recovery codes are printed.
    signed = auth.login("operator@example.com", "operator-demo-pass")
    assert signed.location == "/login/code"
    code = result.output.split("each works once): ")[1].split(",")[0].strip()
    assert client.post("/login/code", data={"code": code}).location == "/operators/"
    assert b"Loom &amp; Larch" in client.get("/operators/").data
    home = client.get("/").get_data(as_text=True)
    assert "Tidewater" in home and "Untitled documentary" not in home
    assert "Fernwood Cider" in client.get("/discover?kind=equity").get_data(as_text=True)
    offering_page = client.get(f"/campaigns/{offering.slug}").get_data(as_text=True)
    assert "Financial statements 2025" in offering_page and "$2.50" in offering_page


def test_seed_with_the_sandbox_makes_real_pledges(app, client, stripe_sandbox):
    from crowdfund.community.models import CampaignUpdate, Comment, DeliveryReport, Follow
    from crowdfund.ledger import services as ledger
    from crowdfund.pledges.models import Pledge, PledgeStatus
    from crowdfund.pledges.totals import totals_of

    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    P = PledgeStatus
    with app.app_context():
        def statuses(title_start):
            campaign = _campaign(title_start)
            return campaign, sorted(p.status.value for p in db.session.scalars(
                sa.select(Pledge).where(Pledge.campaign_id == campaign.id)))

        live_ids = db.session.scalars(sa.select(Campaign.id).where(
            Campaign.status == S.LIVE, Campaign.kind == CampaignKind.REWARD)).all()
        pledges = db.session.scalars(sa.select(Pledge).where(
            Pledge.campaign_id.in_(live_ids)).order_by(Pledge.id)).all()
        # (Harbour Lights is still live: its deadline passed a minute ago.)
        assert len(pledges) == 16 and {p.status for p in pledges} == {P.ACTIVE}
        assert [p.card_last4 for p in pledges].count("4242") == 15
        # The funded campaign was charged for real, and its founder posted news.
        lanterns, lantern_pledges = statuses("Paper Lanterns")
        assert lanterns.status is S.SETTLED and lantern_pledges == ["collected"] * 5
        assert totals_of(lanterns).percent_of(lanterns.goal) >= 100
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CampaignUpdate)) == 2
        assert {r.status.value for r in db.session.scalars(sa.select(DeliveryReport))} == {
            "delivered", "shipping"}
        # The failed one charged nobody.
        ember, ember_pledges = statuses("Ember")
        assert ember.status is S.FAILED and ember_pledges == ["released", "released"]
        # The offering has two investors with whole shares; the books balance.
        offering, investments = statuses("Fernwood Cider")
        assert investments == ["active", "active"]
        assert ledger.check() == []
        ended_id = _campaign("Harbour Lights").id
        salt = _campaign("The Salt Road")
        assert totals_of(salt).percent_of(salt.goal) >= 100
        lanterns_slug = lanterns.slug
    page = client.get(f"/campaigns/{lanterns_slug}").get_data(as_text=True)
    assert "We did it: funded!" in page and "Shipping" in page
    # The campaign just past its deadline settles: the demo backer's card declines.
    from crowdfund.payments import gateway
    from crowdfund.settlement.runner import Settler

    with app.app_context():
        settler = Settler(app, gateway(), worker="demo", sleep=lambda s: None)
    report = settler.settle(ended_id)
    assert report.outcome == "funded: charged"
    assert report.counts == {"succeeded": 2, "failed": 1}
    with app.app_context():
        errored = db.session.scalar(sa.select(Pledge).where(Pledge.status == P.ERRORED))
        assert errored.backer.email == "backer@example.com"
    # The cards are really saved in the sandbox, on the backers' customers.
    method = stripe_sandbox.get(f"/v1/payment_methods/{pledges[1].payment_method_id}")
    assert method["customer"] and method["card"]["last4"] == "4242"
    # The first campaign has a conversation, a follower, and pledges spread over its days.
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 3
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Follow)) == 1
        days = {p.created_at.date() for p in db.session.scalars(sa.select(Pledge))}
        assert len(days) > 3
        assert {p.ref for p in db.session.scalars(sa.select(Pledge))} >= {"newsletter",
                                                                          "podcast", None}


#: Columns that hold a time to come by nature (deadlines, expiries, schedules).
FUTURE_BY_NATURE = {"deadline", "collection_ends_at", "expires_at", "pending_expires_at",
                    "reconfirm_by", "document_delete_after", "not_before", "next_attempt_at",
                    "lease_until", "settlement_claimed_until", "due_at", "scheduled_launch_at",
                    "erase_after"}


def _seeded_in_the_future(now) -> list[str]:
    """``table.column: latest`` for each timestamp column holding a time after ``now``."""
    late = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, UTCDateTime) and column.name not in FUTURE_BY_NATURE:
                latest = db.session.scalar(sa.select(sa.func.max(column)))
                if latest is not None and latest > now:
                    late.append(f"{table.name}.{column.name}: {latest}")
    return late


def _readme() -> str:
    return (Path(__file__).parents[2] / "README.md").read_text()


def test_the_seeded_demo_holds_together(app, stripe_sandbox):
    """Nothing seeded is dated in the future; a founder's identity was checked (and their
    account made) before their campaigns launched, and a campaign's history runs up to its
    launch; the equity offering speaks of investing, with a budget that is its use of
    proceeds; the README counts what is seeded."""
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    now = utcnow()
    with app.app_context():
        assert _seeded_in_the_future(now) == []
        launched = db.session.scalars(sa.select(Campaign).where(
            Campaign.launched_at.is_not(None))).all()
        assert len(launched) == 8
        for campaign in launched:
            check = campaign.founder.verification
            assert check.checked_at < campaign.launched_at, campaign.title
            assert all(t.created_at < campaign.launched_at for t in check.transitions)
            assert campaign.founder.created_at < check.checked_at
            assert campaign.created_at < campaign.launched_at
            assert [t.created_at <= campaign.launched_at for t in campaign.transitions
                    if t.to_status in (S.SUBMITTED, S.APPROVED, S.LIVE)] == [True] * 3
        founders = {c.founder_id for c in db.session.scalars(sa.select(Campaign))}
        running = db.session.scalar(sa.select(sa.func.count()).where(
            Campaign.status == S.LIVE, Campaign.kind == CampaignKind.REWARD,
            Campaign.deadline > now))
        offering = _campaign("Fernwood Cider")
        texts = [offering.title, offering.blurb, offering.description_md, offering.risks_md,
                 *(line.label for line in offering.budget_lines)]
        budget = {line.label: line.amount_minor * 100 // offering.goal_minor
                  for line in offering.budget_lines}
        proceeds = db.session.scalar(sa.select(Offering.use_of_proceeds_md).where(
            Offering.campaign_id == offering.id))
    assert reward_words_in(" ".join(texts)) == []
    assert not re.search(r"shops|packaging|factory", " ".join(texts), re.I)
    assert budget and all(f"{label}: {share}%" in proceeds for label, share in budget.items())
    words = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    said = re.search(r"The demo has (\w+) founders .*? (\w+) live reward campaigns", _readme(),
                     re.S)
    assert said.groups() == (words[len(founders)], words[running])


@pytest.mark.parametrize("env", ["production", "testing"])
def test_the_operator_key_is_not_shown_again_outside_development(app, env):
    runner = app.test_cli_runner()
    runner.invoke(args=["demo", "seed"])
    app.config["ENV_NAME"] = env
    try:
        refused = runner.invoke(args=["demo", "operator-key"])
    finally:
        app.config["ENV_NAME"] = "testing"
    assert refused.exit_code == 1
    assert f"Only in development (this is {env})" in refused.output
    assert "authenticator app" not in refused.output


def test_a_later_run_says_how_to_print_the_operator_key_again(app, client, auth):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "seed"])
    key = first.output.split("authenticator app: ")[1].split()[0]
    again = runner.invoke(args=["demo", "seed"])
    assert "not seeding" in again.output and "make operator-key" in again.output
    app.config["ENV_NAME"] = "development"
    try:
        shown = runner.invoke(args=["demo", "operator-key"])
        renewed = runner.invoke(args=["demo", "operator-key", "--new-recovery-codes"])
    finally:
        app.config["ENV_NAME"] = "testing"
    assert shown.exit_code == 0, shown.output
    assert f"authenticator app: {key}" in shown.output and "10 left" in shown.output
    # The code of the moment signs the operator in; so does a new recovery code, and the
    # first run's codes no longer work.
    code = shown.output.split("code of this moment: ")[1].split()[0]
    assert auth.login("operator@example.com", "operator-demo-pass").location == "/login/code"
    assert client.post("/login/code", data={"code": code}).location == "/operators/"
    old_code = first.output.split("each works once): ")[1].split(",")[0].strip()
    new_code = renewed.output.split("no longer do): ")[1].split(",")[0].strip()
    client.post("/logout")
    auth.login("operator@example.com", "operator-demo-pass")
    assert client.post("/login/code", data={"code": old_code}).location != "/operators/"
    assert client.post("/login/code", data={"code": new_code}).location == "/operators/"


def test_the_demo_and_the_sandbox_stay_in_step(app, stripe_sandbox):
    """The first seed empties the sandbox (an earlier database's objects, and keys built
    from ids that start again at 1); a later run warns when the sandbox does not know the
    demo's saved cards (started without its state file) instead of failing every charge."""
    with app.app_context():
        earlier = current_gateway().create_customer(email="old@example.com", name="Old",
                                                    idempotency_key="user-1-customer")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    with pytest.raises(requests.HTTPError, match="404"):
        stripe_sandbox.get(f"/v1/customers/{earlier}")
    again = runner.invoke(args=["demo", "seed"])
    assert "not seeding" in again.output and "does not know" not in again.output
    stripe_sandbox.reset()  # as a sandbox started without instance/sandbox-state.pickle
    forgot = runner.invoke(args=["demo", "seed"])
    assert forgot.exit_code == 0
    assert "the local Stripe sandbox does not know this demo's saved cards" in forgot.output
    assert "delete instance/" in forgot.output
