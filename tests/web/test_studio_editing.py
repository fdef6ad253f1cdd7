"""Editing a campaign without losing work: a chosen cover survives an error elsewhere in
the form, a reward ships to as many destinations as it needs, budget lines can be changed,
and a draft can be deleted."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from PIL import Image

from crowdfund.campaigns.models import BudgetLine, Campaign, CampaignTransition, RewardTier
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.extensions import db
from crowdfund.storage import storage
from crowdfund.uploads import pending_token
from tests.factories import make_campaign, make_tier, make_user, story_form

S = CampaignStatus






def _story(campaign, **changes):
    return story_form(campaign, **changes)


def _image(size=(800, 450), colour=(10, 120, 80)) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    buffer.seek(0)
    return buffer


def _kept_token(page: str) -> str:
    return re.search(r'name="kept_cover" type="hidden" value="([^"]*)"', page).group(1)


def _post_story(client, campaign, **changes):
    return client.post(f"/studio/{campaign.id}/edit", data=_story(campaign, **changes),
                       content_type="multipart/form-data")


# --- the cover survives a failed attempt -------------------------------------------------


def test_a_chosen_cover_is_kept_when_another_field_fails(app, client, draft):
    failed = _post_story(client, draft, title="", cover=(_image(), "cover.png"))
    page = failed.get_data(as_text=True)
    assert failed.status_code == 400 and "This field is required." in page
    assert "The cover you chose is kept" in page
    token = _kept_token(page)
    key = re.search(r'src="/uploads/(covers/[0-9a-f]+\.png)" alt="The cover you chose"',
                    page).group(1)
    with app.app_context():
        assert db.session.get(Campaign, draft.id).cover_path is None  # nothing saved yet
    # The founder fixes the title and saves without choosing the file again.
    saved = _post_story(client, draft, title="Fixed title", kept_cover=token)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    with app.app_context():
        campaign = db.session.get(Campaign, draft.id)
        assert (campaign.title, campaign.cover_path) == ("Fixed title", key)


def test_a_kept_cover_survives_a_domain_error_and_a_bad_second_file(app, client, session,
                                                                      draft):
    other = make_campaign(make_user())
    session.commit()
    failed = _post_story(client, draft, slug=other.slug, cover=(_image(), "cover.png"))
    assert failed.status_code == 400 and b"Another campaign already uses" in failed.data
    token = _kept_token(failed.get_data(as_text=True))
    # A second attempt with a file that is no image: its error, and the first one still kept.
    again = _post_story(client, draft, kept_cover=token,
                        cover=(io.BytesIO(b"not an image"), "c.png"))
    page = again.get_data(as_text=True)
    assert again.status_code == 400 and "not an image we can read" in page
    assert "The cover you chose is kept" in page
    saved = _post_story(client, draft, kept_cover=_kept_token(page))
    assert saved.status_code == 302
    with app.app_context():
        assert db.session.get(Campaign, draft.id).cover_path.startswith("covers/")


def test_a_replaced_kept_cover_is_deleted_from_storage(app, client, draft):
    first = _post_story(client, draft, title="", cover=(_image(colour=(1, 2, 3)), "a.png"))
    first_key = re.search(r'src="/uploads/(covers/[^"]+)" alt="The cover you chose"',
                          first.get_data(as_text=True)).group(1)
    second = _post_story(client, draft, title="", kept_cover=_kept_token(
        first.get_data(as_text=True)), cover=(_image(colour=(200, 2, 3)), "b.png"))
    assert second.status_code == 400
    with app.app_context():
        assert storage().get(first_key) is None  # chosen, replaced, never used: gone


@pytest.mark.parametrize("forge", ["plain key", "another founder", "another folder", "junk"])
def test_the_kept_field_cannot_name_somebody_elses_file(app, client, session, draft, forge):
    stranger = make_user()
    session.commit()
    with app.app_context():
        token = {"plain key": "covers/test.png",
                 "another founder": pending_token("covers/test.png", stranger.id),
                 "another folder": pending_token("documents/x.pdf", draft.founder_id),
                 "junk": "covers.abc" * 30}[forge]
    response = _post_story(client, draft, kept_cover=token)
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Campaign, draft.id).cover_path is None


# --- shipping: as many destinations as the reward needs ----------------------------------


TIER = {"title": "Early bird", "description": "One kettle", "minimum": "45", "quantity_limit": "",
        "estimated_delivery": "2099-05", "ships": "yes"}
COUNTRIES = ["US", "CA", "MX", "GB", "FR", "DE", "PT", "ES", "IT", "JP", "ROW"]


def _rows(pairs, indexes=None):
    data = {}
    for index, (destination, fee) in zip(indexes or range(len(pairs)), pairs, strict=True):
        data[f"shipping-{index}-destination"] = destination
        data[f"shipping-{index}-fee"] = fee
    return data


def test_a_reward_ships_to_more_than_six_destinations(app, client, draft):
    pairs = [(code, str(5 + n)) for n, code in enumerate(COUNTRIES)]
    # Rows added and removed in the browser leave gaps in the numbering: fine.
    indexes = [0, 1, 2, 4, 7, 8, 12, 13, 20, 21, 30]
    response = client.post(f"/studio/{draft.id}/rewards/new",
                           data={**TIER, **_rows(pairs, indexes)})
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        tier = db.session.scalar(sa.select(RewardTier))
        assert len(tier.shipping_rates) == 11
        tier_id = tier.id
    page = client.get(f"/studio/{draft.id}/rewards/{tier_id}").get_data(as_text=True)
    assert page.count('<select aria-describedby="shipping-hint" aria-label="Destination') == 12
    assert 'selected value="JP"' in page and "Add another destination" in page


def test_without_scripts_add_another_destination_keeps_what_was_typed(app, client, draft):
    data = {**TIER, **_rows([("US", "8"), ("ROW", "15")]), "more_rows": "1"}
    response = client.post(f"/studio/{draft.id}/rewards/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "error" not in page.split("<main", 1)[1].lower()
    assert page.count('aria-label="Destination') == 5  # two typed, three new
    assert 'selected value="US"' in page and 'value="15"' in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RewardTier)) == 0


def test_a_new_reward_offers_empty_rows_and_removing_one_is_choosing_none(app, client,
                                                                          session, draft):
    page = client.get(f"/studio/{draft.id}/rewards/new").get_data(as_text=True)
    assert page.count('aria-label="Destination') == 3
    tier = make_tier(draft, ships=True)  # ships to the rest of the world
    session.commit()
    data = {**TIER, **_rows([("US", "8"), ("", "")])}
    assert client.post(f"/studio/{draft.id}/rewards/{tier.id}", data=data).status_code == 302
    with app.app_context():
        rates = db.session.get(RewardTier, tier.id).shipping_rates
        assert [(r.destination, r.fee_minor) for r in rates] == [("US", 800)]


# --- budget lines can be changed -----------------------------------------------------------


def test_a_budget_line_can_be_edited(app, client, draft):
    client.post(f"/studio/{draft.id}/budget", data={"label": "Tooling", "amount": "400"})
    with app.app_context():
        line_id = db.session.scalar(sa.select(BudgetLine.id))
    page = client.get(f"/studio/{draft.id}/budget/{line_id}").get_data(as_text=True)
    assert "Edit “Tooling”" in page and 'value="Tooling"' in page and 'value="400.00"' in page
    bad = client.post(f"/studio/{draft.id}/budget/{line_id}",
                      data={"label": "Moulds", "amount": "5000000"})
    assert bad.status_code == 400 and b"more than the whole goal" in bad.data
    ok = client.post(f"/studio/{draft.id}/budget/{line_id}",
                     data={"label": "Moulds and tooling", "amount": "450.50"})
    assert ok.status_code == 302
    with app.app_context():
        line = db.session.get(BudgetLine, line_id)
        assert (line.label, line.amount_minor) == ("Moulds and tooling", 45050)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(BudgetLine)) == 1


def test_another_campaigns_budget_line_is_not_found(app, client, session, draft):
    theirs = make_campaign(make_user())
    session.commit()
    line_id = theirs.budget_lines[0].id
    assert client.get(f"/studio/{draft.id}/budget/{line_id}").status_code == 404
    assert client.post(f"/studio/{draft.id}/budget/{line_id}",
                       data={"label": "Mine now", "amount": "1"}).status_code == 404
    assert client.get(f"/studio/{theirs.id}/budget/{line_id}").status_code == 404


# --- drafts can be deleted -------------------------------------------------------------------


def test_a_draft_is_deleted_after_a_confirmation(app, client, session, founder, draft):
    overview = client.get(f"/studio/{draft.id}").get_data(as_text=True)
    assert "Delete this draft" in overview and "Yes, delete the draft" in overview
    response = client.post(f"/studio/{draft.id}/delete")
    assert response.status_code == 302 and response.headers["Location"] == "/studio/"
    index = client.get("/studio/").get_data(as_text=True)
    assert "is deleted." in index and f"/studio/{draft.id}\"" not in index
    assert client.get(f"/studio/{draft.id}").status_code == 404
    assert client.get(f"/studio/{draft.id}/edit").status_code == 404
    with app.app_context():
        campaign = db.session.get(Campaign, draft.id)
        assert campaign.status is S.DELETED and campaign.slug != draft.slug
        step = db.session.scalar(sa.select(CampaignTransition).where(
            CampaignTransition.campaign_id == draft.id))
        assert (step.from_status, step.to_status, step.actor_id) == (S.DRAFT, S.DELETED,
                                                                      founder.id)
    # Its address is free again.
    client.post("/studio/new", data={"title": draft.title, "kind": "reward",
                                      "category": "design", "currency": "USD",
                                      "goal": "500", "duration_days": "30"})
    with app.app_context():
        assert db.session.scalar(sa.select(Campaign.slug).where(
            Campaign.status == S.DRAFT)) == draft.slug


@pytest.mark.parametrize("status", [S.SUBMITTED, S.APPROVED, S.LIVE, S.FUNDED])
def test_only_a_draft_can_be_deleted(app, client, session, founder, status):
    campaign = make_campaign(founder, status=status)
    session.commit()
    assert "Delete this draft" not in client.get(f"/studio/{campaign.id}").get_data(as_text=True)
    response = client.post(f"/studio/{campaign.id}/delete", follow_redirects=True)
    assert "Only a draft can be deleted" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Campaign, campaign.id).status is status


def test_nobody_else_deletes_a_draft(app, client, session, auth, draft):
    stranger = make_user()
    session.commit()
    auth.logout()
    auth.login_as(stranger)
    assert client.post(f"/studio/{draft.id}/delete").status_code == 404
    with app.app_context():
        assert db.session.get(Campaign, draft.id).status is S.DRAFT
