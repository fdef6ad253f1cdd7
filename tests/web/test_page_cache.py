"""Public pages kept a few seconds for anonymous visitors, never for anyone else."""

import pytest

from crowdfund.campaigns.states import CampaignStatus
from crowdfund.memo import Store
from crowdfund.pagecache import PageStore
from tests.factories import AuthActions, count_queries, make_campaign, make_pledge, make_user


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(app, monkeypatch):
    """The page cache on (5 s, as in production), on a clock the test moves."""
    clock = Clock()
    monkeypatch.setitem(app.config, "PAGE_CACHE_SECONDS", 5)
    monkeypatch.setitem(app.extensions, "page_cache", PageStore(3, clock))
    monkeypatch.setitem(app.extensions, "shown_values", Store(10, clock))
    return clock


@pytest.fixture
def live(session):
    campaign = make_campaign(status=CampaignStatus.LIVE, title="Solar kettle")
    session.commit()
    return campaign


def test_an_anonymous_visitor_gets_the_kept_page_until_it_is_five_seconds_old(
        app, client, session, clock, live):
    page = f"/campaigns/{live.slug}"
    first = client.get(page)
    assert first.status_code == 200 and "Set-Cookie" not in first.headers
    with count_queries(app) as queries:
        kept = client.get(page)
    assert queries == [] and kept.data == first.data  # no query, no template
    assert kept.headers["Content-Security-Policy"] and "Cookie" in kept.headers["Vary"]
    make_pledge(live, amount_minor=123_400)
    session.commit()
    assert "$1,234" not in client.get(page).get_data(as_text=True)  # still the kept page
    clock.now += 5
    assert "$1,234" in client.get(page).get_data(as_text=True)  # a new pledge shows


def test_signed_in_people_never_get_the_kept_page(app, client, auth, session, clock, live):
    page = f"/campaigns/{live.slug}"
    client.get(page)  # kept for anonymous visitors
    backer = make_user(name="Grace Backer")
    session.commit()
    auth.login_as(backer)
    mine = client.get(page).get_data(as_text=True)
    assert "Grace Backer" in mine and "Follow" in mine and "Sign in to follow" not in mine
    client.get("/")  # a signed-in page is not kept for the anonymous either
    auth.logout()
    client.get("/")  # the flashed "signed out" message
    assert "Grace Backer" not in client.get("/").get_data(as_text=True)


def test_a_waiting_message_is_shown_not_a_kept_page(app, client, auth, session, clock, live):
    client.get("/")  # kept
    user = make_user()
    session.commit()
    auth.login_as(user)
    response = client.post("/logout", follow_redirects=True)
    assert "You are signed out." in response.get_data(as_text=True)


def test_shared_links_record_their_source_and_errors_are_not_kept(
        app, client, session, clock, live):
    page = f"/campaigns/{live.slug}"
    client.get(page)  # kept
    response = client.get(f"{page}?ref=newsletter")
    assert "Set-Cookie" in response.headers  # the view ran: the source is in the session
    with client.session_transaction() as browser:
        assert browser["refs"] == {str(live.id): "newsletter"}
    with count_queries(app) as queries:
        assert client.get("/campaigns/no-such-campaign").status_code == 404
        assert client.get("/campaigns/no-such-campaign").status_code == 404
    assert len(queries) >= 2  # both reached the database


def test_odd_urls_cannot_grow_the_cache(app, client, session, clock, live):
    for n in range(10):
        assert client.get(f"/discover?q=kettle{n}").status_code == 200
    assert len(app.extensions["page_cache"]) == 3


def test_signed_in_pages_share_the_totals_a_few_seconds_never_the_rules(
        app, client, auth, session, clock, live):
    from crowdfund.pledges.totals import totals_of

    page = f"/campaigns/{live.slug}"
    auth.login_as(make_user())
    client.get(page)
    make_pledge(live, amount_minor=123_400)
    session.commit()
    assert "$1,234" not in client.get(page).get_data(as_text=True)  # the kept totals
    with app.app_context():
        assert totals_of(live).pledged.amount == 123_400  # what rules read is never kept
    clock.now += 5
    assert "$1,234" in client.get(page).get_data(as_text=True)


