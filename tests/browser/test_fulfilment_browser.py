"""The pledge manager in a real browser: a backer of a funded campaign completes the
survey (a wrong postcode is refused next to its field first) with an address and an
answer; the founder sees the progress, downloads the fulfilment CSV and finds the row,
reports the reward delivered; once the retention period is over the erase job erases the
address: the backer's page says so and the CSV row is empty."""

import csv
from datetime import timedelta
from pathlib import Path

import pytest

from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.fulfilment import questions
from crowdfund.fulfilment.erasing import erase_due
from tests.browser.helpers import sign_in
from tests.factories import funded_reward, make_user, surveyed_pledge


@pytest.fixture
def scene(app):
    with app.app_context():
        founder = make_user(name="Founder Fiona", verified=True)
        campaign = funded_reward(founder, title="Tidewater lamp")
        campaign.tiers[0].title = "One lamp"
        size = questions.add_question(campaign, founder, campaign.tiers[0].id, "size",
                                      "Which size of strap?", "", True)
        backer = make_user(name="Browser Backer")
        pledge = surveyed_pledge(campaign, backer, country="GB")
        db.session.commit()
        yield {"campaign": campaign.id, "pledge": pledge.id, "backer": backer.email,
               "founder": founder.email, "size": size.id}
        db.session.remove()


def _download_csv(page) -> list[list[str]]:
    with page.expect_download() as download:
        page.click("text=Download the fulfilment CSV")
    path = Path(download.value.path())
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.reader(file))


def test_survey_answered_exported_then_erased_after_retention(app, page, scene, browser):
    sign_in(page, scene["backer"])
    page.goto(f"{page.base}/pledges/{scene['pledge']}")
    assert "Your reward cannot be sent until you complete this survey." in page.inner_text(
        "#survey")
    page.click("#survey >> text=Complete your survey")
    page.fill("#recipient_name", "Grace Hopper")
    page.fill("#address_line1", "10 Downing Street")
    page.fill("#city", "London")
    page.fill("#postal_code", "12345")
    page.select_option(f"#q_{scene['size']}", "M")
    page.click("#survey-form button[type=submit]")
    error = page.locator("#postal_code-error")
    assert error.inner_text() == "Enter a postcode such as SW1A 1AA."
    assert page.get_attribute("#postal_code", "aria-invalid") == "true"
    page.fill("#postal_code", "sw1a2aa")
    page.click("#survey-form button[type=submit]")
    page.wait_for_selector("text=Thank you: your survey is saved.")
    assert "your survey is complete" in page.inner_text("#survey")
    erase_note = page.inner_text("#survey-erasure")
    assert "Only Founder Fiona and our team see your address and answers." in erase_note

    founder_context = browser.new_context(accept_downloads=True)
    founder = founder_context.new_page()
    founder.set_default_timeout(15_000)
    founder.base = page.base
    sign_in(founder, scene["founder"])
    founder.goto(f"{page.base}/studio/{scene['campaign']}/fulfilment")
    assert "1 backer to deliver to: 1 answered, 0 not yet." in founder.inner_text(
        ".progress-line")
    header, row = _download_csv(founder)
    assert row[header.index("recipient")] == "Grace Hopper"
    assert row[header.index("address_line1")] == "10 Downing Street"
    assert row[header.index("postal_code")] == "SW1A 2AA"  # written the British way
    assert (row[header.index("country")], row[header.index("reward")]) == ("GB", "One lamp")
    assert row[header.index("One lamp: Which size of strap?")] == "M"

    # The founder reports the reward delivered on the delivery page.
    founder.goto(f"{page.base}/studio/{scene['campaign']}/delivery")
    founder.check("input[name=status][value=delivered]")
    founder.click("text=Post delivery status")
    founder.wait_for_selector("text=Delivery status posted on the campaign page.")

    page.reload()
    retention = app.config["FULFILMENT_ADDRESS_RETENTION"]
    assert "We erase them on" in page.inner_text("#survey-erasure")
    # The jobs pass, once the retention period is over.
    with app.app_context():
        assert erase_due(now=utcnow() + retention - timedelta(hours=1)) == 0
        assert erase_due(now=utcnow() + retention + timedelta(minutes=5)) == 1
    page.reload()
    assert "Your address and answers were erased on" in page.inner_text("#survey")
    founder.goto(f"{page.base}/studio/{scene['campaign']}/fulfilment")
    assert "1 erased (delivered, or refunded)." in founder.inner_text(".progress-line")
    header, row = _download_csv(founder)
    assert row[header.index("address_line1")] == "" and row[header.index("survey")] == \
        "erased"
    founder_context.close()
    # The refused form's 400 is logged by the browser; no script failed.
    assert [e for e in page.js_errors if "status of 400" not in e] == []
