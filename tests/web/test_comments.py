"""Comments and questions: marks for the founder and backers, escaping, reports, operator
moderation with an audit trail (founders cannot remove criticism), and the rate limit."""

from datetime import timedelta

import sqlalchemy as sa

from crowdfund.campaigns.states import CampaignStatus
from crowdfund.community import comments
from crowdfund.community.models import (
    Comment,
    CommentReport,
    CommentStatus,
    CommentTransition,
)
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.notifications.models import OutboxMessage
from crowdfund.pledges.models import PledgeStatus
from tests.factories import make_campaign, make_pledge, make_user

XSS = '<script>alert(1)</script><img src=x onerror="alert(2)"> <a href="javascript:x">y</a>'


def _post(client, campaign, body, **extra):
    return client.post(f"/campaigns/{campaign.slug}/comments", data={"body": body, **extra})


def _comment(session, body):
    return session.scalar(sa.select(Comment).where(Comment.body == body))


def test_backers_and_the_founder_are_marked_and_text_is_escaped(app, client, auth, session):
    campaign = make_campaign(status=CampaignStatus.LIVE)
    backer = make_pledge(campaign).backer
    make_pledge(campaign, status=PledgeStatus.CANCELLED, backer=(quitter := make_user()))
    stranger = make_user(name="Stranger")
    session.commit()

    auth.login_as(backer)
    assert _post(client, campaign, "Love it. " + XSS).status_code == 302
    auth.logout()
    auth.login_as(quitter)
    _post(client, campaign, "I cancelled mine.")
    auth.logout()
    auth.login_as(stranger)
    response = _post(client, campaign, "Will it ship to Norway?", kind="question")
    assert response.status_code == 302
    question = _comment(session, "Will it ship to Norway?")
    assert response.headers["Location"].endswith(f"#comment-{question.id}")
    assert question.kind == "question"
    [asked] = session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "question"))
    assert asked.to_email == campaign.founder.email and "ship to Norway?" in asked.text_body
    assert f"#comment-{question.id}" in asked.text_body
    auth.logout()
    auth.login_as(campaign.founder)
    _post(client, campaign, "Yes, Norway is in the rest-of-world rate.", parent_id=question.id)
    page = client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)

    reply = _comment(session, "Yes, Norway is in the rest-of-world rate.")
    assert reply.parent_id == question.id
    # The founder's reply is marked and nested under the question.
    block = page[page.index(f'id="comment-{reply.id}"'):][:600]
    assert 'badge-founder">Founder' in block
    assert page.rindex('class="reply"', 0, page.index(f'id="comment-{reply.id}"')) > page.index(
        f'id="comment-{question.id}"')
    love = _comment(session, "Love it. " + XSS)
    love_block = page[page.index(f'id="comment-{love.id}"'):][:700]
    assert 'badge-backer">Backer' in love_block
    cancelled = _comment(session, "I cancelled mine.")
    cancelled_block = page[page.index(f'id="comment-{cancelled.id}"'):][:700]
    assert "badge-backer" not in cancelled_block  # a cancelled pledge is not a backer
    question_block = page[page.index(f'id="comment-{question.id}"'):][:700]
    assert "badge-backer" not in question_block and "Question</span>" in question_block
    # The payload is shown as text, never as markup.
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="javascript:' not in page
    assert page.index(f'id="comment-{question.id}"') < page.index(f'id="comment-{love.id}"')


