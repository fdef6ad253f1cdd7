"""`flask demo seed` (what `make run` calls) seeds an empty database once."""

import sqlalchemy as sa

from crowdfund.auth.models import User
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.extensions import db


def test_seed_only_into_an_empty_database(app, client, auth):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    assert "founder@example.com" in result.output and "operator-demo-pass" in result.output
    with app.app_context():
        statuses = db.session.scalars(sa.select(Campaign.status)).all()
        categories = set(db.session.scalars(
            sa.select(Campaign.category).where(Campaign.status == CampaignStatus.LIVE)))
        users = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    assert statuses.count(CampaignStatus.LIVE) == 4 and len(categories) == 4
    assert CampaignStatus.SUBMITTED in statuses and CampaignStatus.DRAFT in statuses
    again = runner.invoke(args=["demo", "seed"])
    assert again.exit_code == 0 and "not seeding" in again.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == users
    # The printed accounts work, and the operator sees the campaign waiting for review.
    assert auth.login("operator@example.com", "operator-demo-pass").status_code == 302
    assert b"Loom &amp; Larch" in client.get("/operators/").data
    home = client.get("/").get_data(as_text=True)
    assert "Tidewater" in home and "Untitled documentary" not in home


def test_seed_with_the_sandbox_makes_real_pledges(app, stripe_sandbox):
    from crowdfund.pledges.models import Pledge, PledgeStatus
    from crowdfund.pledges.totals import totals_of

    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        pledges = db.session.scalars(sa.select(Pledge).order_by(Pledge.id)).all()
        assert len(pledges) == 16 and {p.status for p in pledges} == {PledgeStatus.ACTIVE}
        assert [p.card_last4 for p in pledges].count("4242") == 15
        ended = db.session.scalar(sa.select(Campaign).where(Campaign.slug.like("harbour%")))
        ended_id = ended.id
    # The ended campaign settles: the demo backer's card declines, the others pay.
    from crowdfund.payments import gateway
    from crowdfund.settlement.runner import Settler

    with app.app_context():
        settler = Settler(app, gateway(), worker="demo", sleep=lambda s: None)
    report = settler.settle(ended_id)
    assert report.outcome == "funded: charged"
    assert report.counts == {"succeeded": 2, "failed": 1}
    with app.app_context():
        errored = db.session.scalar(sa.select(Pledge).where(
            Pledge.status == PledgeStatus.ERRORED))
        assert errored.backer.email == "backer@example.com"
        salt = db.session.scalar(sa.select(Campaign).where(Campaign.slug.like("the-salt-road%")))
        assert totals_of(salt).percent_of(salt.goal) >= 100
    # The cards are really saved in the sandbox, on the backers' customers.
    method = stripe_sandbox.get(f"/v1/payment_methods/{pledges[1].payment_method_id}")
    assert method["customer"] and method["card"]["last4"] == "4242"
    # The first campaign has a conversation, a follower, and pledges spread over its days.
    from crowdfund.community.models import Comment, Follow

    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 3
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Follow)) == 1
        days = {p.created_at.date() for p in db.session.scalars(sa.select(Pledge))}
        assert len(days) > 3
        assert {p.ref for p in db.session.scalars(sa.select(Pledge))} >= {"newsletter",
                                                                          "podcast", None}
