"""A person's language and time zone (``crowdfund.i18n`` reads them for every page and
email written for them)."""

from __future__ import annotations

from crowdfund.auth.models import User
from crowdfund.errors import DomainError
from crowdfund.i18n import LANGUAGES, _l, supported, valid_timezone

#: Refusals, kept as constants (translated when shown).
NO_SUCH_LANGUAGE = _l("Choose one of the languages in the list.")
NO_SUCH_ZONE = _l("Choose a time zone from the list, such as Asia/Shanghai.")


def choose(user: User, *, locale: str | None, timezone: str | None) -> None:
    """Save ``user``'s language and time zone (empty: follow the browser, then the
    platform's default). Refuses a language we do not speak or an unknown zone."""
    if locale and supported(locale) != locale:
        raise DomainError(NO_SUCH_LANGUAGE, field="locale")
    if timezone and not valid_timezone(timezone):
        raise DomainError(NO_SUCH_ZONE, field="timezone")
    user.locale = locale or None
    user.timezone = timezone or None


def choose_language(user: User, code: str) -> None:
    """The footer's switch, for a signed-in person: saved on the account."""
    found = supported(code)
    if found is None or found not in LANGUAGES:
        raise DomainError(NO_SUCH_LANGUAGE, field="locale")
    user.locale = found
