"""An update's own page: readable by anyone when public; a backers-only one shows its number
to everyone else (a sign-in prompt, or a "for backers" notice) and never its title, text or
comments; its comments are the update's own (posted, replied to, reported, moderated, paged
by keyset), never among the campaign's."""

import re

import pytest
import sqlalchemy as sa

from crowdfund.campaigns.states import CampaignStatus
from crowdfund.community import comments
from crowdfund.community.models import CampaignUpdate, Comment, CommentReport
from crowdfund.errors import DomainError
from crowdfund.notifications.models import OutboxMessage
from tests.factories import make_campaign, make_pledge, make_user

SECRET = "Only for our backers: the recipe."


@pytest.fixture
def world(session):
    campaign = make_campaign(status=CampaignStatus.LIVE, tiers=0)
    backer = make_pledge(campaign).backer
    public = CampaignUpdate(campaign_id=campaign.id, number=1, title="Tooling done",
                            body_md="The moulds are **finished**.", visibility="public",
                            author_id=campaign.founder_id)
    backers = CampaignUpdate(campaign_id=campaign.id, number=2, title="Secret sauce",
                             body_md=SECRET, visibility="backers",
                             author_id=campaign.founder_id)
    session.add_all([public, backers])
    session.commit()
    return {"campaign": campaign, "backer": backer, "public": public, "backers": backers,
            "stranger": make_user(name="Stranger"), "operator": make_user(operator=True)}


def _url(world, which: str) -> str:
    return f"/campaigns/{world['campaign'].slug}/updates/{world[which].id}"


def _get(client, auth, url: str, user=None):
    if user is not None:
        auth.login_as(user)
    response = client.get(url)
    if user is not None:
        client.post("/logout")
    return response


def test_a_public_update_is_readable_by_anyone(client, auth, world):
    for viewer in (None, world["stranger"]):
        response = _get(client, auth, _url(world, "public"), viewer)
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "Update #1: Tooling done" in page and "<strong>finished</strong>" in page
        assert "Comments on this update (0)" in page


def test_a_backers_only_update_asks_a_visitor_to_sign_in(client, auth, world):
    response = _get(client, auth, _url(world, "backers"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Update #2" in page and "Sign in</a> to read it" in page
    assert f"/login?next=/campaigns/{world['campaign'].slug}/updates/" in page
    assert "Secret sauce" not in page and "the recipe" not in page
    assert "Comments on this update" not in page


def test_a_backers_only_update_tells_a_non_backer_it_is_for_backers(client, auth, world):
    page = _get(client, auth, _url(world, "backers"), world["stranger"]).get_data(as_text=True)
    assert "This update is for the backers of this campaign only." in page
    assert "Secret sauce" not in page and "the recipe" not in page
    assert 'class="comment-form"' not in page


@pytest.mark.parametrize("who", ["backer", "founder", "operator"])
def test_a_backers_only_update_is_read_by_its_readers(client, auth, world, who):
    user = world["campaign"].founder if who == "founder" else world[who]
    page = _get(client, auth, _url(world, "backers"), user).get_data(as_text=True)
    assert "Update #2: Secret sauce" in page and SECRET in page
    assert 'class="comment-form"' in page


def test_updates_of_hidden_campaigns_and_other_campaigns_are_not_found(client, auth, world,
                                                                        session):
    other = make_campaign(status=CampaignStatus.LIVE, tiers=0)
    draft = make_campaign(tiers=0)
    hidden = CampaignUpdate(campaign_id=draft.id, number=1, title="Not yet",
                            body_md="A draft's update, somehow.", visibility="public",
                            author_id=draft.founder_id)
    session.add(hidden)
    session.commit()
    assert client.get(f"/campaigns/{other.slug}/updates/{world['public'].id}").status_code == 404
    assert client.get(f"/campaigns/{draft.slug}/updates/{hidden.id}").status_code == 404
    auth.login_as(draft.founder)  # not public: its founder gets no update page either
    assert client.get(f"/campaigns/{draft.slug}/updates/{hidden.id}").status_code == 404
    slug = world["campaign"].slug
    assert client.get(f"/campaigns/{slug}/updates/999999").status_code == 404


def test_the_campaign_page_and_the_email_link_to_the_update_page(client, auth, world,
                                                                   session):
    page = client.get(f"/campaigns/{world['campaign'].slug}").get_data(as_text=True)
    assert f'href="{_url(world, "public")}"' in page
    assert f'href="{_url(world, "backers")}"' in page  # its number, for everyone
    auth.login_as(world["campaign"].founder)
    client.post(f"/studio/{world['campaign'].id}/updates",
                data={"title": "Shipping", "body_md": "Everything ships next week, promised.",
                      "visibility": "public"})
    update = session.scalar(sa.select(CampaignUpdate).where(CampaignUpdate.number == 3))
    [mail] = session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.kind == "campaign_update")).all()
    assert f"/campaigns/{world['campaign'].slug}/updates/{update.id}" in mail.text_body


