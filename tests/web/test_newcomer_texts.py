"""What a newcomer tripped over (issue 15), as pages show it: times left, one date format,
ended campaigns, abandoned attempts, the founder's own campaign, operators' landing page,
the fix-payment button."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from crowdfund.campaigns.states import CampaignStatus as S
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.filters import datetime_filter, time_left
from crowdfund.pledges.models import Pledge
from crowdfund.pledges.models import PledgeStatus as P
from tests.factories import PASSWORD, make_campaign, make_pledge, make_tier, make_user

NOW = datetime(2026, 12, 1, 11, 2, 29, tzinfo=UTC)


def test_time_left_rounds_to_the_nearest_unit_and_reads_alone():
    just_launched = NOW + timedelta(days=30) - timedelta(seconds=5)
    assert time_left(just_launched, NOW) == "30 days to go"
    assert time_left(just_launched, NOW, short=True) == "30 days"
    assert time_left(NOW + timedelta(hours=5, minutes=40), NOW) == "6 hours to go"
    assert time_left(NOW - timedelta(seconds=1), NOW) == "ended"


def test_one_date_and_time_format_everywhere(app):
    with app.app_context():
        assert datetime_filter(NOW) == "Dec 1, 2026, 11:02\u202fAM UTC"  # CLDR's narrow space


def test_cards_say_days_to_go_once_and_ended_campaigns_say_when(client, session):
    live = make_campaign(status=S.LIVE, title="Still Going", days_left=38)
    ended = make_campaign(status=S.FAILED, title="All Over")
    ended.deadline = utcnow() - timedelta(days=3)
    session.commit()
    html = client.get("/discover").get_data(as_text=True)
    assert "to go left" not in html and "days to go" not in html.split("Still Going")[1][:2000]
    card = html.split("Still Going")[1][:2000]
    assert "<dt>to go</dt><dd>38 days</dd>" in card.replace("\n", "").replace("  ", "")
    page = client.get(f"/campaigns/{ended.slug}").get_data(as_text=True)
    assert "will only be funded if it reaches its goal" not in page
    assert "did not reach its goal by the deadline, so nobody was charged" in page
    stats = page.split('class="campaign-stats"')[1].split("</aside>")[0]
    assert '<p class="big">Ended</p>' in stats and "to go" not in stats and "ends " not in stats
    live_page = client.get(f"/campaigns/{live.slug}").get_data(as_text=True)
    assert "will only be funded if it reaches its goal by" in live_page


def test_an_abandoned_attempt_is_neither_a_backer_nor_a_cancellation(app, client, auth,
                                                                      session):
    campaign = make_campaign(status=S.LIVE, tiers=0)
    tier = make_tier(campaign, minimum_minor=2500)
    backer = make_user(name="Second Thoughts")
    session.commit()
    auth.login_as(backer)
    form = {"tier": str(tier.id), "amount": "30"}
    first = client.post(f"/campaigns/{campaign.slug}/pledge", data=form)
    assert first.status_code == 302
    again = client.post(f"/campaigns/{campaign.slug}/pledge", data=form)  # went back
    assert again.status_code == 302
    with app.app_context():
        statuses = sorted(s.value for s in db.session.scalars(
            sa.select(Pledge.status).where(Pledge.backer_id == backer.id)))
    assert statuses == ["cancelled", "pending"]  # the first attempt ended, never backed
    mine = client.get("/pledges").get_data(as_text=True)
    assert mine.count(campaign.title) == 1 and "Cancelled" not in mine
    auth.logout()
    auth.login_as(campaign.founder)
    backers = client.get(f"/studio/{campaign.id}/backers").get_data(as_text=True)
    assert "Second Thoughts" not in backers
    csv_rows = client.get(f"/studio/{campaign.id}/backers.csv").get_data(as_text=True)
    assert "Second Thoughts" not in csv_rows


def test_operators_land_on_their_console(client, session):
    operator = make_user(operator=True)
    session.commit()
    response = client.post("/login", data={"email": operator.email, "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/operators/"


def test_a_failed_payment_has_its_fix_button_in_the_list(client, auth, session):
    campaign = make_campaign(status=S.COLLECTING)
    backer = make_user()
    pledge = make_pledge(campaign, backer, status=P.ERRORED)
    session.commit()
    auth.login_as(backer)
    mine = client.get("/pledges").get_data(as_text=True)
    assert f'href="/pledges/{pledge.id}/pay"' in mine and "Fix payment" in mine


def test_i_received_my_reward_is_offered_only_once_it_can_have_arrived(client, auth, session):
    from datetime import date

    from crowdfund.community.models import DeliveryReport, DeliveryStatus

    campaign = make_campaign(status=S.COLLECTING, tiers=0)
    tier = make_tier(campaign, minimum_minor=2500)
    tier.estimated_delivery = date(utcnow().year + 1, 6, 1)  # months away
    backer = make_user()
    pledge = make_pledge(campaign, backer, status=P.COLLECTED, tier=tier)
    session.commit()
    auth.login_as(backer)
    page = client.get(f"/pledges/{pledge.id}").get_data(as_text=True)
    assert "I received my reward" not in page and "has not been sent yet" in page
    refused = client.post(f"/pledges/{pledge.id}/received", follow_redirects=True)
    assert "has not been sent yet" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Pledge, pledge.id).received_at is None
    db.session.add(DeliveryReport(tier_id=tier.id, status=DeliveryStatus.SHIPPING,
                                  author_id=campaign.founder_id))
    session.commit()
    page = client.get(f"/pledges/{pledge.id}").get_data(as_text=True)
    assert "I received my reward" in page  # the founder says it is on its way
    assert client.post(f"/pledges/{pledge.id}/received").status_code == 302
    db.session.expire_all()
    assert db.session.get(Pledge, pledge.id).received_at is not None


def test_destinations_are_country_names(client, session):
    campaign = make_campaign(status=S.LIVE, tiers=0)
    from crowdfund.campaigns.models import ShippingRate

    tier = make_tier(campaign, minimum_minor=4000, ships=True)
    tier.shipping_rates.append(ShippingRate(destination="US", fee_minor=500))
    session.commit()
    page = client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    ships = page.split("Ships to:")[1].split("</p>")[0]
    assert "United States" in ships and "Rest of world" in ships and " US " not in ships


def test_irreversible_actions_ask_first_without_scripts(client, auth, session):
    campaign = make_campaign(status=S.LIVE, tiers=0)
    backer = make_user()
    pledge = make_pledge(campaign, backer)
    approved = make_campaign(status=S.APPROVED)
    session.commit()
    auth.login_as(backer)
    page = client.get(f"/pledges/{pledge.id}").get_data(as_text=True)
    box = page.split('<details class="confirm-step">')[1].split("</details>")[0]
    assert "<summary" in box and "Cancel this pledge? Nothing will be charged" in box
    assert f'action="/pledges/{pledge.id}/cancel"' in box and "Yes, cancel pledge" in box
    auth.logout()
    auth.login_as(approved.founder)
    studio = client.get(f"/studio/{approved.id}").get_data(as_text=True)
    launch = studio.split('<details class="confirm-step">')[1].split("</details>")[0]
    assert "Launch now? The campaign goes live at once" in launch and "Yes, launch it now" in launch


def test_forms_describe_only_what_exists_and_ids_are_unique(client, auth, session):
    import re

    campaign = make_campaign(status=S.LIVE, tiers=1)
    backer = make_user()
    pledge = make_pledge(campaign, backer)
    session.commit()
    sent = client.post("/register", data={"email": "x"}).get_data(as_text=True)
    assert 'aria-describedby="password-help password-error"' in sent  # hint and errors
    assert 'id="password-help"' in sent and 'id="password-error"' in sent
    for path in ("/login", "/register", "/", f"/campaigns/{campaign.slug}/pledge",
                 f"/pledges/{pledge.id}", f"/campaigns/{campaign.slug}"):
        if path.startswith(("/campaigns/", "/pledges/")):
            auth.login_as(backer)
        response = client.get(path, follow_redirects=True)  # (backing: the edit form)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        ids = re.findall(r'\sid="([^"]+)"', html)
        assert len(ids) == len(set(ids)), (path, sorted(i for i in ids if ids.count(i) > 1))
        for described in re.findall(r'aria-describedby="([^"]+)"', html):
            for target in described.split():
                assert target in ids, (path, target)
        assert html.index('class="skip-link" href="#content"') < html.index("<header")


def test_funded_and_ended_campaigns_can_be_browsed(client, session):
    make_campaign(status=S.LIVE, title="Still Live")
    funded = make_campaign(status=S.COLLECTING, title="Made It")
    failed = make_campaign(status=S.FAILED, title="Fell Short")
    for campaign in (funded, failed):
        campaign.deadline = utcnow() - timedelta(days=1)
    session.commit()

    def titles(query: str) -> set[str]:
        html = client.get(f"/discover{query}").get_data(as_text=True)
        return {t for t in ("Still Live", "Made It", "Fell Short") if t in html}

    assert titles("") == {"Still Live"} and titles("?stage=nonsense") == {"Still Live"}
    assert titles("?stage=funded") == {"Made It"}
    assert titles("?stage=ended") == {"Made It", "Fell Short"}
    assert "Discover ended campaigns" in client.get("/discover?stage=ended").get_data(
        as_text=True)


def test_the_home_page_shows_each_campaign_once(client, session):
    for n in range(6):
        make_campaign(status=S.LIVE, title=f"Campaign Number {n}", days_left=5 + n)
    session.commit()
    html = client.get("/").get_data(as_text=True)
    for n in range(6):
        assert html.count(f"Campaign Number {n}</h3>") <= 1, n
