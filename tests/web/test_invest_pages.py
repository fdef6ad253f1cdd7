"""The invest page: profile first, the quote shown before committing, then the card."""

import re

import sqlalchemy as sa

from crowdfund.pledges.models import Pledge
from tests.factories import investor, live_offering


def test_invest_shows_what_the_amount_buys_before_committing(app, client, auth, session):
    campaign = live_offering()
    person = investor()
    session.commit()
    auth.login_as(person)
    page = client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    assert "Invest" in page and "you can invest up to $2,500.00" in page
    assert "Offering terms" in page and "investor" in page
    assert client.get(f"/campaigns/{campaign.slug}/pledge").location.endswith(
        f"/invest/{campaign.slug}")
    page = client.get(f"/invest/{campaign.slug}").get_data(as_text=True)
    assert "You can cancel for any reason until" in page
    response = client.post(f"/invest/{campaign.slug}", data={"amount": "1000"})
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "769 shares" in text and "$999.70" in text and "$0.30" in text
    assert session.scalar(sa.select(sa.func.count()).select_from(Pledge)) == 0
    # Changing the amount on the confirmation step shows the new quote, commits nothing.
    response = client.post(f"/invest/{campaign.slug}", data={"amount": "500",
                                                             "confirmed": "100000"})
    assert "384 shares" in response.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(Pledge)) == 0
    response = client.post(f"/invest/{campaign.slug}", data={"amount": "1000",
                                                             "confirmed": "100000"})
    assert response.status_code == 302 and "/card" in response.location
    pledge = session.scalar(sa.select(Pledge))
    assert (pledge.shares, pledge.amount_minor) == (769, 99_970)


def test_invest_refusals_and_the_profile_first(app, client, auth, session):
    from tests.factories import make_user

    campaign = live_offering()
    newcomer = make_user()
    person = investor()
    session.commit()
    auth.login_as(newcomer)
    response = client.get(f"/invest/{campaign.slug}")
    assert response.status_code == 302 and "/invest/profile" in response.location
    client.post("/logout")
    auth.login_as(person)
    response = client.post(f"/invest/{campaign.slug}", data={"amount": "3000"})
    assert response.status_code == 200 and "We lowered the amount" in response.get_data(
        as_text=True)  # offered what the limit allows, to confirm
    assert ("Your limit for the next 12 months is $2,500.00; you have $0.00 committed; "
            "you can invest up to $2,500.00.") in response.get_data(as_text=True)
    response = client.post(f"/invest/{campaign.slug}", data={"amount": "12.345"})
    assert response.status_code == 400
    assert session.scalar(sa.select(sa.func.count()).select_from(Pledge)) == 0


def test_an_investment_reads_as_one_on_its_pages_and_in_its_email(app, client, auth,
                                                                   session):
    from crowdfund.extensions import db
    from crowdfund.notifications.models import OutboxMessage
    from crowdfund.payments import gateway as current_gateway

    campaign = live_offering()
    campaign.title = "Fernwood Cider Co."
    person = investor()
    session.commit()
    auth.login_as(person)
    response = client.post(f"/invest/{campaign.slug}", data={"amount": "1000",
                                                             "confirmed": "100000"})
    pledge_id = int(response.location.split("/")[2])
    card = client.get(f"/pledges/{pledge_id}/card").get_data(as_text=True)
    assert "Investment" in card and "769 shares" in card and "Reward" not in card
    with app.app_context():
        current_gateway().confirm_setup(db.session.get(Pledge, pledge_id).setup_intent_id)
    client.post(f"/pledges/{pledge_id}/card", data={"setup_intent": "x"})

    page = client.get(f"/pledges/{pledge_id}").get_data(as_text=True)
    assert "Your investment" in page and "Your pledge" not in page
    for shown in ("Common stock", "Price per share", "$1.30", "769", "$999.70",
                  "Cancel until", "Cancel investment"):
        assert shown in page, shown
    assert "Reward" not in page and "Change pledge" not in page
    edit = client.get(f"/pledges/{pledge_id}/edit", follow_redirects=True)
    assert edit.request.path == f"/pledges/{pledge_id}"
    assert "An investment cannot be changed" in edit.get_data(as_text=True)

    mail = session.scalar(sa.select(OutboxMessage).where(OutboxMessage.to_email == person.email))
    assert mail.kind == "investment_confirmed"
    assert mail.subject == "Your investment in Fernwood Cider Co."
    body = mail.text_body
    assert "investing in Fernwood Cider Co. Your card" in body and "Co.." not in body
    assert "769" in body and "Common stock" in body and "$1.30" in body
    assert "48 hours before the deadline" in body
    assert "change or cancel your pledge" not in body


