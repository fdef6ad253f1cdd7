"""What is still in English on a page rendered in another language (issue 26's check).

:func:`english_left` reads a rendered page as a person does (its text, and the attributes
people read or hear: ``alt``, ``title``, ``aria-label``, ``placeholder``, ``data-label``
(shown by CSS in stacked tables), an option group's ``label`` and a submit button's
``value``) and returns the runs of Latin-letter words left in it, such as "Back this
project" on a Chinese page. It leaves out what is not text for people (scripts, styles,
``<code>``, hidden inputs, every other attribute), what is English on purpose (an element
with ``lang="en"``, such as the footer's language switch, or ``translate="no"``), and
what no translation changes: email addresses, URLs and paths, amounts with their currency
("US$1,234.50", "CHF 150.00"), IANA time zone names, and the words of ``BASE_ALLOWED``
(brands, currency codes, units and codes) or of the caller's ``allowed`` (people's and
campaigns' names, texts founders wrote).
"""

from __future__ import annotations

import re
from functools import lru_cache
from html.parser import HTMLParser
from zoneinfo import available_timezones

from babel.numbers import list_currencies

#: Words and phrases that stay as they are in every language: brands, codes, units, the
#: language switch's own name for English.
BASE_ALLOWED: frozenset[str] = frozenset({
    "crowdfund", "Stripe", "Stripe.js", "Visa", "Mastercard", "American Express", "Amex",
    "Discover", "Diners Club", "JCB", "UnionPay", "CVC", "CVV", "3-D Secure", "SAFE",
    "English", "UTC", "GMT", "ID", "PDF", "PNG", "JPEG", "JPG", "WebP", "GIF", "CSV", "QR",
    "TOTP", "SMS", "IBAN", "SWIFT", "Markdown", "JSON", "IP", "kg", "cm", "mm", "KB", "MB",
    "GB", "px", "API", "OpenAPI", "HTTPS", "RFC", "ISO",
    "Google Authenticator", "Microsoft Authenticator", "Aegis", "Authy", "1Password",
    "X (Twitter)", "Twitter", "Facebook", "LinkedIn", "WhatsApp", "Telegram",
    *list_currencies(),
})

#: Where words do not stop: Latin letters (with accents) and digits.
_LETTER = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
_EDGE_BEFORE = f"(?<![{_LETTER}0-9])"
_EDGE_AFTER = f"(?![{_LETTER}0-9])"
#: A run: Latin words joined by spaces and the punctuation of Latin text.
_RUN = re.compile(f"[{_LETTER}][{_LETTER}0-9'’-]*"
                  f"(?:[ \t\r\n,.;:!?()&/'\"’“”#+*-]+[{_LETTER}0-9][{_LETTER}0-9'’-]*)*")
_WORD = re.compile(f"[{_LETTER}]{{2,}}")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"']+|(?<![^\s(])/[^\s<>\"']+")
#: An amount with its currency, as Babel writes one in any locale: "US$1,234.50", "€5",
#: "CN¥10", "CHF 150.00", "1.234,50 €", "SGD 20".
_MONEY = re.compile(
    f"(?:{_EDGE_BEFORE}[A-Z]{{0,3}}[$¥€£₩₹]|{_EDGE_BEFORE}[A-Z]{{3}}\\s?)\\s?-?\\d[\\d,.\u00a0 ]*"
    f"|-?\\d[\\d,.\u00a0 ]*\\s?(?:[$¥€£₩₹]|[A-Z]{{3}}{_EDGE_AFTER})"
    f"|{_EDGE_BEFORE}[A-Z]{{1,3}}[$¥]")

#: Elements whose content is not text for people.
_SKIPPED = {"script", "style", "code", "template"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
         "source", "track", "wbr"}
#: Attributes people read or hear, on any element.
_READ = ("alt", "title", "aria-label", "placeholder", "data-label")


class _Reader(HTMLParser):
    """Collects the pieces of text a person reads, each on its own."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self._open: list[tuple[str, bool]] = []  # (tag, left out with what it holds)
        self._skipping = 0

    def _left_out(self, tag: str, attrs: dict[str, str]) -> bool:
        lang = (attrs.get("lang") or "").lower()
        return (tag in _SKIPPED or (tag != "html" and (lang == "en" or lang.startswith("en-")))
                or attrs.get("translate", "").lower() == "no")

    def _read_attributes(self, tag: str, attrs: dict[str, str]) -> None:
        if tag == "input" and attrs.get("type", "").lower() == "hidden":
            return
        self.pieces.extend(attrs[name] for name in _READ if attrs.get(name))
        if tag == "input" and attrs.get("type", "").lower() in ("submit", "button", "reset"):
            self.pieces.append(attrs.get("value") or "")
        if tag in ("optgroup", "option") and attrs.get("label"):
            self.pieces.append(attrs["label"])

    def handle_starttag(self, tag, attrs):
        values = {name: value or "" for name, value in attrs}
        left_out = self._left_out(tag, values)
        if not self._skipping and not left_out:
            self._read_attributes(tag, values)
        if tag in _VOID:
            return
        self._open.append((tag, left_out))
        self._skipping += left_out

    def handle_startendtag(self, tag, attrs):
        values = {name: value or "" for name, value in attrs}
        if not self._skipping and not self._left_out(tag, values):
            self._read_attributes(tag, values)

    def handle_endtag(self, tag):
        if not any(name == tag for name, _ in self._open):
            return  # a stray end tag
        while self._open:
            name, left_out = self._open.pop()
            self._skipping -= left_out
            if name == tag:
                break

    def handle_data(self, data):
        if not self._skipping:
            self.pieces.append(data)


def _phrases(words) -> re.Pattern | None:
    """One pattern for every phrase of ``words`` as whole words, longest first."""
    cleaned = {" ".join(w.split()) for w in words if w and w.strip()}
    if not cleaned:
        return None
    alternatives = "|".join(re.escape(w).replace(r"\ ", r"\s+")
                            for w in sorted(cleaned, key=len, reverse=True))
    return re.compile(f"{_EDGE_BEFORE}(?:{alternatives}){_EDGE_AFTER}")


@lru_cache(maxsize=1)
def _fixed() -> tuple[re.Pattern, ...]:
    """What is never English left, whoever asks (built once: ~600 zone names, which the
    time zone choice lists as they are: "Asia/Shanghai", "America/New York", "Cuba")."""
    zones = {z.replace("_", " ") for z in available_timezones()}
    return (_phrases(zones | {z.replace(" ", "_") for z in zones}), _EMAIL, _URL, _MONEY,
            _phrases(BASE_ALLOWED))


def english_left(html: str, allowed: set[str]) -> list[str]:
    """The runs of Latin-letter words (with at least one word of two letters or more) a
    person reads in ``html`` that are neither in ``allowed`` nor in ``BASE_ALLOWED`` nor
    an address, a URL, an amount or a zone name; each once, in the page's order.
    ``allowed`` holds words or phrases, matched whole and case-sensitively."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    patterns = [*_fixed(), _phrases(allowed)]
    found: dict[str, None] = {}
    for piece in reader.pieces:
        text = " ".join(piece.split())
        for pattern in patterns:
            if pattern is not None:
                text = pattern.sub(" \u2063 ", text)  # a separator that is no letter
        for run in _RUN.finditer(text):
            words = run.group(0)
            while words.count("(") > words.count(")"):  # "Comments (3": the words only
                words = words[:words.rfind("(")]
            words = words.strip(" ,.;:!?()&/'\"’“”#+*-")
            if _WORD.search(words):
                found.setdefault(words)
    return list(found)
