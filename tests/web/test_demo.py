"""`flask demo seed` (what `make run` calls) seeds an empty database once, with a demo that
shows the product: several founders, an equity offering open to invest in, a funded
campaign with updates and deliveries, a failed one, staff picks."""

import sqlalchemy as sa

from crowdfund.auth.models import User
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignKind, CampaignStatus
from crowdfund.extensions import db

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