def test_offerings_say_invested_and_investors_and_can_be_found(client, session):
    from crowdfund.campaigns.states import CampaignStatus
    from tests.factories import make_campaign

    offering = live_offering()
    offering.title = "Tidewater Instruments"
    make_campaign(status=CampaignStatus.LIVE, title="Pocket Tide Clock")
    session.commit()
    only_equity = client.get("/discover?kind=equity").get_data(as_text=True)
    assert "Tidewater Instruments" in only_equity and "Pocket Tide Clock" not in only_equity
    card = only_equity.split("Tidewater Instruments")[0].rsplit('<article class="card">', 1)[1]
    card += only_equity.split("Tidewater Instruments")[1].split("</article>")[0]
    assert "Equity</span>" in card and "<dt>invested</dt>" in card
    assert "<dt>investors</dt>" in card and "backers" not in card
    only_rewards = client.get("/discover?kind=reward").get_data(as_text=True)
    assert "Pocket Tide Clock" in only_rewards and "Tidewater Instruments" not in only_rewards
    every = client.get("/discover?kind=nonsense").get_data(as_text=True)  # ignored, no 500
    assert "Pocket Tide Clock" in every and "Tidewater Instruments" in every
    page = client.get(f"/campaigns/{offering.slug}").get_data(as_text=True)
    assert "invested of $50,000.00 target" in page and "pledged of" not in page


def test_an_amount_over_the_limit_is_lowered_to_whole_shares_within_it(app, client, auth,
                                                                       session):
    campaign = live_offering()
    person = investor()  # a limit of $2,500.00
    session.commit()
    auth.login_as(person)
    response = client.post(f"/invest/{campaign.slug}", data={"amount": "5000"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "is more than you can invest now" in page
    assert "We lowered the amount to $2,499.90 (1,923 whole shares)" in page
    assert 'value="2499.90"' in page and 'value="249990"' in page  # the form, ready to confirm
    assert session.scalar(sa.select(sa.func.count()).select_from(Pledge)) == 0
    confirmed = client.post(f"/invest/{campaign.slug}", data={"amount": "2499.90",
                                                              "confirmed": "249990"})
    assert confirmed.status_code == 302
    pledge = session.scalar(sa.select(Pledge))
    assert (pledge.shares, pledge.amount_minor) == (1923, 249_990)


REWARD_WORDS = re.compile(r"\b(pledge[sd]?|rewards?|shipping)\b", re.I)


def test_every_email_and_the_fix_page_of_an_investment_speak_of_an_investment(
        app, client, auth, session):
    """Each backer email that can be about an investment (and the payment fix page)."""
    from crowdfund.campaigns.states import CampaignStatus
    from crowdfund.money import Money
    from crowdfund.notifications import emails
    from crowdfund.notifications.models import OutboxMessage
    from crowdfund.pledges.models import PledgeStatus
    from tests.factories import make_pledge

    campaign = live_offering()
    person = investor()
    pledge = make_pledge(campaign, person, amount_minor=99_970)
    pledge.shares, pledge.card_last4, pledge.card_brand = 769, "4242", "visa"
    session.flush()
    deadline = campaign.deadline
    for send in (lambda: emails.campaign_outcome_backer(pledge, True),
                 lambda: emails.receipt(pledge, pledge.amount, "pi_1"),
                 lambda: emails.payment_failed(pledge, deadline),
                 lambda: emails.payment_reminder(pledge, 1, deadline),
                 lambda: emails.pledge_dropped(pledge),
                 lambda: emails.refund_issued(pledge, 1, Money(100, "USD"), ""),
                 lambda: emails.card_health(pledge, "7d", "Your card expires first.")):
        send()
    campaign.status, pledge.status = CampaignStatus.COLLECTING, PledgeStatus.ERRORED
    session.commit()
    found = {}
    for mail in session.scalars(sa.select(OutboxMessage)):
        text = mail.subject + "\n" + re.sub(r"https?://\S+", "", mail.text_body)
        found[mail.kind] = [m.group(0) for m in REWARD_WORDS.finditer(text)]
        assert "investment" in text.lower() or mail.kind == "campaign_outcome", mail.kind
    assert len(found) == 7 and {k: v for k, v in found.items() if v} == {}
    auth.login_as(person)
    page = client.get(f"/pledges/{pledge.id}/pay").get_data(as_text=True)
    main = page.split("<main", 1)[1].split("</main>")[0]
    assert "Pay your investment" in main and "769" in main
    assert [m.group(0) for m in REWARD_WORDS.finditer(re.sub(r"<[^>]+>", " ", main))] == []
