"""The founder's studio through its pages: bad input gets field errors and writes nothing."""

import io

import pytest
import sqlalchemy as sa
from PIL import Image

from crowdfund.campaigns.models import BudgetLine, Campaign, RewardTier
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.extensions import db
from tests.factories import make_campaign, make_pledge, make_tier, make_user, story_form

S = CampaignStatus


def count(app, model):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))




NEW = {"title": "Solar kettle", "kind": "reward", "category": "design", "currency": "USD",
       "goal": "5,000", "duration_days": "30"}


def test_create_draft_and_become_founder(app, client, founder):
    response = client.post("/studio/new", data=NEW)
    assert response.status_code == 302
    with app.app_context():
        campaign = db.session.scalar(sa.select(Campaign))
        assert campaign.founder_id == founder.id and campaign.goal_minor == 500_000
        assert campaign.status is S.DRAFT and campaign.slug == "solar-kettle"
    assert response.headers["Location"] == f"/studio/{campaign.id}/edit"
    assert b"Solar kettle" in client.get("/studio/").data


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("title", "", "This field is required."),
     ("title", "x" * 81, "Field cannot be longer than 80 characters."),
     ("goal", "", "Enter a goal."),
     ("goal", "-100", "The amount cannot be negative."),
     ("goal", "abc", "Enter an amount such as 25 or 25.50."),
     ("goal", "1e5", "Enter an amount such as 25 or 25.50."),
     ("goal", "NaN", "Enter an amount such as 25 or 25.50."),
     ("goal", "0", "The amount must be more than zero."),
     ("goal", "10.001", "at most 2 decimal places"),
     ("goal", "999999999999", "The goal can be at most"),
     ("goal", "99999999999999999999", "That amount is too large."),
     ("duration_days", "0", "A campaign runs for 1 to 60 days."),
     ("duration_days", "61", "A campaign runs for 1 to 60 days."),
     ("duration_days", "ten", "Not a valid integer value."),
     ("currency", "XYZ", "Not a valid choice."),
     ("category", "", "Choose a category."),
     ("category", "weapons", "Not a valid choice."),
     ("kind", "loan", "Not a valid choice.")],
)
def test_new_campaign_bad_input(app, client, founder, field, value, message):
    response = client.post("/studio/new", data={**NEW, field: value})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count(app, Campaign) == 0


def test_angle_brackets_are_text_kept_and_escaped_on_output(app, client, founder):
    response = client.post("/studio/new", data={**NEW, "title": "Kettle <2> & <script>"})
    assert response.status_code == 302
    with app.app_context():
        campaign = db.session.scalar(sa.select(Campaign))
        assert campaign.title == "Kettle <2> & <script>"  # what the founder typed
    page = client.get("/studio/").get_data(as_text=True)
    assert "Kettle &lt;2&gt; &amp; &lt;script&gt;" in page and "<script>" not in page.split(
        "<main")[1]




def _edit_data(campaign, **changes):
    return story_form(campaign, **changes)


def _png(size=(640, 360), fmt="PNG") -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 80)).save(buffer, fmt)
    buffer.seek(0)
    return buffer


