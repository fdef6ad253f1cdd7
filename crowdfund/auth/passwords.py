"""Password hashing with Argon2id (argon2-cffi); parameters from the config."""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from zxcvbn import zxcvbn

from crowdfund.i18n import _, _l

MIN_LENGTH = 10
MAX_LENGTH = 256


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(
        time_cost=cfg["ARGON2_TIME_COST"],
        memory_cost=cfg["ARGON2_MEMORY_COST"],
        parallelism=cfg["ARGON2_PARALLELISM"],
        type=Type.ID,
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


_DUMMY: dict[tuple, str] = {}


def burn_time(password: str) -> None:
    """Spend as long as a real check, so that unknown emails are not faster to answer."""
    cfg = current_app.config
    key = (cfg["ARGON2_TIME_COST"], cfg["ARGON2_MEMORY_COST"], cfg["ARGON2_PARALLELISM"])
    if key not in _DUMMY:
        _DUMMY[key] = hash_password("not-a-real-password")
    verify_password(_DUMMY[key], password)


#: zxcvbn's score below which a password is refused: 0 and 1 are guessed in under a
#: million tries (the common and breached passwords it ships, with small variations).
MIN_SCORE = 2


#: A password this similar to the person's email, name or one of their parts is refused
#: (difflib's ratio; Django's UserAttributeSimilarityValidator uses the same measure).
MAX_SIMILARITY = 0.7

#: zxcvbn's warnings (English only: it has no catalogue of its own), as our own texts,
#: translated when shown; a warning not listed here reads as ``_EASY_TO_GUESS``.
_WARNINGS = {
    "Straight rows of keys are easy to guess.": _l("Straight rows of keys are easy to guess."),
    "Short keyboard patterns are easy to guess.":
        _l("Short keyboard patterns are easy to guess."),
    'Repeats like "aaa" are easy to guess.': _l('Repeats like "aaa" are easy to guess.'),
    'Repeats like "abcabcabc" are only slightly harder to guess than "abc".':
        _l('Repeats like "abcabcabc" are only slightly harder to guess than "abc".'),
    'Sequences like "abc" or "6543" are easy to guess.':
        _l('Sequences like "abc" or "6543" are easy to guess.'),
    "Recent years are easy to guess.": _l("Recent years are easy to guess."),
    "Dates are often easy to guess.": _l("Dates are often easy to guess."),
    "This is a top-10 common password.": _l("This is a top-10 common password."),
    "This is a top-100 common password.": _l("This is a top-100 common password."),
    "This is a very common password.": _l("This is a very common password."),
    "This is similar to a commonly used password.":
        _l("This is similar to a commonly used password."),
    "A word by itself is easy to guess.": _l("A word by itself is easy to guess."),
    "Names and surnames by themselves are easy to guess.":
        _l("Names and surnames by themselves are easy to guess."),
    "Common names and surnames are easy to guess.":
        _l("Common names and surnames are easy to guess."),
}
_EASY_TO_GUESS = _l("This password is easy to guess.")


def _own_words(email: str | None, name: str | None) -> list[str]:
    words = []
    if email:
        local, _at, domain = email.lower().partition("@")
        words += [email.lower(), local, *re.split(r"[^a-z0-9]+", local), domain.split(".")[0]]
    if name:
        words += [name.lower(), *re.split(r"\W+", name.lower())]
    return sorted({w for w in words if len(w) >= 3}, key=len, reverse=True)


def weakness(password: str, *, email: str | None = None, name: str | None = None) -> str | None:
    """Why ``password`` is refused, or None: it is (nearly) the person's own email or name,
    or one of (or close to) the common and breached passwords of zxcvbn's list (shipped
    with the package: no network)."""
    lowered = password.lower()
    own = _own_words(email, name)
    if any(SequenceMatcher(a=lowered, b=word).quick_ratio() >= MAX_SIMILARITY
           and SequenceMatcher(a=lowered, b=word).ratio() >= MAX_SIMILARITY for word in own):
        return _("Your password is too close to your name or email address.")
    result = zxcvbn(password[:100], user_inputs=own)
    if result["score"] >= MIN_SCORE:
        return None
    warning = str(_WARNINGS.get(result["feedback"]["warning"], _EASY_TO_GUESS))
    # TRANSLATORS: warning is one of zxcvbn's ("This is a very common password."), as
    # translated above; the sentence after it says why the password is refused.
    return _("%(warning)s It is on the lists attackers try first. Use a few unrelated "
             "words, or a password manager.", warning=warning)
