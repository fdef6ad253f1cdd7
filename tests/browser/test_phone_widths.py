"""No page scrolls sideways on a 320 px phone: every role's main pages, measured in
Chromium (tables scroll inside their own box, everything else wraps)."""

from __future__ import annotations

from tests.browser.helpers import sign_in

WIDTH = 320


def _too_wide(page, paths: list[str]) -> dict[str, int]:
    wide = {}
    for path in paths:
        page.goto(page.base + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > WIDTH:
            wide[path] = width
    return wide


def test_no_page_scrolls_sideways_at_320_px(browser, live_server, every_role):
    scene, pages = every_role
    wide = {}
    for role, paths in pages.items():
        context = browser.new_context(viewport={"width": WIDTH, "height": 700})
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.base = live_server
        if role:
            sign_in(page, scene[role])
        wide.update(_too_wide(page, paths))
        context.close()
    assert wide == {}, f"pages wider than {WIDTH} px: {wide}"
