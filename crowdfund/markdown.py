"""Founder-written Markdown rendered to HTML that is safe to show to everyone.

markdown-it renders CommonMark (raw HTML allowed, so that founders can use a
little of it); nh3 then keeps only an allow-list of tags and attributes, drops
event handlers, scripts and styles, and keeps links to http, https and mailto.
``markdown_text`` writes the same sanitised HTML as plain text (an email's text part).
"""

from __future__ import annotations

import re
from functools import lru_cache
from html.parser import HTMLParser

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False})
_md.enable(["table", "strikethrough"])

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "details", "em", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "strong", "sub",
    "summary", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"align"},
    "th": {"align"},
    "abbr": {"title"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}


def sanitise_html(html: str) -> str:
    """Keep only the allow-listed HTML; links get rel="nofollow noopener noreferrer"."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )


def render_markdown(text: str | None) -> Markup:
    """Markdown to sanitised HTML, ready for a template. The same text renders to the same
    HTML, so each distinct text is rendered once per process (a story read by thousands is
    not re-parsed and re-sanitised on every view; an edited one is a new text)."""
    if not text:
        return Markup("")
    return _rendered(text)


@lru_cache(maxsize=2048)
def _rendered(text: str) -> Markup:
    return Markup(sanitise_html(_md.render(text)))  # noqa: S704 - sanitised by nh3 above


def plain_text(text: str | None) -> str:
    """User text with every tag removed (titles, blurbs, names)."""
    return nh3.clean(text or "", tags=set()).strip()


def markdown_text(text: str | None) -> str:
    """Markdown as readable plain text: what ``render_markdown`` shows (nothing it drops),
    without the marks ("**next week**" reads "next week"); a blank line between blocks, a
    dash or a number before each list item, a link's address after its words."""
    if not text:
        return ""
    writer = _TextWriter()
    writer.feed(str(_rendered(text)))
    writer.close()
    return writer.text()


#: Tags that start and end a block of text (a blank line around it).
_BLOCKS = {"p", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "ul", "ol", "hr",
           "details"}
#: Tags that start a new line.
_LINES = {"br", "tr", "summary"}


class _TextWriter(HTMLParser):
    """Sanitised HTML (``sanitise_html``) to plain text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._out: list[str] = []
        self._newlines = 0  # line breaks owed before the next text
        self._lists: list[int | None] = []  # per open list: the next number, None for bullets
        self._links: list[str | None] = []
        self._link_words: list[str] = []
        self._pre = 0
        self._cells = 0

    def _break(self, lines: int) -> None:
        self._newlines = max(self._newlines, lines)

    def _write(self, text: str) -> None:
        if not text:
            return
        if self._out and self._newlines:
            self._out.append("\n" * self._newlines)
        self._newlines = 0
        if self._links:
            self._link_words.append(text)
        self._out.append(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in _BLOCKS:
            self._break(1 if self._lists else 2)
        if tag in _LINES:
            self._break(1)
        if tag == "hr":
            self._write("---")
        elif tag == "pre":
            self._pre += 1
        elif tag in ("ul", "ol"):
            self._lists.append(int(values.get("start") or 1) if tag == "ol" else None)
        elif tag == "li":
            self._item()
        elif tag == "a":
            self._links.append(values.get("href"))
            self._link_words = []
        elif tag == "img" and values.get("alt"):
            self._write(values["alt"] or "")
        elif tag == "tr":
            self._cells = 0
        elif tag in ("td", "th"):
            if self._cells:
                self._out[-1] = self._out[-1].rstrip(" ")
                self._write(" | ")
            self._cells += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def _item(self) -> None:
        self._break(1)
        depth = max(len(self._lists), 1)
        number = self._lists[-1] if self._lists else None
        if number is None:
            mark = "-"
        else:
            mark = f"{number}."
            self._lists[-1] = number + 1
        self._write("  " * (depth - 1) + mark + " ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCKS:
            self._break(2 if not self._lists or tag in ("ul", "ol") and len(self._lists) == 1
                        else 1)
        if tag == "pre":
            self._pre = max(self._pre - 1, 0)
        elif tag in ("ul", "ol") and self._lists:
            self._lists.pop()
        elif tag == "a" and self._links:
            href = self._links.pop()
            if href and href not in ("".join(self._link_words).strip(),
                                     "mailto:" + "".join(self._link_words).strip()):
                self._write(f" ({href})")

    def handle_data(self, data: str) -> None:
        if not self._pre:
            data = re.sub(r"\s+", " ", data)
            if not self._out or self._newlines or self._out[-1].endswith("\n"):
                data = data.lstrip()
        self._write(data)

    def text(self) -> str:
        text = "".join(self._out)
        text = re.sub(r"[ \t]+\n", "\n", text)
        return re.sub(r"\n{3,}", "\n\n", text).strip()