def _post(client, world, which: str, body: str, parent_id: int | None = None):
    data = {"body": body, **({"parent_id": parent_id} if parent_id else {})}
    return client.post(_url(world, which) + "/comments", data=data)


def test_comments_on_an_update_stay_on_its_page(client, auth, world, session):
    auth.login_as(world["stranger"])
    response = _post(client, world, "public", "Lovely moulds!")
    comment = session.scalar(sa.select(Comment))
    assert response.status_code == 302
    assert response.location == _url(world, "public") + f"#comment-{comment.id}"
    assert comment.update_id == world["public"].id and comment.kind == "comment"
    client.post("/logout")
    auth.login_as(world["campaign"].founder)
    assert _post(client, world, "public", "Thank you!", comment.id).status_code == 302
    page = client.get(_url(world, "public")).get_data(as_text=True)
    assert "Lovely moulds!" in page and "Thank you!" in page
    assert "Comments on this update (1)" in page  # one thread
    main = client.get(f"/campaigns/{world['campaign'].slug}").get_data(as_text=True)
    assert "Lovely moulds!" not in main and "Comments and questions (0)" in main
    listing = client.get(f"/campaigns/{world['campaign'].slug}/comments")
    assert "Lovely moulds!" not in listing.get_data(as_text=True)


def test_a_reply_across_conversations_is_refused(client, auth, world, session):
    auth.login_as(world["stranger"])
    client.post(f"/campaigns/{world['campaign'].slug}/comments",
                data={"body": "On the campaign", "kind": "comment"})
    main = session.scalar(sa.select(Comment))
    response = _post(client, world, "public", "Sneaky", main.id)
    assert response.status_code == 400
    assert "That comment cannot be answered here." in response.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 1


def test_only_readers_comment_on_a_backers_only_update(client, auth, world, session):
    auth.login_as(world["stranger"])
    response = _post(client, world, "backers", "Let me in")
    assert response.status_code == 403
    assert "Only backers can comment" in response.get_data(as_text=True)
    assert "Secret sauce" not in response.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0
    client.post("/logout")
    auth.login_as(world["backer"])
    assert _post(client, world, "backers", "Delicious").status_code == 302
    assert session.scalar(sa.select(Comment.update_id)) == world["backers"].id


def test_update_comments_are_reported_and_moderated_like_others(client, auth, world, session):
    auth.login_as(world["backer"])
    _post(client, world, "public", "Buy cheap watches at spam.example")
    comment = session.scalar(sa.select(Comment))
    client.post("/logout")
    auth.login_as(world["stranger"])
    response = client.post(f"/comments/{comment.id}/report", data={"reason": "spam"})
    assert response.location == _url(world, "public") + f"#comment-{comment.id}"
    assert session.scalar(sa.select(CommentReport.comment_id)) == comment.id
    client.post("/logout")
    auth.login_as(world["operator"])
    queue = client.get("/operators/community").get_data(as_text=True)
    assert f'href="{_url(world, "public")}#comment-{comment.id}"' in queue
    client.post(f"/operators/comments/{comment.id}/hide", data={"reason": "Spam link"})
    client.post("/logout")
    page = client.get(_url(world, "public")).get_data(as_text=True)
    assert "Hidden by a moderator: Spam link" in page and "spam.example" not in page


