"""Comment statuses: the one table of allowed transitions, and its audit record
(operators hide a comment with a reason, or show it again)."""

from __future__ import annotations

from crowdfund.community.models import CommentStatus, CommentTransition
from crowdfund.statemachine import TransitionTable, audit_recorder

COMMENT_TRANSITIONS: dict[CommentStatus, set[CommentStatus]] = {
    CommentStatus.VISIBLE: {CommentStatus.HIDDEN},
    CommentStatus.HIDDEN: {CommentStatus.VISIBLE},
}

comment_states = TransitionTable("comment", COMMENT_TRANSITIONS,
                                 audit_recorder(CommentTransition, "comment_id"))
