"""Which emails a person wants beyond the transactional ones (receipts, payment problems,
account security, legal notices to investors: those always go). Every other message
carries a link that unsubscribes from its kind without signing in (signed: it names the
person and the kind, nothing else), also as the List-Unsubscribe header."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer

from crowdfund.auth.models import User
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.i18n import _, _l


@dataclass(frozen=True)
class Category:
    name: str
    #: What the choices page and unsubscribe links call it (a lazily translated text).
    label: str
    column: str


CATEGORIES = {c.name: c for c in (
    Category("updates", _l("Updates posted by campaigns you back, invest in or follow"),
             "notify_updates"),
    Category("comments", _l("Answers to your questions, and questions about your campaigns"),
             "notify_comments"),
    Category("followed", _l("Launches and endings of founders and campaigns you follow"),
             "notify_followed"),
    Category("marketing", _l("News and picks from crowdfund (at most once a month)"),
             "notify_marketing"),
)}


def wants(user: User, category: str) -> bool:
    return bool(getattr(user, CATEGORIES[category].column))


def choose(user: User, choices: dict[str, bool]) -> None:
    for name, on in choices.items():
        setattr(user, CATEGORIES[name].column, bool(on))


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="unsubscribe")


def unsubscribe_token(user: User, category: str) -> str:
    return _signer().dumps([user.id, category])


def read_token(token: str) -> tuple[User, Category]:
    try:
        user_id, name = _signer().loads(token or "")
    except (BadData, TypeError, ValueError):
        raise DomainError(_("This unsubscribe link is not valid.")) from None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or name not in CATEGORIES:
        raise DomainError(_("This unsubscribe link is not valid."))
    return user, CATEGORIES[name]


def unsubscribe(token: str) -> tuple[User, Category]:
    user, category = read_token(token)
    setattr(user, category.column, False)
    return user, category
