""""Your sessions": every signed-in browser with its device, address and last use; ending
one (or all the others) signs it out at once, on the server."""

from __future__ import annotations

import re

import pytest

from crowdfund.auth.session_list import describe_device
from tests.factories import PASSWORD, make_user

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")


@pytest.mark.parametrize(("agent", "device"), [
    (FIREFOX, "Firefox on Windows"), (IPHONE, "Safari on iPhone"),
    ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0 Safari/537.36", "Chrome on Linux"),
    ("curl/8.5.0", "curl"), ("", "Unknown browser")])
def test_devices_are_named_from_the_user_agent(agent, device):
    assert describe_device(agent) == device


def _sign_in(app, email, agent):
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = agent  # every request (sessions are bound to it)
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_a_session_ended_from_another_stops_working(app, session):
    grace = make_user("grace@example.com")
    session.commit()
    laptop = _sign_in(app, grace.email, FIREFOX)
    phone = _sign_in(app, grace.email, IPHONE)
    page = laptop.get("/account/sessions").get_data(as_text=True)
    assert "Firefox on Windows <strong>(this browser)</strong>" in page
    assert "Safari on iPhone" in page and "127.0.0.1" in page
    ids = re.findall(r'/account/sessions/(\d+)/end', page)
    assert len(ids) == 2
    phone_id = [i for i in ids if f"/account/sessions/{i}/end" in page.split(
        "Safari on iPhone")[1].split("</tr>")[0]][0]
    ended = laptop.post(f"/account/sessions/{phone_id}/end", follow_redirects=True)
    assert "whoever holds it is signed out" in ended.get_data(as_text=True)
    assert phone.get("/account/profile").status_code == 302  # its cookie is dead
    assert laptop.get("/account/profile").status_code == 200
    # Somebody else's session is not one of mine to end.
    stranger = make_user()
    session.commit()
    theirs = _sign_in(app, stranger.email, FIREFOX)
    their_id = re.findall(r'/account/sessions/(\d+)/end',
                          theirs.get("/account/sessions").get_data(as_text=True))[0]
    refused = laptop.post(f"/account/sessions/{their_id}/end", follow_redirects=True)
    assert "already ended" in refused.get_data(as_text=True)
    assert theirs.get("/account/profile").status_code == 200


def test_sign_out_everywhere_else_keeps_this_browser(app, session):
    grace = make_user("grace@example.com")
    session.commit()
    browsers = [_sign_in(app, grace.email, agent) for agent in (FIREFOX, IPHONE, FIREFOX)]
    done = browsers[0].post("/account/sessions/end-others", follow_redirects=True)
    assert "Signed out everywhere else (2 sessions)." in done.get_data(as_text=True)
    assert [b.get("/account/profile").status_code for b in browsers] == [200, 302, 302]
    # Ending its own session signs this browser out.
    own = re.findall(r'/account/sessions/(\d+)/end',
                     browsers[0].get("/account/sessions").get_data(as_text=True))
    assert len(own) == 1
    browsers[0].post(f"/account/sessions/{own[0]}/end")
    assert browsers[0].get("/account/profile").status_code == 302
