"""Every kind of email, written to a person reading Simplified Chinese, has no English left
(issue 26).

``MAKERS`` holds one maker per public email function of the six notification modules
(``"module.function"``): it builds what the message needs for Chinese recipients (a
founder, a backer or an investor, a follower) and calls the function once per variant the
function has (a reward campaign and an equity offering, funded and not, each dispute
outcome, each account link...). Each maker runs inside a job in English and UTC, as the
settle loop and the jobs do: the recipient's language must win. Every message queued is then
read by ``english_left`` as it is sent (its account links expanded): its HTML, its plain
text and its subject. The people's and campaigns' names below may stay in Latin letters;
what founders, operators and backers write here is in Chinese, as people in Shenzhen write
it. A new email function without a maker fails ``test_every_email_function_has_a_maker``.

The same messages are read for what a Chinese reader would stumble on besides English: an
offering's message with a reward campaign's words (footer included), an account's message
speaking of all or nothing, a fact shown with no value, a space between Chinese and Latin
letters ("项目动态 #1").

Needs the compiled zh_Hans catalogue (``make translations``).
"""


from __future__ import annotations

import html
import inspect

import pytest
import sqlalchemy as sa

from crowdfund.extensions import db
from crowdfund.i18n import in_language_of
from crowdfund.notifications.links import expand_links
from crowdfund.notifications.models import OutboxMessage
from tests import (  # noqa: F401 (their makers)
    email_makers_changes,
    email_makers_fulfilment,
    email_makers_people,
)
from tests.email_makers import (
    ALLOWED,
    CHINESE_PAGE,
    CHINESE_REWARD_WORDS,
    EMPTY_CELL,
    MAKERS,
    MODULES,
    NAMES,
    NOT_EMAILS,
    SPACED,
)
from tests.i18n_scan import english_left


def _email_functions() -> set[str]:
    """``module.function`` of every public function the six modules define themselves."""
    return {f"{module.__name__.rsplit('.', 1)[1]}.{name}"
            for module in MODULES
            for name, function in inspect.getmembers(module, inspect.isfunction)
            if function.__module__ == module.__name__ and not name.startswith("_")}


def test_every_email_function_has_a_maker():
    functions = _email_functions()
    assert set(NOT_EMAILS) <= functions, "NOT_EMAILS names a function that is gone"
    no_maker = functions - set(NOT_EMAILS) - set(MAKERS)
    assert no_maker == set(), "email functions without a maker in MAKERS"
    assert set(MAKERS) - functions == set(), "makers of functions that are gone"


def _english_left(message: OutboxMessage) -> dict[str, list[str]]:
    """What ``english_left`` finds in each part of ``message`` as it is sent."""
    parts = {"html": expand_links(message.html_body, message.recipient_id),
             "text": html.escape(expand_links(message.text_body, message.recipient_id)),
             "subject": html.escape(message.subject)}
    return {part: found for part, text in parts.items()
            if (found := english_left(text, ALLOWED))}


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_the_email_has_no_english_left_in_chinese(session, name):
    """Needs the compiled zh_Hans catalogue."""
    with in_language_of("en", "UTC"):  # a job's language and zone: the recipient's win
        MAKERS[name]()
    session.flush()
    messages = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert messages, f"{name} queued nothing"
    not_chinese = [m.dedupe_key for m in messages if CHINESE_PAGE not in m.html_body]
    assert not_chinese == []
    left = {f"{m.kind} ({m.dedupe_key})": found for m in messages
            if (found := _english_left(m))}
    assert left == {}, "English left:\n" + "\n".join(
        f"  {key}: {found}" for key, found in left.items())


def _queued_by(name: str) -> list[OutboxMessage]:
    with in_language_of("en", "UTC"):
        MAKERS[name]()
    db.session.flush()
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def _read(message: OutboxMessage) -> str:
    """What a person reads of ``message``: its subject and its text part, but the line
    naming the choice it is sent by (the setting's name covers backers and investors)."""
    text = "\n".join(line for line in message.text_body.splitlines()
                     if "/unsubscribe/" not in line)
    return f"{message.subject}\n{text}"


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_the_email_speaks_of_what_it_is_about(session, name):
    """An offering's message has none of a reward campaign's words (its footer included);
    a message about no campaign (an account's) says nothing of all or nothing or a goal."""
    wrong = {}
    for message in _queued_by(name):
        text = _read(message)
        if NAMES["equity"] in text:
            found = [word for word in CHINESE_REWARD_WORDS if word in text]
        elif NAMES["reward"] not in text:
            found = [word for word in ("全有或全无", "目标金额", "目标融资额") if word in text]
        else:
            continue
        if found:
            wrong[message.dedupe_key] = found
    assert wrong == {}


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_the_email_shows_no_fact_without_a_value(session, name):
    empty = [m.dedupe_key for m in _queued_by(name) if EMPTY_CELL.search(m.html_body)]
    assert empty == []


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_the_email_spaces_no_chinese_from_latin_letters(session, name):
    spaced = {m.dedupe_key: found for m in _queued_by(name)
              if (found := SPACED.findall(f"{m.subject}\n{m.text_body}"))}
    assert spaced == {}