def test_the_shared_parts_of_a_page_never_leak_backers_only_updates(
        app, client, auth, session, clock, live):
    from crowdfund.community.models import CampaignUpdate

    backer = make_pledge(live).backer
    stranger = make_user()
    session.add(CampaignUpdate(campaign_id=live.id, number=1, title="Tooling done",
                               body_md="The secret mould photos.", visibility="backers",
                               author_id=live.founder_id))
    session.commit()
    page = f"/campaigns/{live.slug}"
    auth.login_as(backer)
    assert "The secret mould photos." in client.get(page).get_data(as_text=True)
    auth.logout()
    auth.login_as(stranger)  # within the same seconds: another variant of the parts
    seen = client.get(page).get_data(as_text=True)
    assert "The secret mould photos." not in seen and "For backers only" in seen
    auth.logout()
    assert "The secret mould photos." not in client.get(page).get_data(as_text=True)


def test_an_edit_shows_at_once_and_the_founder_always_sees_it_fresh(
        app, client, auth, session, clock, live):
    from crowdfund.community.models import CampaignUpdate

    page = f"/campaigns/{live.slug}"
    auth.login_as(make_user())
    client.get(page)
    live.risks_md = "A brand new risk paragraph."
    session.commit()  # updated_at changes: a new key
    assert "A brand new risk paragraph." in client.get(page).get_data(as_text=True)
    auth.logout()
    auth.login_as(live.founder)
    session.add(CampaignUpdate(campaign_id=live.id, number=1, title="Fresh news",
                               body_md="Shipped today.", author_id=live.founder_id))
    session.commit()
    assert "Shipped today." in client.get(page).get_data(as_text=True)


def test_a_new_comment_shows_at_once_to_everyone_signed_in(
        app, client, auth, session, clock, live):
    page = f"/campaigns/{live.slug}"
    auth.login_as(make_user())
    client.get(page)  # the newest threads, shared
    assert client.post(f"/campaigns/{live.slug}/comments",
                       data={"body": "Does it fold flat?"}).status_code == 302
    assert "Does it fold flat?" in client.get(page).get_data(as_text=True)
    auth.logout()
    auth.login_as(make_user())
    assert "Does it fold flat?" in client.get(page).get_data(as_text=True)



def test_signed_in_readers_share_the_threads_each_with_their_own_token_and_buttons(
        app, session, clock, live, monkeypatch):
    import re

    from crowdfund.community.models import Comment

    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)  # to sign in and out
    ada, bob = make_user(name="Ada Reader"), make_user(name="Bob Reader")
    session.flush()
    comment = Comment(campaign_id=live.id, author_id=ada.id, body="Ships to Norway?")
    session.add(comment)
    session.commit()
    page = f"/campaigns/{live.slug}"

    def read_as(user):
        browser = app.test_client()  # a browser of their own
        app.config["WTF_CSRF_ENABLED"] = False
        AuthActions(browser).login_as(user)
        app.config["WTF_CSRF_ENABLED"] = True
        html = browser.get(page).get_data(as_text=True)
        return browser, set(re.findall(r'name="csrf_token"[^>]*value="([^"]+)"', html)), html

    _, ada_tokens, ada_page = read_as(ada)  # renders the shared threads
    bob, bob_tokens, bob_page = read_as(bob)  # gets them kept, with his own token put in
    assert "Ships to Norway?" in ada_page and "Ships to Norway?" in bob_page
    assert "Send to moderators" not in ada_page  # nobody reports their own comment
    assert bob_page.count("Send to moderators") == 1
    assert len(bob_tokens) == 1 and bob_tokens.isdisjoint(ada_tokens)  # never another's
    # Bob's token is his: the report form he was given goes through CSRF protection.
    response = bob.post(f"/comments/{comment.id}/report",
                        data={"reason": "spam", "csrf_token": bob_tokens.pop()})
    assert response.status_code == 302


def test_a_page_past_its_seconds_is_rendered_by_one_request_while_others_get_the_old_copy(
        app, client, session, clock, live):
    """No stampede: of the requests that find the page past its 5 s, the first renders it
    again and the others meanwhile are served the previous copy; a page nobody asked for
    in PAGE_CACHE_STALE_SECONDS more is gone and rendered afresh."""
    store = app.extensions["page_cache"]
    page = f"/campaigns/{live.slug}"
    client.get(page)
    make_pledge(live, amount_minor=123_400)
    session.commit()
    clock.now += 5
    key = next(iter(store._items))
    assert store.claim(key)  # another request (worker) is rendering it right now
    with count_queries(app) as queries:
        old = client.get(page).get_data(as_text=True)
    assert "$1,234" not in old and queries == []  # served the previous copy, no rendering
    clock.now += 2  # that request never finished (it failed): its claim lapses
    assert "$1,234" in client.get(page).get_data(as_text=True)  # this one renders it
    make_pledge(live, amount_minor=200_000)
    session.commit()
    clock.now += 5 + store.stale  # nobody asked for 35 s: gone, not served stale
    assert "$3,234" in client.get(page).get_data(as_text=True)
