"""Comment statuses: the one table of allowed transitions, and its audit record
(operators hide a comment with a reason, or show it again; its author deletes it, for
good)."""

from __future__ import annotations

from crowdfund.community.models import CommentStatus, CommentTransition
from crowdfund.i18n import _l
from crowdfund.statemachine import TransitionTable, audit_recorder, label_statuses

COMMENT_TRANSITIONS: dict[CommentStatus, set[CommentStatus]] = {
    CommentStatus.VISIBLE: {CommentStatus.HIDDEN, CommentStatus.DELETED},
    CommentStatus.HIDDEN: {CommentStatus.VISIBLE, CommentStatus.DELETED},
    CommentStatus.DELETED: set(),
}

#: What pages and the moderation history call each status.
COMMENT_LABELS = label_statuses({
    CommentStatus.VISIBLE: _l("Visible"),
    CommentStatus.HIDDEN: _l("Hidden by a moderator"),
    CommentStatus.DELETED: _l("Deleted by its author"),
})

comment_states = TransitionTable("comment", COMMENT_TRANSITIONS,
                                 audit_recorder(CommentTransition, "comment_id"))
