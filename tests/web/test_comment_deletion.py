"""The author of a comment may delete it (after a confirmation): its text leaves the page
for everyone ("[deleted by its author]" in its place), its replies stay, and the row and
its audit trail are kept for moderation: operators still read what it said. Nobody else
deletes a comment."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from crowdfund.campaigns.states import CampaignStatus
from crowdfund.community import comments
from crowdfund.community.models import Comment, CommentStatus, CommentTransition
from crowdfund.errors import DomainError, NotAllowed
from crowdfund.extensions import db
from tests.factories import make_campaign, make_user

TEXT = "Honestly the colour options are a let-down."


@pytest.fixture
def thread(session):
    campaign = make_campaign(status=CampaignStatus.LIVE)
    author, replier = make_user(name="Ada Author"), make_user(name="Rui Replier")
    session.commit()
    first = comments.post_comment(campaign, author, TEXT)
    session.flush()
    reply = comments.post_comment(campaign, replier, "They said more colours later.",
                                  parent_id=first.id)
    session.commit()
    return campaign, author, replier, first, reply


def test_the_author_deletes_their_comment_and_the_thread_stays(app, client, auth, session,
                                                               thread):
    campaign, author, _replier, first, _reply = thread
    auth.login_as(author)
    page = client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    assert f'action="/comments/{first.id}/delete"' in page
    assert "Delete your comment?" in page  # the button only opens the question
    response = client.post(f"/comments/{first.id}/delete", follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "Your comment is deleted" in text
    assert TEXT not in text and "[deleted by its author]" in text
    assert "They said more colours later." in text  # the reply stays
    assert f'action="/comments/{first.id}/delete"' not in text
    auth.logout()
    public = client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    assert TEXT not in public and "[deleted by its author]" in public
    everything = client.get(f"/campaigns/{campaign.slug}/comments").get_data(as_text=True)
    assert TEXT not in everything and "[deleted by its author]" in everything
    session.expire_all()
    row = db.session.get(Comment, first.id)
    assert row.body == TEXT and row.status is CommentStatus.DELETED  # kept for moderation
    trail = session.scalars(sa.select(CommentTransition).where(
        CommentTransition.comment_id == first.id)).all()
    assert [(t.from_status, t.to_status, t.actor_id) for t in trail] == [
        (CommentStatus.VISIBLE, CommentStatus.DELETED, author.id)]


def test_the_author_sees_it_gone_at_once_through_the_shared_threads(app, client, auth,
                                                                    session, thread,
                                                                    monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_CACHE_SECONDS", 30)
    campaign, author, _replier, first, _reply = thread
    auth.login_as(author)
    assert TEXT in client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    client.post(f"/comments/{first.id}/delete")
    assert TEXT not in client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)


def test_nobody_else_deletes_it(app, client, auth, session, thread):
    campaign, author, replier, first, _reply = thread
    operator = make_user(operator=True)
    session.commit()
    for person in (replier, campaign.founder, operator):
        auth.login_as(person)
        assert client.post(f"/comments/{first.id}/delete").status_code == 403
        auth.logout()
    assert client.post("/comments/999999/delete").status_code in (302, 401)  # signed out
    auth.login_as(author)
    assert client.post("/comments/999999/delete").status_code == 404
    session.expire_all()
    assert db.session.get(Comment, first.id).status is CommentStatus.VISIBLE
    with pytest.raises(NotAllowed, match="Only its author"):
        comments.delete_own(db.session.get(Comment, first.id), replier)


def test_operators_still_read_it_and_it_takes_no_replies_or_reports(app, client, auth,
                                                                     session, thread):
    campaign, author, replier, first, _reply = thread
    comments.report(first, replier, "Rude to the founder")
    comments.delete_own(first, author)
    session.commit()
    with pytest.raises(DomainError, match="deleted by its author"):
        comments.post_comment(campaign, replier, "Still here?", parent_id=first.id)
    with pytest.raises(DomainError, match="deleted by its author"):
        comments.report(first, make_user(), "Spam")
    with pytest.raises(DomainError, match="already deleted"):
        comments.delete_own(first, author)
    session.rollback()
    operator = make_user(operator=True)
    session.commit()
    auth.login_as(operator)
    page = client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    assert "[deleted by its author]" in page and "What it said (operators only)" in page
    assert TEXT in page
    console = client.get("/operators/community").get_data(as_text=True)
    assert TEXT in console and "Deleted by its author" in console
    assert f"/operators/comments/{first.id}/hide" not in console


@pytest.mark.postgres_only
def test_deleting_twice_at_once_deletes_once(app, session, thread):
    from crowdfund.auth.models import User
    from tests.factories import race

    _campaign, author, _replier, first, _reply = thread
    comment_id, author_id = first.id, author.id

    def delete():
        comments.delete_own(db.session.get(Comment, comment_id), db.session.get(User, author_id))

    assert sorted(race(app, delete, delete)) == ["DomainError", "ok"]
    assert session.scalar(sa.select(sa.func.count()).select_from(CommentTransition).where(
        CommentTransition.comment_id == comment_id)) == 1


def test_a_closed_accounts_comments_are_known_as_erased(app, session, thread):
    """Their text is replaced in the database by the same English words for everyone;
    pages know it is that and show it in the reader's language (``is_erased``)."""
    from crowdfund.community import privacy as community_privacy

    campaign, author, _replier, first, reply = thread
    community_privacy.erase(author)
    session.commit()
    [shown] = comments.threads_of(campaign).items
    assert shown.comment.body == community_privacy.REMOVED and shown.comment.is_erased
    assert [r.is_erased for r in shown.replies] == [False]
