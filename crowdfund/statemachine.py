"""Allowed status transitions as data, enforced in one place.

Each model with a status declares one :class:`TransitionTable`; a service changes
the status only through :meth:`TransitionTable.apply`, which refuses what the
table does not allow and records who, when, from, to and why.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from enum import Enum
from typing import Any, Generic, TypeVar

import sqlalchemy as sa

from crowdfund.db import utcnow
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.i18n import _, reader_locale

S = TypeVar("S", bound=Enum)


class InvalidTransition(DomainError):  # noqa: N818 - domain name reads better
    """A status change the transition table does not allow (a conflict: 409)."""

    status_code = 409

    def __init__(self, model: str, obj_id: Any, from_status: Enum, to_status: Enum) -> None:
        self.model = model
        self.obj_id = obj_id
        self.from_status = from_status
        self.to_status = to_status
        super().__init__(_Refusal(model, from_status, to_status))
        self.detail = f"{model} {obj_id}: {from_status.value} -> {to_status.value} not allowed"


class _Refusal:
    """The message of an :class:`InvalidTransition`, written when it is shown: in English
    the statuses' own words ("This campaign is approved and cannot become rejected."); in
    another language their labels, in that language."""

    def __init__(self, model: str, from_status: Enum, to_status: Enum) -> None:
        self.model, self.from_status, self.to_status = model, from_status, to_status

    def __str__(self) -> str:
        if reader_locale().split("_")[0] == "en":
            return (f"This {self.model} is {_words(self.from_status)} and cannot become "
                    f"{_words(self.to_status)}.")
        return _("This cannot change from “%(status)s” to “%(next)s”.",
                 status=status_label(self.from_status), next=status_label(self.to_status))


def _words(status: Enum) -> str:
    return status.value.replace("_", " ")


#: What pages call each status, per status enum (``label_statuses``).
_LABELS: dict[type[Enum], Mapping[Enum, str]] = {}


def label_statuses(labels: Mapping[S, str]) -> Mapping[S, str]:
    """Register what the pages call each status of one enum ("Changes requested" for a
    rejected campaign), so that every page, history and audit trail says the same
    (``status_label``, the ``status_label`` filter). Returns ``labels``."""
    for status in labels:
        _LABELS[type(status)] = labels
    return labels


def status_label(status: Enum | None) -> str:
    """The registered label of ``status`` (its value in words when none is registered), in
    the reader's language: each feature registers its labels through ``i18n._l``."""
    if status is None:
        return ""
    labels = _LABELS.get(type(status), {})
    return labels.get(status) or _words(status).capitalize()


class TransitionTable(Generic[S]):
    """``{status: {next statuses}}`` for one model, plus the audit hook."""

    def __init__(
        self,
        model: str,
        table: Mapping[S, Iterable[S]],
        record: Callable[[Any, S, S, Any, str | None], None],
        after_many: Callable[[list[int], S, S], None] | None = None,
    ) -> None:
        self.model = model
        self.table: dict[S, frozenset[S]] = {k: frozenset(v) for k, v in table.items()}
        self._record = record
        #: Told ``(ids, from, to)`` after each UPDATE of :meth:`apply_many`, in its
        #: transaction: what an object's flush would have told (pledges' day totals).
        self._after_many = after_many

    def allowed(self, from_status: S) -> frozenset[S]:
        return self.table.get(from_status, frozenset())

    def can(self, from_status: S, to_status: S) -> bool:
        return to_status in self.allowed(from_status)

    def apply(self, obj: Any, to_status: S, *, actor: Any = None, reason: str | None = None) -> S:
        """Move ``obj.status`` to ``to_status`` and record it; raise if not allowed."""
        from_status = obj.status
        if not self.can(from_status, to_status):
            raise InvalidTransition(self.model, getattr(obj, "id", None), from_status, to_status)
        obj.status = to_status
        self._record(obj, from_status, to_status, actor, reason)
        return from_status

    def apply_many(self, model: Any, rows: Iterable[tuple[int, S]], to_status: S, *,
                   actor: Any = None, reason: str | None = None,
                   values: Mapping[str, Any] | None = None) -> int:
        """:meth:`apply` for many rows of ``model`` at once, given as ``(id, current
        status)``: one conditional UPDATE per current status (a row whose status changed
        meanwhile is left alone) and one INSERT of their audit rows. For loops over
        thousands of rows (a failed campaign's pledges); objects of those rows already
        loaded are expired (read again when used). Returns how many rows changed."""
        by_status: dict[S, list[int]] = {}
        for obj_id, from_status in rows:
            if not self.can(from_status, to_status):
                raise InvalidTransition(self.model, obj_id, from_status, to_status)
            by_status.setdefault(from_status, []).append(obj_id)
        changed = 0
        for from_status, ids in by_status.items():
            updated = db.session.execute(
                sa.update(model).where(model.id.in_(ids), model.status == from_status)
                .values(status=to_status, **(values or {}))
                .returning(model.id).execution_options(synchronize_session=False)
            ).scalars().all()
            self._record.many(updated, from_status, to_status, actor, reason)
            if self._after_many is not None:
                self._after_many(updated, from_status, to_status)
            changed += len(updated)
            for obj_id in ids:
                loaded = db.session.identity_map.get(db.session.identity_key(model, obj_id))
                if loaded is not None:
                    db.session.expire(loaded)
        return changed


def audit_recorder(row_cls: type | None, owner_fk: str, collection: str | None = None):
    """The ``record`` hook of a TransitionTable: one ``row_cls`` row per change.

    With ``collection`` the row is appended to that relationship of the object (so pages
    showing its history see it at once); otherwise it is added with ``owner_fk`` set.
    ``row_cls`` None: the class the ``collection`` relationship holds (a ``states``
    module then needs not import the models that import its statuses).
    """
    def record(obj, from_status, to_status, actor, reason) -> None:
        cls = row_cls or sa.inspect(type(obj)).relationships[collection].mapper.class_
        row = cls(from_status=from_status, to_status=to_status,
                  actor_id=getattr(actor, "id", None), reason=reason)
        if collection:
            getattr(obj, collection).append(row)
        else:
            setattr(row, owner_fk, obj.id)
            db.session.add(row)

    def many(ids, from_status, to_status, actor, reason) -> None:
        if ids:
            db.session.execute(sa.insert(row_cls), [
                {owner_fk: obj_id, "from_status": from_status, "to_status": to_status,
                 "actor_id": getattr(actor, "id", None), "reason": reason,
                 "created_at": utcnow()} for obj_id in ids])

    record.many = many  # type: ignore[attr-defined]
    return record
