"""Uploads through a storage every web server shares, named by their content."""

import io

import pytest
import sqlalchemy as sa
from PIL import Image

from crowdfund import create_app
from crowdfund.campaigns.models import Campaign
from crowdfund.extensions import db
from crowdfund.storage import FileRow, LocalStorage
from crowdfund.uploads import delete_upload
from tests.factories import make_campaign, make_user


def _png(colour=(10, 120, 80)) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 360), colour).save(buffer, "PNG")
    buffer.seek(0)
    return buffer


def _edit(campaign, cover, **changes):
    data = {"title": campaign.title, "blurb": "Short", "category": "design",
            "slug": campaign.slug, "currency": "USD", "goal": "1000", "duration_days": "30",
            "scheduled_launch_at": "", "description_md": "Story " * 20,
            "risks_md": "Risky business, handled.", "cover": (cover, "cover.png")}
    data.update(changes)
    return data


@pytest.fixture
def in_database(app):
    app.config["UPLOAD_STORAGE"] = "database"
    yield app
    app.config["UPLOAD_STORAGE"] = "local"


def _upload_cover(app, client, auth, session, campaign, colour=(10, 120, 80)) -> str:
    auth.login_as(campaign.founder)
    response = client.post(f"/studio/{campaign.id}/edit", data=_edit(campaign, _png(colour)),
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        return db.session.get(Campaign, campaign.id).cover_path


def test_a_cover_uploaded_through_one_web_server_is_served_by_another(
        in_database, client, auth, session, tmp_path):
    app = in_database
    campaign = make_campaign(ready=False)
    session.commit()
    key = _upload_cover(app, client, auth, session, campaign)
    other = create_app({"ENV_NAME": "testing", "UPLOAD_STORAGE": "database",
                        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                        "UPLOAD_FOLDER": str(tmp_path / "elsewhere")})
    served = other.test_client().get(f"/uploads/{key}")
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert Image.open(io.BytesIO(served.data)).size == (640, 360)
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    again = other.test_client().get(f"/uploads/{key}",
                                    headers={"If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304
    assert not (tmp_path / "elsewhere").exists() or not any((tmp_path / "elsewhere").iterdir())


def test_names_come_from_the_content_and_a_shared_file_is_kept(
        in_database, client, auth, session):
    app = in_database
    founder = make_user()
    first, second = make_campaign(founder, ready=False), make_campaign(founder, ready=False)
    session.commit()
    key = _upload_cover(app, client, auth, session, first)
    assert _upload_cover(app, client, auth, session, second) == key  # same bytes, same key
    assert key.startswith("covers/") and len(key.split("/")[1].split(".")[0]) == 40
    # The first campaign moves to another cover: the old one is still the second's.
    assert _upload_cover(app, client, auth, session, first, colour=(200, 10, 10)) != key
    assert client.get(f"/uploads/{key}").status_code == 200
    with app.app_context():
        db.session.get(Campaign, second.id).cover_path = None
        db.session.commit()
        delete_upload(key)  # nobody uses it now
        assert db.session.get(FileRow, key) is None
    assert client.get(f"/uploads/{key}").status_code == 404


def test_a_refused_form_keeps_only_the_chosen_cover(in_database, client, auth, session):
    """In the database too, a cover chosen in a refused form is kept (the page says so, and
    the next try uses it); nothing else the form asked for is written."""
    import re

    app = in_database
    campaign = make_campaign(ready=False)
    taken = make_campaign(ready=False)
    session.commit()
    auth.login_as(campaign.founder)
    response = client.post(f"/studio/{campaign.id}/edit",
                           data=_edit(campaign, _png(), slug=taken.slug),
                           content_type="multipart/form-data")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    with app.app_context():
        keys = db.session.scalars(sa.select(FileRow.key)).all()
        assert db.session.get(Campaign, campaign.id).cover_path is None
    assert len(keys) == 1 and f'src="/uploads/{keys[0]}" alt="The cover you chose"' in page
    token = re.search(r'name="kept_cover" type="hidden" value="([^"]*)"', page).group(1)
    data = _edit(campaign, _png(), kept_cover=token)
    del data["cover"]
    saved = client.post(f"/studio/{campaign.id}/edit", data=data,
                        content_type="multipart/form-data")
    assert saved.status_code == 302
    with app.app_context():
        assert db.session.get(Campaign, campaign.id).cover_path == keys[0]


@pytest.mark.parametrize("path", ["covers/../../secret_key", "covers/abc.png", "x" * 300,
                                  "covers/" + "a" * 40 + ".exe"])
def test_only_stored_keys_are_served(client, path):
    assert client.get(f"/uploads/{path}").status_code == 404


def test_local_storage_never_leaves_its_folder(tmp_path):
    store = LocalStorage(tmp_path / "uploads")
    with pytest.raises(ValueError, match=r"bad storage key '\.\./outside\.png'"):
        store.put("../outside.png", b"x", "image/png")
    assert store.get("../../etc/passwd") is None
    store.put("covers/" + "b" * 40 + ".png", b"png bytes", "image/png")
    assert store.get("covers/" + "b" * 40 + ".png").data == b"png bytes"