def test_edit_saves_story_and_cover(app, client, draft):
    data = _edit_data(draft, cover=(_png(), "cover.png"))
    response = client.post(f"/studio/{draft.id}/edit", data=data,
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        campaign = db.session.get(Campaign, draft.id)
        assert campaign.goal_minor == 100_000 and campaign.blurb == "Short"
        assert campaign.cover_path.startswith("covers/") and campaign.cover_path.endswith(".png")
    image = client.get(f"/uploads/{campaign.cover_path}")
    assert image.status_code == 200 and image.data[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("upload", "message"),
    [((io.BytesIO(b"<?php echo 1; ?>"), "cover.png"), "not an image we can read"),
     ((io.BytesIO(b"GIF89a not really"), "cover.gif"), "not an image we can read"),
     ((io.BytesIO(b"%PDF-1.4"), "cover.pdf"), "Use a JPEG, PNG, WebP or GIF image."),
     ((_png(fmt="BMP"), "cover.png"), "Use a JPEG, PNG, WebP or GIF image."),
     ((io.BytesIO(b""), "cover.png"), "The file is empty."),
     # Too small to fill a card, or not landscape.
     ((_png((8, 8)), "cover.png"), "The image is 8 x 8 pixels: use one of at least 640 x 360."),
     ((_png((639, 360)), "cover.png"), "use one of at least 640 x 360"),
     ((_png((1000, 1000)), "cover.png"), "use a landscape image, between 4:3 and 2.4:1"),
     ((_png((2000, 600)), "cover.png"), "use a landscape image")],
)
def test_cover_that_is_not_an_image_is_refused(app, client, draft, upload, message):
    response = client.post(f"/studio/{draft.id}/edit",
                           data=_edit_data(draft, title="Changed", cover=upload),
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        campaign = db.session.get(Campaign, draft.id)
        assert campaign.cover_path is None and campaign.title == draft.title
    uploads = app.config["UPLOAD_FOLDER"]
    import pathlib
    assert not list(pathlib.Path(uploads).glob("covers/*.php"))


def test_oversized_cover_is_refused(app, client, draft):
    app.config["COVER_MAX_BYTES"] = 1000
    try:
        response = client.post(f"/studio/{draft.id}/edit",
                               data=_edit_data(draft, cover=(_png((800, 600)), "c.png")),
                               content_type="multipart/form-data")
    finally:
        app.config["COVER_MAX_BYTES"] = 8 * 1024 * 1024
    assert response.status_code == 400 and "larger than" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("goal", "-5", "cannot be negative"), ("duration_days", "61", "1 to 60 days"),
     ("slug", "Bad Slug!", "lower-case letters"), ("slug", "new", "reserved"),
     ("title", "", "This field is required."), ("blurb", "b" * 161, "160 characters"),
     ("scheduled_launch_at", "2001-01-01T10:00", "Pick a launch time in the future.")],
)
def test_edit_bad_input_changes_nothing(app, client, draft, field, value, message):
    response = client.post(f"/studio/{draft.id}/edit", data=_edit_data(draft, **{field: value}))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        campaign = db.session.get(Campaign, draft.id)
        assert (campaign.goal_minor, campaign.slug, campaign.description_md) == (
            draft.goal_minor, draft.slug, draft.description_md)


def test_slug_taken_by_another_campaign(app, client, session, draft):
    other = make_campaign(make_user())
    session.commit()
    response = client.post(f"/studio/{draft.id}/edit", data=_edit_data(draft, slug=other.slug))
    assert response.status_code == 400 and b"Another campaign already uses" in response.data


def test_live_campaign_edit_form_has_no_locked_fields(app, client, session, founder):
    live = make_campaign(founder, status=S.LIVE)
    session.commit()
    page = client.get(f"/studio/{live.id}/edit").get_data(as_text=True)
    assert 'name="goal"' not in page and 'name="currency"' not in page and "are fixed" in page
    response = client.post(f"/studio/{live.id}/edit",
                           data=_edit_data(live, goal="1", title="New title"))
    assert response.status_code == 302
    with app.app_context():
        campaign = db.session.get(Campaign, live.id)
        assert campaign.title == "New title" and campaign.goal_minor == live.goal_minor


TIER = {"title": "Early bird", "description": "One kettle", "minimum": "45", "quantity_limit": "",
        "estimated_delivery": "2099-05", "ships": "yes", "shipping-0-destination": "US",
        "shipping-0-fee": "8", "shipping-1-destination": "ROW", "shipping-1-fee": "15.50"}


def test_add_tier_with_shipping(app, client, draft):
    response = client.post(f"/studio/{draft.id}/rewards/new", data=TIER)
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        tier = db.session.scalar(sa.select(RewardTier))
        assert tier.minimum_minor == 4500 and tier.ships and tier.quantity_limit is None
        assert {(r.destination, r.fee_minor) for r in tier.shipping_rates} == {("US", 800),
                                                                                ("ROW", 1550)}
        assert tier.estimated_delivery.isoformat() == "2099-05-01"