def test_bad_input_is_refused_next_to_the_field(app, client, auth, session):
    campaign = make_campaign(status=CampaignStatus.LIVE)
    draft = make_campaign()
    user = make_user()
    session.commit()
    auth.login_as(user)
    response = _post(client, campaign, "   ")
    assert response.status_code == 400
    assert "Write something first." in response.get_data(as_text=True)
    assert _post(client, campaign, "x" * 5001).status_code == 400
    assert _post(client, draft, "Hello?").status_code == 404
    other = make_campaign(status=CampaignStatus.LIVE)
    session.commit()
    elsewhere = comments.post_comment(other, user, "On another campaign")
    session.commit()
    response = _post(client, campaign, "A reply in the wrong place", parent_id=elsewhere.id)
    assert response.status_code == 400
    assert session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 1
    client.post("/logout")
    response = _post(client, campaign, "Anonymous")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_report_hide_restore_with_audit_trail(app, client, auth, session):
    campaign = make_campaign(status=CampaignStatus.LIVE)
    critic, reporter, operator = make_user(name="Critic"), make_user(), make_user(operator=True)
    session.commit()
    critical = comments.post_comment(campaign, critic, "The prototype video looks faked.")
    session.commit()

    # The founder has no way to remove it: only its author deletes it, operator routes
    # are 403.
    auth.login_as(campaign.founder)
    assert client.post(f"/comments/{critical.id}/delete").status_code == 403
    response = client.post(f"/operators/comments/{critical.id}/hide", data={"reason": "Mean"})
    assert response.status_code == 403
    response = client.post(f"/comments/{critical.id}/report", data={"reason": "Lies"})
    assert response.status_code == 302  # founders may report, like anyone
    auth.logout()

    auth.login_as(reporter)
    client.post(f"/comments/{critical.id}/report", data={"reason": "Insulting language"})
    client.post(f"/comments/{critical.id}/report", data={"reason": "Again"})  # once per person
    assert client.post(f"/comments/{critical.id}/report", data={"reason": ""}).status_code == 302
    auth.logout()
    assert session.scalar(sa.select(sa.func.count()).select_from(CommentReport)) == 2

    auth.login_as(operator)
    queue = client.get("/operators/community").get_data(as_text=True)
    assert "The prototype video looks faked." in queue and "Insulting language" in queue
    response = client.post(f"/operators/comments/{critical.id}/hide", data={"reason": ""})
    session.expire_all()
    assert db.session.get(Comment, critical.id).status is CommentStatus.VISIBLE  # needs a reason
    client.post(f"/operators/comments/{critical.id}/hide",
                data={"reason": "Personal insult to a team member"})
    session.expire_all()
    hidden = db.session.get(Comment, critical.id)
    assert hidden.status is CommentStatus.HIDDEN
    assert session.scalar(sa.select(sa.func.count()).select_from(CommentReport).where(
        CommentReport.resolved_at.is_(None))) == 0
    page = client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    assert "looks faked" not in page
    assert "Hidden by a moderator: Personal insult to a team member" in page
    assert "No open reports." in client.get("/operators/community").get_data(as_text=True)

    response = client.post(f"/operators/comments/{critical.id}/restore",
                           data={"reason": "On review: criticism, not an insult",
                                 "next": f"/campaigns/{campaign.slug}#comment-{critical.id}"})
    assert response.headers["Location"] == f"/campaigns/{campaign.slug}#comment-{critical.id}"
    session.expire_all()
    assert db.session.get(Comment, critical.id).status is CommentStatus.VISIBLE
    trail = session.scalars(sa.select(CommentTransition).order_by(CommentTransition.id)).all()
    assert [(t.from_status, t.to_status, t.actor_id, t.reason) for t in trail] == [
        (CommentStatus.VISIBLE, CommentStatus.HIDDEN, operator.id,
         "Personal insult to a team member"),
        (CommentStatus.HIDDEN, CommentStatus.VISIBLE, operator.id,
         "On review: criticism, not an insult")]
    page = client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    assert "looks faked" in page and "Hidden by a moderator" not in page


def test_rate_limit_per_user(app, client, auth, session):
    app.config["COMMENT_RATE_LIMIT"] = (3, timedelta(minutes=10))
    try:
        campaign = make_campaign(status=CampaignStatus.LIVE)
        chatty, other = make_user(), make_user()
        session.commit()
        auth.login_as(chatty)
        for i in range(3):
            assert _post(client, campaign, f"Comment {i}").status_code == 302
        response = _post(client, campaign, "One too many")
        assert response.status_code == 429
        assert "Please wait a little" in response.get_data(as_text=True)
        assert session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 3
        auth.logout()
        auth.login_as(other)  # per user: someone else may still post
        assert _post(client, campaign, "Me too").status_code == 302
        # Once the window has passed, the chatty user may post again (time travel).
        later = utcnow() + timedelta(minutes=11)
        assert comments.post_comment(campaign, chatty, "Later on", now=later).id
    finally:
        app.config["COMMENT_RATE_LIMIT"] = (5, timedelta(minutes=10))


def test_the_campaign_page_shows_the_newest_threads_and_the_comments_page_the_rest(
        app, client, auth, session, monkeypatch):
    monkeypatch.setitem(app.config, "COMMENT_THREADS_ON_CAMPAIGN_PAGE", 2)
    monkeypatch.setitem(app.config, "COMMENT_THREADS_PER_PAGE", 3)
    campaign = make_campaign(status=CampaignStatus.LIVE)
    author = make_user()
    start = utcnow() - timedelta(hours=1)
    made = []
    for i in range(7):  # thread 0 is the oldest
        made.append(Comment(campaign_id=campaign.id, author_id=author.id,
                            body=f"Thread number {i}.", created_at=start + timedelta(minutes=i)))
        session.add(made[-1])
    session.flush()
    session.add(Comment(campaign_id=campaign.id, author_id=author.id, parent_id=made[0].id,
                        body="A reply to the oldest.", created_at=start + timedelta(minutes=9)))
    session.commit()

    page = client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    assert "Thread number 6." in page and "Thread number 5." in page
    assert "Thread number 4." not in page and "See all 7 comments and questions" in page
    first = client.get(f"/campaigns/{campaign.slug}/comments").get_data(as_text=True)
    assert [f"Thread number {i}." in first for i in (6, 5, 4, 3)] == [True, True, True, False]
    last = client.get(f"/campaigns/{campaign.slug}/comments?page=3").get_data(as_text=True)
    assert "Thread number 0." in last and "A reply to the oldest." in last
    assert "Page 3 of 3" in last
    assert client.get(f"/campaigns/{campaign.slug}/comments?page=99").status_code == 200

    auth.login_as(make_user())
    response = _post(client, campaign, "Still interested.", parent_id=str(made[0].id))
    reply = _comment(session, "Still interested.")
    assert response.headers["Location"].endswith(
        f"/campaigns/{campaign.slug}/comments?page=3#comment-{reply.id}")
    response = _post(client, campaign, "A new thread.")
    assert f"/campaigns/{campaign.slug}#comment-" in response.headers["Location"]
