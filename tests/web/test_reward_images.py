"""A picture per reward and per add-on: uploaded in the studio through the uploads storage
(re-encoded), shown on the reward's card and beside the add-on on the pledge form."""

import io

import pytest
from PIL import Image

from crowdfund.campaigns.models import RewardTier
from crowdfund.campaigns.reward_images import set_image
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.errors import DomainError, NotAllowed
from crowdfund.storage import storage, upload_root
from tests.factories import make_add_on, make_campaign, make_user


def _png(size=(800, 600), fmt="PNG", exif=False) -> io.BytesIO:
    buffer = io.BytesIO()
    image = Image.new("RGB", size, (200, 90, 40))
    if exif:
        data = image.getexif()
        data[0x010F] = "SecretCam"  # Make
        image.save(buffer, fmt, exif=data)
    else:
        image.save(buffer, fmt)
    buffer.seek(0)
    return buffer


def _upload(client, campaign, item_id, upload, kind="rewards"):
    return client.post(f"/studio/{campaign.id}/{kind}/{item_id}/image",
                       data={"image": upload}, content_type="multipart/form-data")


def _tier(session, campaign) -> RewardTier:
    session.expire_all()
    return session.get(RewardTier, campaign.tiers[0].id)


def test_a_reward_image_is_re_encoded_and_shown_on_its_card(app, client, session, founder):
    campaign = make_campaign(founder, status=CampaignStatus.LIVE)
    session.commit()
    tier_id = campaign.tiers[0].id
    response = _upload(client, campaign, tier_id, (_png((3000, 2250), "JPEG", exif=True),
                                                   "pic.jpg"))
    assert response.status_code == 302
    key = _tier(session, campaign).image_path
    assert key.startswith("rewards/") and key.endswith(".jpg")
    with app.app_context():
        stored = storage().get(key)
    image = Image.open(io.BytesIO(stored.data))
    assert image.size == (1200, 900) and b"SecretCam" not in stored.data
    page = client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    assert (f'<img src="/uploads/{key}" alt="Tier 1" class="tier-image" width="400" '
            'height="300" loading="lazy" decoding="async">') in page


@pytest.mark.parametrize(("upload", "message"), [
    ((io.BytesIO(b"<?php echo 1; ?>"), "pic.png"), "not an image we can read"),
    ((io.BytesIO(b"%PDF-1.4"), "pic.pdf"), "Use a JPEG, PNG, WebP or GIF image."),
    ((io.BytesIO(b""), "pic.png"), "The file is empty."),
    ((_png((399, 300)), "pic.png"), "use one of at least 400 x 300"),
])
def test_a_bad_file_is_refused_next_to_the_field(app, client, session, draft, upload,
                                                 message):
    tier = RewardTier(campaign=draft, title="Mug", minimum_minor=1000)
    session.add(tier)
    session.commit()
    response = _upload(client, draft, tier.id, upload)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page.split('id="image-error"')[1].split("</div>")[0]
    assert _tier(session, draft).image_path is None


def test_an_oversized_file_is_refused(app, client, session, draft, monkeypatch):
    tier = RewardTier(campaign=draft, title="Mug", minimum_minor=1000)
    session.add(tier)
    session.commit()
    monkeypatch.setitem(app.config, "REWARD_IMAGE_MAX_BYTES", 1000)
    response = _upload(client, draft, tier.id, (_png(), "pic.png"))
    assert response.status_code == 400 and "larger than" in response.get_data(as_text=True)
    assert _tier(session, draft).image_path is None


def test_a_refused_change_stores_nothing(app, client, session, founder):
    campaign = make_campaign(founder, status=CampaignStatus.SUBMITTED)
    session.commit()
    with app.app_context():
        folder = upload_root() / "rewards"
    before = set(folder.iterdir()) if folder.exists() else set()
    response = _upload(client, campaign, campaign.tiers[0].id, (_png(), "pic.png"))
    assert response.status_code == 400
    assert "withdraw it from review" in response.get_data(as_text=True)
    assert _tier(session, campaign).image_path is None
    with app.app_context():
        folder = upload_root() / "rewards"
    assert (set(folder.iterdir()) if folder.exists() else set()) == before


def test_replacing_an_image_deletes_the_old_one(app, client, session, founder):
    campaign = make_campaign(founder, status=CampaignStatus.LIVE)
    session.commit()
    tier_id = campaign.tiers[0].id
    _upload(client, campaign, tier_id, (_png(), "a.png"))
    first = _tier(session, campaign).image_path
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (1, 2, 3)).save(buffer, "PNG")
    buffer.seek(0)
    _upload(client, campaign, tier_id, (buffer, "b.png"))
    second = _tier(session, campaign).image_path
    assert second != first
    with app.app_context():
        assert storage().get(first) is None and storage().get(second) is not None
    assert client.post(f"/studio/{campaign.id}/rewards/{tier_id}/image/delete").status_code \
        == 302
    assert _tier(session, campaign).image_path is None
    with app.app_context():
        assert storage().get(second) is None


def test_an_add_on_image_shows_on_the_pledge_form(app, client, session, auth, founder):
    campaign = make_campaign(founder, status=CampaignStatus.LIVE)
    add_on = make_add_on(campaign, name="Enamel pin")
    session.commit()
    assert _upload(client, campaign, add_on.id, (_png(), "pin.png"), "add-ons").status_code \
        == 302
    session.expire_all()
    key = session.get(type(add_on), add_on.id).image_path
    assert key.startswith("rewards/")
    auth.logout()
    auth.login_as(make_user_committed(session))
    form = client.get(f"/campaigns/{campaign.slug}/pledge").get_data(as_text=True)
    assert f'<img src="/uploads/{key}" alt="Enamel pin" class="add-on-image"' in form


def make_user_committed(session):
    user = make_user()
    session.commit()
    return user


def test_another_founder_gets_404_and_the_service_refuses(client, session, auth, founder):
    campaign = make_campaign(founder, status=CampaignStatus.LIVE)
    other = make_user()
    session.commit()
    tier = campaign.tiers[0]
    with pytest.raises(NotAllowed, match="This is not your campaign"):
        set_image(tier, other, "rewards/x.png")
    session.rollback()
    auth.logout()
    auth.login_as(other)
    assert _upload(client, campaign, tier.id, (_png(), "pic.png")).status_code == 404
    assert client.get(f"/studio/{campaign.id}/rewards/{tier.id}/image").status_code == 404
    assert client.post(f"/studio/{campaign.id}/rewards/{tier.id}/image/delete").status_code \
        == 404


def test_an_ended_campaigns_images_no_longer_change(session, founder):
    campaign = make_campaign(founder, status=CampaignStatus.FAILED)
    session.commit()
    with pytest.raises(DomainError, match="can no longer be changed"):
        set_image(campaign.tiers[0], founder, "rewards/x.png")