@pytest.mark.parametrize(
    ("changes", "message"),
    [({"minimum": ""}, "Enter the minimum pledge."), ({"minimum": "-1"}, "cannot be negative"),
     ({"minimum": "ten"}, "Enter an amount"), ({"minimum": "0.001"}, "decimal places"),
     ({"minimum": "100000000"}, "at most"), ({"quantity_limit": "0"}, "Between 1 and"),
     ({"quantity_limit": "-3"}, "Between 1 and"),
     ({"quantity_limit": "lots"}, "Not a valid integer"),
     ({"estimated_delivery": "2001-01"}, "cannot be in the past"),
     ({"estimated_delivery": "May 2099"}, "Enter a month as YYYY-MM."),
     ({"shipping-0-fee": "-2"}, "cannot be negative"),
     ({"shipping-0-destination": "XX"}, "Not a valid choice"),
     ({"shipping-1-destination": "US"}, "United States is listed twice."),
     ({"shipping-0-fee": ""}, "Each shipping row needs a destination and a fee."),
     ({"shipping-0-destination": "", "shipping-0-fee": "", "shipping-1-destination": "",
       "shipping-1-fee": ""}, "Add at least one destination"),
     ({"title": ""}, "This field is required.")],
)
def test_tier_bad_input(app, client, draft, changes, message):
    response = client.post(f"/studio/{draft.id}/rewards/new", data={**TIER, **changes})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count(app, RewardTier) == 0


def test_backed_tier_of_live_campaign_is_read_only(app, client, session, founder):
    live = make_campaign(founder, status=S.LIVE, tiers=0)
    tier = make_tier(live, limit=10, claimed=1)
    make_pledge(live, tier=tier)
    session.commit()
    response = client.post(f"/studio/{live.id}/rewards/{tier.id}", data=TIER)
    assert response.status_code == 400 and b"has backers" in response.data
    client.post(f"/studio/{live.id}/rewards/{tier.id}/delete")
    with app.app_context():
        assert db.session.get(RewardTier, tier.id).minimum_minor == 2500


def test_budget_lines(app, client, draft):
    ok = client.post(f"/studio/{draft.id}/budget", data={"label": "Tooling", "amount": "400"})
    assert ok.status_code == 302
    for data, message in [({"label": "", "amount": "5"}, "This field is required."),
                          ({"label": "x", "amount": "-5"}, "cannot be negative"),
                          ({"label": "x", "amount": "abc"}, "Enter an amount"),
                          ({"label": "x", "amount": "5000000"}, "more than the whole goal")]:
        response = client.post(f"/studio/{draft.id}/budget", data=data)
        assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert count(app, BudgetLine) == 1
    page = client.get(f"/studio/{draft.id}/budget").get_data(as_text=True)
    assert "Tooling" in page and "40%" in page


def test_submit_incomplete_draft_says_what_is_missing(app, client, draft):
    response = client.post(f"/studio/{draft.id}/submit", follow_redirects=True)
    assert b"Before review, complete: Cover image" in response.data
    with app.app_context():
        assert db.session.get(Campaign, draft.id).status is S.DRAFT


def test_submit_withdraw_launch_and_cancel_through_pages(app, client, session, founder):
    ready = make_campaign(founder)
    session.commit()
    client.post(f"/studio/{ready.id}/submit")
    with app.app_context():
        assert db.session.get(Campaign, ready.id).status is S.SUBMITTED
    assert b"Launch now" not in client.get(f"/studio/{ready.id}").data
    client.post(f"/studio/{ready.id}/launch")  # not approved: refused
    with app.app_context():
        campaign = db.session.get(Campaign, ready.id)
        assert campaign.status is S.SUBMITTED
        campaign.status = S.APPROVED  # as if an operator approved it
        db.session.commit()
    response = client.post(f"/studio/{ready.id}/launch", follow_redirects=True)
    assert b"Your campaign is live!" in response.data
    response = client.post(f"/studio/{ready.id}/cancel", data={"reason": ""},
                           follow_redirects=True)
    assert b"Give a reason" in response.data
    response = client.post(f"/studio/{ready.id}/cancel", data={"reason": "Factory closed down"},
                           follow_redirects=True)
    assert b"Campaign cancelled" in response.data
    with app.app_context():
        assert db.session.get(Campaign, ready.id).status is S.CANCELLED


def test_a_refused_cover_is_explained_in_the_founders_language(client, draft):
    client.set_cookie("lang", "zh_Hans")
    response = client.post(f"/studio/{draft.id}/edit",
                           data=_edit_data(draft, title="Changed", cover=(_png((8, 8)),
                                                                          "cover.png")),
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert "图片为 8 x 8 像素：请使用至少 640 x 360 像素的图片。" in response.get_data(as_text=True)
