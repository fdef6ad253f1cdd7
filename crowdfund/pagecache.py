"""Whole public pages kept a few seconds for anonymous visitors.

On launch day most requests are strangers opening the same campaign page and home page.
A view marked ``@public_page`` is rendered once per URL every ``PAGE_CACHE_SECONDS``
(default 5) per process, and the bytes are served to every anonymous visitor meanwhile:
no query, no template. Invalidation is by age: a new pledge, update or comment shows
to anonymous visitors within those seconds, in every process alike (nothing to
broadcast between web servers).

Only what is the same for every anonymous visitor is ever stored or served:

- served only to a GET from a visitor who is not signed in (no remember cookie, no user
  in the session) and has no message waiting to be flashed;
- stored only from such a request, when the answer is a 200 that set no cookie and did
  not change the session (a ``?ref=`` link records its source in the session: those
  requests always reach the view);
- the key is the reader's language and time zone (``crowdfund.i18n.reader_key``: a page
  is kept once per language and zone it was asked in) and the full path with its query
  string; at most ``PAGE_CACHE_ENTRIES`` URLs
  are kept (least recently used go first), so odd query strings cannot grow memory.

A signed-in person always gets their own freshly rendered page. Every other response
header (security headers, ``Vary: Cookie``) is added again on the way out.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Response, current_app, g, request, session

from crowdfund import memo
from crowdfund.i18n import reader_key
from crowdfund.memo import Store

#: Marks a view function whose anonymous GET answer may be kept (see the module).
ATTRIBUTE = "_public_page"


def public_page(view: Callable) -> Callable:
    setattr(view, ATTRIBUTE, True)
    return view


class PageStore(Store):
    """URL -> (body, content type), each for ``seconds`` (see ``Store``)."""


def _store() -> PageStore:
    return current_app.extensions["page_cache"]


def _anonymous_get() -> bool:
    """A GET of a marked view by a visitor who is not signed in and has nothing flashed."""
    if request.method != "GET" or not current_app.config["PAGE_CACHE_SECONDS"]:
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    if not getattr(view, ATTRIBUTE, False):
        return False
    if current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies:
        return False
    if current_app.config["SESSION_COOKIE_NAME"] in request.cookies:
        return "_user_id" not in session and "_flashes" not in session
    return True


def _key() -> str:
    return f"{reader_key()} {request.full_path}"


def serve() -> Response | None:
    """before_request: the kept page, when there is one for this visitor and URL."""
    if not _anonymous_get():
        return None
    found = _store().get(_key())
    if found is None:
        return None
    g.page_cache_hit = True
    response = Response(found[0], status=200, content_type=found[1])
    response.vary.update(("Cookie", "Accept-Language"))
    return response


def keep(response: Response) -> Response:
    """after_request: keep the page if it is the same for every anonymous visitor."""
    if (response.status_code == 200 and not response.direct_passthrough
            and "Set-Cookie" not in response.headers and not session.modified
            and not g.get("page_cache_hit") and _anonymous_get()):
        _store().put(_key(), (response.get_data(), response.content_type),
                     current_app.config["PAGE_CACHE_SECONDS"])
    return response


def init_app(app: Flask) -> None:
    """Register before any other request hook, so that a kept page costs nothing else."""
    app.extensions["page_cache"] = PageStore(app.config["PAGE_CACHE_ENTRIES"])
    memo.init_app(app)
    app.before_request_funcs.setdefault(None, []).insert(0, serve)
    app.after_request(keep)
