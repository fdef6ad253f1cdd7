"""The key investment information sheet printed by a real browser (Chromium's print to
PDF, the print stylesheet): a sheet as long as the 6-page budget allows prints on at most
6 A4 pages, in English and in Chinese, without the site's navigation (issue 27)."""

from __future__ import annotations

import re

import pytest

from crowdfund.equity import kiis
from crowdfund.equity.services import offering_of
from crowdfund.extensions import db
from tests.browser.helpers import in_language
from tests.factories import live_offering

#: A founder's story, in English and in Chinese (a wide character counts two).
WORDS = {"en": "We design and build tide gauges for small harbours, and we test each one "
               "at sea for a month before it ships. ",
         "zh_Hans": "我们为小型港口设计并制造潮位仪，每台出厂前都在海上测试一个月。"}


def _offering_at_the_budget(app, paragraph: str) -> tuple[str, int]:
    """An EU issuer's offering whose sheet is as long as the budget allows: the story
    fills it with ``paragraph`` again and again, then a last one cut to fit. Its address
    and its length."""
    with app.app_context():
        campaign = live_offering()
        offering = offering_of(campaign)
        offering.issuer_jurisdiction = "DE"
        campaign.description_md = paragraph

        def fits(story: str) -> bool:
            campaign.description_md = story
            return kiis.length_of(offering).units <= kiis.BUDGET

        story = paragraph
        while fits(f"{story}\n\n{paragraph}"):
            story = f"{story}\n\n{paragraph}"
        last = ""
        for character in paragraph:
            if not fits(f"{story}\n\n{last}{character}"):
                break
            last += character
        campaign.description_md = f"{story}\n\n{last}" if last else story
        db.session.commit()
        return campaign.slug, kiis.length_of(offering).units


def _pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


@pytest.mark.parametrize(("language", "paragraph"), [
    ("en", WORDS["en"] * 6), ("zh_Hans", WORDS["zh_Hans"] * 6),
    # Many short lines: each takes a whole line, however few its characters.
    ("en", "- a gauge\n- a buoy\n- a cable"),
])
def test_a_sheet_at_the_budget_prints_on_at_most_six_a4_pages(app, browser, live_server,
                                                               language, paragraph):
    slug, units = _offering_at_the_budget(app, paragraph)
    assert kiis.BUDGET - kiis.LINE_UNITS < units <= kiis.BUDGET
    context = browser.new_context()
    in_language(context, live_server, language)
    page = context.new_page()
    page.goto(f"{live_server}/campaigns/{slug}/kiis")
    page.emulate_media(media="print")
    assert page.locator("#kiis-disclaimer").is_visible()
    assert not page.locator(".site-header").is_visible()
    assert not page.locator(".site-footer").is_visible()
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    context.close()
    assert 1 <= _pages(pdf) <= kiis.MAX_PAGES
