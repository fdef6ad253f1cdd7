"""Founder-written Markdown rendered to HTML that is safe to show to everyone.

markdown-it renders CommonMark (raw HTML allowed, so that founders can use a
little of it); nh3 then keeps only an allow-list of tags and attributes, drops
event handlers, scripts and styles, and keeps links to http, https and mailto.
"""

from __future__ import annotations

from functools import lru_cache

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
