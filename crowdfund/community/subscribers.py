"""How the community features react to what happens (``crowdfund.events``)."""

from __future__ import annotations

from crowdfund import events
from crowdfund.community import following
from crowdfund.community import privacy as community_privacy
from crowdfund.community.delivery import reward_may_have_arrived
from crowdfund.community.models import Comment
from crowdfund.community.updates import readers_to_tell
from crowdfund.extensions import db
from crowdfund.notifications import emails
from crowdfund.pledges.terms import reward_arrival_known_by


def register() -> None:
    community_privacy.register()
    reward_arrival_known_by(reward_may_have_arrived)
    for event, receiver in (
        (events.campaign_launched, _tell_followers_of_launch),
        (events.campaign_closed_out, _tell_followers_of_outcome),
        (events.update_posted, _send_update),
        (events.comment_posted, _tell_founder_of_question),
        (events.comment_posted, _tell_asker_of_answer),
    ):
        event.connect(receiver, weak=False)


def _tell_followers_of_launch(campaign, **_) -> None:
    following.notify_launch(campaign)


def _tell_followers_of_outcome(campaign, *, funded: bool) -> None:
    following.notify_outcome(campaign, funded)


def _send_update(campaign, *, update) -> None:
    for reader in readers_to_tell(campaign, update):
        emails.campaign_update(campaign, update, reader)


def _tell_founder_of_question(campaign, *, comment) -> None:
    if comment.kind == "question" and comment.author_id != campaign.founder_id:
        emails.question_asked(campaign, comment)


def _tell_asker_of_answer(campaign, *, comment) -> None:
    """The founder replied to a question: its author hears it (not for their own)."""
    if comment.parent_id is None or comment.author_id != campaign.founder_id:
        return
    question = db.session.get(Comment, comment.parent_id)
    if (question is not None and question.kind == "question"
            and question.author_id != campaign.founder_id):
        emails.question_answered(campaign, comment, question)