def test_an_updates_comments_are_paged_by_keyset(client, auth, world, app, monkeypatch,
                                                 session):
    monkeypatch.setitem(app.config, "COMMENT_THREADS_PER_PAGE", 2)
    monkeypatch.setitem(app.config, "COMMENT_RATE_LIMIT", (10, app.config[
        "COMMENT_RATE_LIMIT"][1]))
    auth.login_as(world["stranger"])
    for n in range(1, 6):
        _post(client, world, "public", f"Comment number {n}")
    client.post("/logout")
    ids = session.scalars(sa.select(Comment.id).order_by(Comment.id)).all()
    first = client.get(_url(world, "public")).get_data(as_text=True)
    assert "Comment number 5" in first and "Comment number 4" in first
    assert "Comment number 3" not in first and "Comments on this update (5)" in first
    assert f"before={ids[3]}" in first  # the cursor: the last thread shown
    second = client.get(_url(world, "public") + f"?before={ids[3]}").get_data(as_text=True)
    assert "Comment number 3" in second and "Comment number 2" in second
    assert "Comment number 4" not in second and f"before={ids[1]}" in second
    last = client.get(_url(world, "public") + f"?before={ids[1]}").get_data(as_text=True)
    assert "Comment number 1" in last and "before=" not in last


def test_no_questions_to_the_founder_under_an_update(client, auth, world, session):
    """Questions are asked in the campaign's conversation, where the founder answers them:
    under an update, one is a comment (and the founder is not emailed a question)."""
    auth.login_as(world["stranger"])
    client.post(_url(world, "public") + "/comments",
                data={"body": "Is it waterproof?", "kind": "question"})
    assert session.scalar(sa.select(Comment.kind)) == "comment"
    assert session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
        OutboxMessage.kind == "question")) == 0


def test_the_service_makes_a_question_under_an_update_a_comment(world, session):
    comment = comments.post_comment(world["campaign"], world["stranger"], "Waterproof?",
                                    kind="question", update=world["public"])
    assert (comment.kind, comment.update_id) == ("comment", world["public"].id)
    with pytest.raises(DomainError, match="not this campaign's"):
        comments.post_comment(make_campaign(status=CampaignStatus.LIVE, tiers=0),
                              world["stranger"], "Wrong place", update=world["public"])


def _post_updates(session, campaign, count: int, first: int = 3) -> None:
    session.add_all([CampaignUpdate(campaign_id=campaign.id, number=n, title=f"Week {n}",
                                    body_md=f"Progress of week {n}.", visibility="public",
                                    author_id=campaign.founder_id)
                     for n in range(first, first + count)])
    session.commit()


def test_the_campaign_page_shows_the_newest_updates_and_links_to_all(client, world, session,
                                                                      app):
    campaign = world["campaign"]
    page = client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    assert "Updates (2)" in page and "All 2 updates" not in page  # both shown: no link
    _post_updates(session, campaign, 10)  # updates 3 to 12
    page = client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    shown = app.config["UPDATES_ON_CAMPAIGN_PAGE"]
    assert "Updates (12)" in page and "All 12 updates" in page
    assert page.count('class="update"') == shown
    assert "Week 12" in page and "Week 9" not in page  # the newest ones only


def test_the_updates_page_lists_every_update_a_page_at_a_time(client, auth, world, session,
                                                               app, monkeypatch):
    campaign = world["campaign"]
    monkeypatch.setitem(app.config, "UPDATES_PER_PAGE", 4)
    _post_updates(session, campaign, 8)  # 10 updates in all
    url = f"/campaigns/{campaign.slug}/updates"
    numbers, next_url = [], url
    while next_url:
        response = client.get(next_url)
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        numbers += [int(n) for n in re.findall(r'id="update-(\d+)"', page)]
        found = re.search(r'href="([^"]+)" rel="next"', page)
        next_url = found.group(1).replace("&amp;", "&") if found else None
    assert numbers == list(range(10, 0, -1))  # newest first, each once
    # The backers-only update (number 2) shows only its number and date to a stranger.
    first_page = _get(client, auth, f"{url}?before=3", world["stranger"]).get_data(as_text=True)
    assert "Update #2" in first_page and SECRET not in first_page
    as_backer = _get(client, auth, f"{url}?before=3", world["backer"]).get_data(as_text=True)
    assert SECRET in as_backer
    nonsense = client.get(f"{url}?before=nonsense")  # read as no cursor: the first page
    assert nonsense.status_code == 200 and 'id="update-10"' in nonsense.get_data(as_text=True)
    assert client.get("/campaigns/no-such-campaign/updates").status_code == 404
