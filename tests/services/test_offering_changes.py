"""Material changes of a live offering: the operator decides, investors reconfirm within
5 business days (weekends do not count) or are cancelled and told why."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from crowdfund.equity import changes, investing
from crowdfund.equity.models import OfferingChange, SecurityType
from crowdfund.equity.services import offering_of
from crowdfund.errors import DomainError, NotAllowed
from crowdfund.money import Money
from crowdfund.notifications.models import OutboxMessage
from crowdfund.pledges.models import Pledge, PledgeStatus
from tests.factories import investor, live_offering, make_user, terms_of

FRIDAY = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def usd(major):
    return Money.from_decimal(str(major), "USD")


def test_business_days_skip_the_weekend():
    assert changes.add_business_days(FRIDAY, 1) == FRIDAY + timedelta(days=3)  # Monday
    assert changes.add_business_days(FRIDAY, 5) == FRIDAY + timedelta(days=7)  # next Friday
    wednesday = FRIDAY - timedelta(days=2)
    assert changes.add_business_days(wednesday, 5) == wednesday + timedelta(days=7)


@pytest.fixture
def live(session):
    campaign = live_offering()
    campaign.deadline = FRIDAY + timedelta(days=30)
    ids = [investing.start_investment(investor(), campaign, usd(a), now=FRIDAY).id
           for a in (500, 700, 900)]
    return campaign, ids


def test_material_change_reconfirmed_ignored_and_cancelled(session, live):
    campaign, (kept, ignored, cancelled_anyway) = live
    offering = offering_of(campaign)
    change = changes.propose(campaign, campaign.founder,
                             terms_of(offering, price_per_share=usd("1.50")),
                             "New price after the bridge round.", now=FRIDAY)
    assert change.changed == ["price_per_share_minor"] and change.always_material
    with pytest.raises(DomainError, match="always material"):
        changes.decide(change, make_user(operator=True), material=False, now=FRIDAY)
    assert changes.decide(change, make_user(operator=True), material=True, now=FRIDAY) == 3
    assert offering.price_per_share == usd("1.50")
    deadline = FRIDAY + timedelta(days=7)  # five business days over the weekend
    pledges = {p.id: p for p in session.scalars(sa.select(Pledge))}
    assert {p.reconfirm_by for p in pledges.values()} == {deadline}
    assert (pledges[kept].shares, pledges[kept].amount) == (384, usd("499.20"))  # at $1.30
    changes.reconfirm(pledges[kept], pledges[kept].backer, now=deadline - timedelta(seconds=1))
    assert (pledges[kept].shares, pledges[kept].amount) == (332, usd("498.00"))  # at $1.50
    assert changes.cancel_unconfirmed(now=deadline - timedelta(seconds=1)) == 0
    with pytest.raises(DomainError, match="passed"):
        changes.reconfirm(pledges[ignored], pledges[ignored].backer, now=deadline)
    assert changes.cancel_unconfirmed(now=deadline) == 2
    assert pledges[kept].status is PledgeStatus.PENDING
    assert pledges[ignored].status is PledgeStatus.CANCELLED
    assert pledges[cancelled_anyway].status is PledgeStatus.CANCELLED
    told = {m.dedupe_key for m in session.scalars(sa.select(OutboxMessage))}
    assert f"pledge-{ignored}-unconfirmed-cancelled" in told
    assert f"pledge-{kept}-change-{change.id}" in told


def test_non_material_change_needs_no_reconfirmation(session, live):
    campaign, ids = live
    offering = offering_of(campaign)
    change = changes.propose(campaign, campaign.founder,
                             terms_of(offering, issuer_legal_name="Tidewater Instruments, Inc."),
                             "Corrected the issuer's legal name.", now=FRIDAY)
    assert not change.always_material
    assert changes.decide(change, make_user(operator=True), material=False, now=FRIDAY) == 0
    assert offering.issuer_legal_name == "Tidewater Instruments, Inc."
    assert changes.cancel_unconfirmed(now=FRIDAY + timedelta(days=30)) == 0


def test_proposals_are_checked(session, live):
    campaign, _ = live
    offering = offering_of(campaign)
    founder = campaign.founder
    with pytest.raises(DomainError, match="nothing changed"):
        changes.propose(campaign, founder, terms_of(offering), "No change at all here.",
                        now=FRIDAY)
    with pytest.raises(DomainError, match="cannot be below the target"):
        changes.propose(campaign, founder, terms_of(offering, maximum=usd(10)),
                        "Lower the maximum a lot.", now=FRIDAY)
    with pytest.raises(NotAllowed, match="This is not your campaign"):
        changes.propose(campaign, make_user(), terms_of(offering, maximum=usd(90_000)),
                        "Not my campaign at all.", now=FRIDAY)
    late = campaign.deadline - timedelta(days=3)
    with pytest.raises(DomainError, match="too late"):
        changes.propose(campaign, founder, terms_of(offering, maximum=usd(90_000)),
                        "Lower the maximum a bit.", now=late)
    changes.propose(campaign, founder, terms_of(offering, security=SecurityType.SAFE,
                                                price_per_share=None, pre_money_valuation=None,
                                                valuation_cap=usd(3_000_000)),
                    "Switch to a SAFE.", now=FRIDAY)
    with pytest.raises(DomainError, match="already waiting"):
        changes.propose(campaign, founder, terms_of(offering, maximum=usd(90_000)),
                        "Lower the maximum a bit.", now=FRIDAY)


def test_change_pages_founder_operator_investor(app, client, auth, session, live):
    campaign, (kept, *_rest) = live
    campaign.deadline = datetime.now(UTC) + timedelta(days=30)
    session.commit()
    auth.login_as(campaign.founder)
    page = client.get(f"/studio/{campaign.id}/offering").get_data(as_text=True)
    assert "Propose this change" in page
    form = {"issuer_legal_name": "Tidewater Instruments Inc.", "issuer_jurisdiction": "US",
            "incorporated_on": "2020-01-01", "security": "common_stock",
            "price_per_share": "1.50", "pre_money_valuation": "2000000", "maximum": "100000",
            "minimum_investment": "100", "allocation": "first_come",
            "use_of_proceeds_md": "Tooling and the first production run."}
    response = client.post(f"/studio/{campaign.id}/offering", data=form)
    assert response.status_code == 400
    assert "Explain the change to investors" in response.get_data(as_text=True)
    response = client.post(f"/studio/{campaign.id}/offering",
                           data={**form, "change_summary": "A higher price per share."},
                           follow_redirects=True)
    assert "Change sent to our team" in response.get_data(as_text=True)
    client.post("/logout")
    auth.login_as(make_user(operator=True))
    page = client.get(f"/operators/campaigns/{campaign.id}").get_data(as_text=True)
    assert "Proposed change of the offering" in page and "always material" in page
    change = session.scalar(sa.select(OfferingChange))
    response = client.post(f"/operators/offering-changes/{change.id}/material",
                           follow_redirects=True)
    assert "3 investors must reconfirm" in response.get_data(as_text=True)
    client.post("/logout")
    session.expire_all()
    pledge = session.get(Pledge, kept)
    auth.login_as(pledge.backer)
    page = client.get(f"/pledges/{kept}").get_data(as_text=True)
    assert "Reconfirm my investment" in page
    response = client.post(f"/invest/commitments/{kept}/reconfirm", follow_redirects=True)
    assert "your commitment stands on the new terms: 332 shares for $498.00." in \
        response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Pledge, kept).reconfirm_by is None


def test_early_close_rules(session, live):
    campaign, ids = live
    founder = campaign.founder
    campaign.launched_at = FRIDAY - timedelta(days=21)
    campaign.goal_minor = 1_000_00  # the $2,100 committed meets it
    for pledge in session.scalars(sa.select(Pledge)):
        pledge.status = PledgeStatus.ACTIVE  # cards saved
    early = FRIDAY + timedelta(days=7)  # exactly 5 business days later
    with pytest.raises(DomainError, match="open 21 days"):
        changes.close_early(campaign, founder, early, now=FRIDAY - timedelta(seconds=1))
    with pytest.raises(DomainError, match="5 business days"):
        changes.close_early(campaign, founder, early - timedelta(seconds=1), now=FRIDAY)
    with pytest.raises(DomainError, match="before the current one"):
        changes.close_early(campaign, founder, campaign.deadline, now=FRIDAY)
    campaign.goal_minor = 10_000_00
    with pytest.raises(DomainError, match="target is met"):
        changes.close_early(campaign, founder, early, now=FRIDAY)
    campaign.goal_minor = 1_000_00
    assert changes.close_early(campaign, founder, early, now=FRIDAY) == 3
    assert campaign.deadline == early
    told = {m.dedupe_key for m in session.scalars(sa.select(OutboxMessage))}
    assert {f"pledge-{i}-early-close-{early:%Y%m%d%H%M}" for i in ids} <= told
    # Investors keep their cancel rights until 48 hours before the new deadline.
    from crowdfund.pledges import services as pledges

    pledge = session.get(Pledge, ids[0])
    pledges.cancel_pledge(pledge, pledge.backer, now=early - timedelta(hours=48, seconds=1))
    assert pledge.status is PledgeStatus.CANCELLED


def test_close_early_from_the_studio(app, client, auth, session, live):
    campaign, _ = live
    now = datetime.now(UTC)
    campaign.launched_at = now - timedelta(days=22)
    campaign.deadline = now + timedelta(days=30)
    campaign.goal_minor = 1_000_00
    for pledge in session.scalars(sa.select(Pledge)):
        pledge.status = PledgeStatus.ACTIVE
    session.commit()
    auth.login_as(campaign.founder)
    too_soon = (now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/studio/{campaign.id}/offering/close-early",
                           data={"deadline": too_soon}, follow_redirects=True)
    assert "5 business days&#39; notice" in response.get_data(as_text=True)
    new = (now + timedelta(days=10)).replace(second=0, microsecond=0)
    response = client.post(f"/studio/{campaign.id}/offering/close-early",
                           data={"deadline": new.strftime("%Y-%m-%dT%H:%M")},
                           follow_redirects=True)
    assert "3 investors were told" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(type(campaign), campaign.id).deadline == new


def test_an_early_close_is_typed_on_the_founders_clock(app, client, auth, session, live):
    """A founder in Shanghai types the new deadline on their clock (UTC+8): it is stored as
    the UTC moment it means, and told back to them on their clock, zone named."""
    campaign, _ = live
    now = datetime.now(UTC)
    campaign.launched_at = now - timedelta(days=22)
    campaign.deadline = now + timedelta(days=30)
    campaign.goal_minor = 1_000_00
    campaign.founder.timezone = "Asia/Shanghai"
    for pledge in session.scalars(sa.select(Pledge)):
        pledge.status = PledgeStatus.ACTIVE
    session.commit()
    auth.login_as(campaign.founder)
    new = (now + timedelta(days=10)).replace(second=0, microsecond=0)
    typed = new.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/studio/{campaign.id}/offering/close-early",
                           data={"deadline": typed}, follow_redirects=True)
    page = response.get_data(as_text=True)
    told = page[page.index("The offering now closes"):][:120]
    assert "3 investors were told" in page, told
    shanghai = new.astimezone(ZoneInfo("Asia/Shanghai"))
    assert f"{shanghai:%-I:%M}\u202f{shanghai:%p} China Standard Time" in told
    session.expire_all()
    assert session.get(type(campaign), campaign.id).deadline == new
