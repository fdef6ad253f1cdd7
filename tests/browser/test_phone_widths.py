"""No page scrolls sideways on a 320 px phone: every role's main pages, measured in
Chromium (tables scroll inside their own box, everything else wraps), in English and in
Chinese (the ``lang`` cookie of the footer's switch)."""

from __future__ import annotations

import pytest

from tests.browser.helpers import in_language, sign_in

WIDTH = 320


def _too_wide(page, paths: list[str], language: str) -> dict[str, int]:
    wide = {}
    for path in paths:
        page.goto(page.base + path)
        assert page.evaluate("document.documentElement.lang") == language.replace("_", "-")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > WIDTH:
            wide[path] = width
    return wide


@pytest.mark.parametrize("language", ["en", "zh_Hans", "zh_Hant"])
def test_no_page_scrolls_sideways_at_320_px(browser, live_server, every_role, language):
    scene, pages = every_role
    wide = {}
    for role, paths in pages.items():
        context = browser.new_context(viewport={"width": WIDTH, "height": 700})
        in_language(context, live_server, language)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.base = live_server
        if role:
            sign_in(page, scene[role])
        wide.update(_too_wide(page, paths, language))
        context.close()
    assert wide == {}, f"pages wider than {WIDTH} px: {wide}"


#: The font families of each language's text: the page's, and each element's with a lang.
FONTS = """() => Object.fromEntries([...document.querySelectorAll('[lang]')]
  .map(el => [el.lang, getComputedStyle(el).fontFamily]))"""
#: A label of a form in Chinese holding a Latin word far wider than the phone.
LONG_LATIN_WORD = """() => { document.querySelector('main .field label').textContent =
  '电子邮箱（例如 ' + 'averyveryverylongaddress'.repeat(3) + '@example.com）'; }"""


def test_chinese_is_set_in_chinese_fonts_and_long_latin_words_in_it_wrap(browser, live_server):
    """Simplified and Traditional Chinese in the phone's own fonts for each (the page, and
    the footer's switch on an English page); a long Latin word in a Chinese line wraps
    instead of widening the page, wherever it is."""
    for language, own, other in (("en", None, None), ("zh_Hans", "SC", "TC"),
                                 ("zh_Hant", "TC", "SC")):
        context = browser.new_context(viewport={"width": WIDTH, "height": 700})
        in_language(context, live_server, language)
        page = context.new_page()
        page.goto(live_server + "/login")
        fonts = page.evaluate(FONTS)
        assert '"Noto Sans CJK SC"' in fonts["zh-Hans"] and '"PingFang SC"' in fonts["zh-Hans"]
        assert '"Noto Sans CJK TC"' in fonts["zh-Hant"] and '"PingFang TC"' in fonts["zh-Hant"]
        page_font = fonts[language.replace("_", "-")]
        if own:
            assert f'"PingFang {own}"' in page_font and f'"PingFang {other}"' not in page_font
            page.evaluate(LONG_LATIN_WORD)
            assert page.evaluate("document.documentElement.scrollWidth") == WIDTH
        else:
            assert "PingFang" not in page_font
        context.close()
