"""Settlement with the in-process gateway: outcomes, frozen totals, resume, retries, dry run."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from crowdfund import queue
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.money import Money
from crowdfund.payments import gateway as current_gateway
from crowdfund.payments.gateway import RateLimited
from crowdfund.pledges import services as pledges
from crowdfund.pledges.models import Pledge, PledgeStatus
from crowdfund.settlement import plan as settlement_plan
from crowdfund.settlement import services
from crowdfund.settlement.models import ChargeAttempt, ChargeStatus, ChargeTransition
from crowdfund.settlement.runner import Settler
from tests.factories import CARDS, back_pledge, ended, make_campaign, make_user

S, P, C = CampaignStatus, PledgeStatus, ChargeStatus


@pytest.fixture
def gw(app):
    return current_gateway()


@pytest.fixture
def settler(app, gw):
    return Settler(app, gw, worker="test-worker", sleep=lambda s: None)


def _statuses(app, campaign_id):
    with app.app_context():
        return sorted(p.status.value for p in db.session.scalars(
            sa.select(Pledge).where(Pledge.campaign_id == campaign_id)))


def test_funded_campaign_charges_each_active_pledge_once(app, session, gw, settler):
    campaign = make_campaign(status=S.LIVE, tiers=0, goal_minor=25_000)
    for card in ("ok", "ok", "declines", "3ds"):
        back_pledge(campaign, gw, card)
    cancelled = back_pledge(campaign, gw, "ok")
    pledges.cancel_pledge(cancelled, cancelled.backer)
    ended(campaign)
    session.commit()
    report = settler.settle(campaign.id)
    assert report.outcome == "funded: charged"
    # The backer's cancelled pledge gives its saved card back.
    assert report.counts == {"succeeded": 2, "failed": 1, "requires_action": 1,
                             "card detached": 1}
    assert _statuses(app, campaign.id) == ["authentication_required", "cancelled", "collected",
                                          "collected", "errored"]
    with app.app_context():
        camp = db.session.get(Campaign, campaign.id)
        assert camp.status is S.COLLECTING and camp.collection_ends_at is not None
        assert camp.pledged_at_deadline_minor == 40_000 and camp.backers_at_deadline == 4
        keys = db.session.scalars(sa.select(ChargeAttempt.idempotency_key)).all()
        assert sorted(keys) == sorted(f"pledge-{i}-charge-1" for i in (1, 2, 3, 4))
    assert gw.calls.count("charge_off_session") == 4
    assert sum(pi["amount"].amount for pi in gw.payment_intents.values()
               if pi["status"] == "succeeded") == 20_000
    again = settler.settle(campaign.id)  # nothing left: no second charge
    assert again.outcome == "collecting: nothing to do"
    assert gw.calls.count("charge_off_session") == 4


def test_failed_campaign_charges_nobody_and_detaches_cards(app, session, gw, settler):
    campaign = make_campaign(status=S.LIVE, tiers=0, goal_minor=1_000_000)
    made = [back_pledge(campaign, gw) for _ in range(3)]
    ended(campaign)
    session.commit()
    report = settler.settle(campaign.id)
    assert report.outcome == "failed: nobody charged" and report.counts == {"card detached": 3}
    assert _statuses(app, campaign.id) == ["released"] * 3
    assert "charge_off_session" not in gw.calls and not gw.payment_intents
    assert all(gw.cards[p.payment_method_id]["customer"] is None for p in made)
    with app.app_context():
        assert db.session.get(Campaign, campaign.id).status is S.FAILED


def test_not_due_is_left_alone(app, session, gw, settler):
    campaign = make_campaign(status=S.LIVE, tiers=0)
    back_pledge(campaign, gw)
    session.commit()
    assert settler.settle(campaign.id).outcome == "live: nothing to do"
    assert "charge_off_session" not in gw.calls


def test_goal_reached_exactly_is_funded(app, session, gw, settler):
    campaign = make_campaign(status=S.LIVE, tiers=0, goal_minor=10_000)
    back_pledge(campaign, gw, amount="100")
    ended(campaign)
    session.commit()
    assert settler.settle(campaign.id).outcome == "funded: charged"


def test_resume_after_a_crash_between_steps_sends_the_same_key(app, session, gw, settler):
    campaign = make_campaign(status=S.LIVE, tiers=0, goal_minor=10_000)
    pledge = back_pledge(campaign, gw)
    ended(campaign)
    session.commit()
    # A run that wrote the attempt and called the gateway, then died before step 3:
    with app.app_context():
        camp = db.session.get(Campaign, campaign.id)
        services.close_at_deadline(camp)
        attempt = services.begin_attempt(db.session.get(Pledge, pledge.id))
        db.session.commit()
        key = attempt.idempotency_key
    p = pledge
    gw.charge_off_session(amount=p.amount, customer_id=p.backer.payment_customer_id,
                          payment_method_id=p.payment_method_id, metadata={},
                          idempotency_key=key)
    report = settler.settle(campaign.id)
    assert report.counts == {"succeeded": 1}
    assert len(gw.payment_intents) == 1  # the resumed call was replayed, not a new charge
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ChargeAttempt)) == 1


def test_stale_started_attempt_is_not_retried(app, session, gw, settler):
    campaign = make_campaign(status=S.LIVE, tiers=0, goal_minor=10_000)
    pledge = back_pledge(campaign, gw)
    ended(campaign)
    session.commit()
    with app.app_context():
        services.close_at_deadline(db.session.get(Campaign, campaign.id))
        attempt = services.begin_attempt(db.session.get(Pledge, pledge.id))
        attempt.created_at = utcnow() - timedelta(hours=25)
        db.session.commit()
    report = settler.settle(campaign.id)
    assert report.counts == {"skipped": 1} and report.outcome == "funded: charging continues"
    assert "charge_off_session" not in gw.calls
    with app.app_context():
        assert db.session.scalar(sa.select(ChargeAttempt.status)) is C.UNKNOWN


def test_rate_limits_are_retried_with_the_same_key(app, session, gw, monkeypatch):
    campaign = make_campaign(status=S.LIVE, tiers=0, goal_minor=10_000)
    back_pledge(campaign, gw)
    ended(campaign)
    session.commit()
    real, keys, sleeps = gw.charge_off_session, [], []

    def flaky(**kwargs):
        keys.append(kwargs["idempotency_key"])
        if len(keys) <= 3:
            raise RateLimited("slow down")
        return real(**kwargs)

    monkeypatch.setattr(gw, "charge_off_session", flaky)
    settler = Settler(app, gw, worker="w", sleep=sleeps.append)
    assert settler.settle(campaign.id).counts == {"succeeded": 1}
    assert len(set(keys)) == 1 and len(keys) == 4
    assert len(sleeps) == 3 and sleeps[0] < sleeps[2]  # backing off


def test_giving_up_leaves_the_attempt_to_resume(app, session, gw, monkeypatch):
    campaign = make_campaign(status=S.LIVE, tiers=0, goal_minor=10_000)
    back_pledge(campaign, gw)
    ended(campaign)
    session.commit()
    monkeypatch.setattr(gw, "charge_off_session",
                        lambda **kw: (_ for _ in ()).throw(RateLimited("no")))
    settler = Settler(app, gw, worker="w", sleep=lambda s: None)
    report = settler.settle(campaign.id)
    assert report.counts == {"retry later": 1} and report.outcome == "funded: charging continues"
    monkeypatch.undo()
    assert Settler(app, gw, worker="w", sleep=lambda s: None).settle(campaign.id).counts == {
        "succeeded": 1}


def test_claim_keeps_a_second_process_out(app, session, gw):
    campaign = make_campaign(status=S.LIVE, tiers=0, goal_minor=10_000)
    back_pledge(campaign, gw)
    ended(campaign)
    session.commit()
    with app.app_context():
        assert services.claim(campaign.id, "other-process")
        db.session.commit()
    report = Settler(app, gw, worker="me", sleep=lambda s: None).settle(campaign.id)
    assert report.outcome.startswith("skipped") and "charge_off_session" not in gw.calls


def test_dry_run_writes_nothing(app, session, gw):
    campaign = make_campaign(status=S.LIVE, tiers=0, goal_minor=10_000, title="Dry")
    back_pledge(campaign, gw, amount="70")
    back_pledge(campaign, gw, amount="50")
    ended(campaign)
    failing = make_campaign(status=S.LIVE, tiers=0, goal_minor=10**7)
    back_pledge(failing, gw)
    ended(failing)
    session.commit()
    funded_slug, failing_slug, campaign_id = campaign.slug, failing.slug, campaign.id
    result = app.test_cli_runner().invoke(args=["settle", "--dry-run"])
    session.rollback()  # the command shared this test's session
    assert result.exit_code == 0, result.output
    assert f"{funded_slug}: funded ($120.00 of $100.00): charge 2 pledges, $120.00" in result.output
    assert f"{failing_slug}: failed" in result.output and "charge nobody" in result.output
    assert _statuses(app, campaign_id) == ["active", "active"]
    with app.app_context():
        assert db.session.get(Campaign, campaign_id).status is S.LIVE
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ChargeTransition)) == 0
    assert "charge_off_session" not in gw.calls


def test_settle_command_for_one_campaign(app, session, gw):
    campaign = make_campaign(status=S.LIVE, tiers=0, goal_minor=10_000)
    back_pledge(campaign, gw)
    ended(campaign)
    session.commit()
    result = app.test_cli_runner().invoke(args=["settle", "--campaign", campaign.slug])
    session.rollback()
    assert result.exit_code == 0, result.output
    assert "funded: charged (succeeded: 1)" in result.output
    missing = app.test_cli_runner().invoke(args=["settle", "--campaign", "nope"])
    assert missing.exit_code != 0 and "No campaign" in missing.output


def test_public_total_stays_frozen_at_the_deadline(app, client, session, gw, settler):
    campaign = make_campaign(status=S.LIVE, tiers=0, goal_minor=10_000)
    back_pledge(campaign, gw, amount="80")
    back_pledge(campaign, gw, card="declines", amount="40")
    ended(campaign)
    session.commit()
    settler.settle(campaign.id)
    html = client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    assert "$120.00" in html  # the errored pledge still counts in "pledged at the deadline"


def test_operator_settles_one_campaign_from_the_console(app, client, auth, session, gw):
    campaign = make_campaign(status=S.LIVE, tiers=0, goal_minor=10_000)
    back_pledge(campaign, gw, amount="150")
    back_pledge(campaign, gw, card="declines", amount="20")
    ended(campaign)
    operator = make_user(operator=True)
    session.commit()
    auth.login_as(operator)
    page = client.get(f"/operators/campaigns/{campaign.id}").get_data(as_text=True)
    assert "If settled now" in page and "charge 2 pledges, $170.00" in page
    # Queued, and the page returns at once: the console shows the job waiting...
    response = client.post(f"/operators/campaigns/{campaign.id}/settle", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.request.path == "/operators/settlement"
    assert f"Settlement of {campaign.title} queued" in page
    assert f"settle campaign {campaign.id}</td>" in page
    assert '<td data-label="State">queued</td>' in page
    assert queue.drain(app) >= 2  # the embedded runner: the settlement, then its batch
    page = client.get("/operators/settlement").get_data(as_text=True)
    assert "funded: charging in 1 batch" in page  # the settlement's report
    assert "charged; campaign collecting (failed: 1, succeeded: 1)" in page  # the batch's
    public = client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    assert "$170.00" in public and "pledged by the deadline" in public
    assert "$150.00" in public and "collected (charges that went through)" in public
    assert "Still being collected" in public and "$20.00 (1 payment failed" in public


def _outcome_emails(app, campaign_id):
    from crowdfund.notifications.models import OutboxMessage

    with app.app_context():
        keys = db.session.scalars(sa.select(OutboxMessage.dedupe_key).where(
            OutboxMessage.kind == "campaign_outcome")).all()
        ids = db.session.scalars(sa.select(Pledge.id).where(
            Pledge.campaign_id == campaign_id)).all()
        return sorted(k for k in keys if k.endswith("-outcome") and
                      int(k.split("-")[1]) in ids)


@pytest.mark.parametrize("goal_minor", [1_000_000, 10_000], ids=["failed", "funded"])
def test_a_close_killed_between_batches_resumes_and_tells_everyone_once(
        app, session, gw, settler, goal_minor):
    from crowdfund.campaigns.models import RewardTier
    from crowdfund.pledges.models import PledgeTransition

    campaign = make_campaign(status=S.LIVE, tiers=0, goal_minor=goal_minor)
    tiers = [RewardTier(title=f"T{i}", minimum_minor=1_000, position=i, quantity_limit=10)
             for i in range(2)]
    campaign.tiers.extend(tiers)
    session.flush()
    made = []
    for i in range(7):
        backer = make_user()
        pledge = pledges.start_pledge(backer, campaign, tiers[i % 2],
                                      Money.from_decimal("100", "USD"), None)
        gw.confirm_setup(pledges.ensure_setup_intent(pledge, backer, gw).id, CARDS["ok"])
        pledges.confirm_card(pledge, gw)
        made.append(pledge.id)
    ended(campaign)
    session.commit()
    # A run that decided, told (and released) one batch of 3, then died:
    with app.app_context():
        camp = db.session.get(Campaign, campaign.id)
        assert services.decide_at_deadline(camp)
        db.session.commit()
        assert services.close_out(camp, 0, limit=3) == made[2]
        db.session.commit()
        assert campaign.id in settlement_plan.due_campaign_ids()
    assert len(_outcome_emails(app, campaign.id)) == 3
    settler.batch = 2  # the rest in batches of 2, each committed
    settler.settle_due()
    assert len(_outcome_emails(app, campaign.id)) == 7  # each exactly once (unique keys)
    with app.app_context():
        camp = db.session.get(Campaign, campaign.id)
        assert camp.closed_out_at is not None
        assert campaign.id not in settlement_plan.due_campaign_ids()
        statuses = set(db.session.scalars(sa.select(Pledge.status).where(
            Pledge.campaign_id == campaign.id)))
        claimed = [db.session.get(RewardTier, t.id).claimed for t in tiers]
        released = db.session.scalars(sa.select(PledgeTransition.pledge_id).where(
            PledgeTransition.to_status == P.RELEASED)).all()
        if goal_minor == 10_000:
            assert camp.status is S.COLLECTING and statuses == {P.COLLECTED}
            assert claimed == [4, 3] and released == []
        else:
            assert camp.status is S.FAILED and statuses == {P.RELEASED}
            assert claimed == [0, 0]  # every unit given back, once per tier and batch
            assert sorted(released) == sorted(made)  # one audit row per pledge


def _funded_and_ended(session, gw, backers: int):
    """A campaign past its deadline, funded by ``backers`` pledges of $100 (their ids)."""
    campaign = make_campaign(status=S.LIVE, tiers=0, goal_minor=10_000)
    made = [back_pledge(campaign, gw).id for _ in range(backers)]
    ended(campaign)
    session.commit()
    return campaign, made


def test_a_pledge_whose_charge_raises_is_recorded_and_the_batch_goes_on(
        app, session, gw, settler, monkeypatch):
    from crowdfund.supervision import JobFailure

    campaign, made = _funded_and_ended(session, gw, 4)
    real = services.record_outcome
    poisoned = made[1]

    def record(attempt, result, now=None):
        if attempt.pledge_id == poisoned:
            raise RuntimeError("a corrupt row")
        return real(attempt, result, now)

    monkeypatch.setattr(services, "record_outcome", record)
    report = settler.settle(campaign.id)
    assert report.counts == {"succeeded": 3}
    with app.app_context():
        statuses = dict(db.session.execute(sa.select(Pledge.id, Pledge.status).where(
            Pledge.campaign_id == campaign.id)).all())
        assert [statuses[i] for i in made] == [P.COLLECTED, P.ACTIVE, P.COLLECTED, P.COLLECTED]
        failure = db.session.scalar(sa.select(JobFailure))
        assert (failure.job, failure.item) == ("charge pledge", str(poisoned))
        assert "a corrupt row" in failure.last_error and failure.resolved_at is None
        attempt = db.session.scalar(sa.select(ChargeAttempt).where(
            ChargeAttempt.pledge_id == poisoned))
        assert attempt.status is C.STARTED  # left to resume with its key
    monkeypatch.setattr(services, "record_outcome", real)
    report = settler.settle(campaign.id)
    assert report.counts == {"succeeded": 1} and report.outcome == "funded: charged"
    assert len(gw.payment_intents) == 4  # the resumed call was replayed, not a new charge
    with app.app_context():
        assert db.session.scalar(sa.select(JobFailure.resolved_at)) is not None


def test_a_charge_that_raises_after_its_posting_books_and_audits_nothing(
        app, session, gw, settler, monkeypatch):
    from crowdfund.ledger import services as ledger
    from crowdfund.ledger.models import LedgerTransaction
    from crowdfund.notifications import emails

    campaign, made = _funded_and_ended(session, gw, 5)
    real = emails.receipt
    poisoned = made[2]

    def receipt(pledge, amount, payment_intent_id):
        if pledge.id == poisoned:  # after the charge was booked in the batch
            raise RuntimeError("a corrupt address")
        return real(pledge, amount, payment_intent_id)

    monkeypatch.setattr(emails, "receipt", receipt)
    assert settler.settle(campaign.id).counts == {"succeeded": 4}
    with app.app_context():
        booked = db.session.scalars(sa.select(LedgerTransaction.pledge_id)).all()
        assert sorted(booked) == sorted(p for p in made if p != poisoned)
        assert ledger.check() == []  # postings agree with the charges recorded
        from crowdfund.pledges.models import PledgeTransition

        collected = db.session.scalars(sa.select(PledgeTransition.pledge_id).where(
            PledgeTransition.to_status == P.COLLECTED)).all()
        succeeded = db.session.scalars(sa.select(ChargeAttempt.pledge_id).join(
            ChargeTransition, ChargeTransition.attempt_id == ChargeAttempt.id).where(
            ChargeTransition.to_status == C.SUCCEEDED)).all()
        assert sorted(collected) == sorted(succeeded) == sorted(
            p for p in made if p != poisoned)  # the audit trail has no row for it either
    monkeypatch.setattr(emails, "receipt", real)
    assert settler.settle(campaign.id).counts == {"succeeded": 1}
    with app.app_context():
        assert sorted(db.session.scalars(sa.select(LedgerTransaction.pledge_id))) == made
        assert ledger.check() == []
