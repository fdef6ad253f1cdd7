"""The key investment information sheet of an EU issuer's offering (Regulation (EU)
2020/1503, Article 23 and Annex I; issue 27): built from what the offering holds (no
second copy of any figure), the regulation's warning first, and at most 6 pages: a
campaign whose sheet is longer is not sent for review, and is told what to shorten."""

from __future__ import annotations

import pytest

from crowdfund.campaigns import services as campaigns
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.equity import kiis
from crowdfund.equity.services import offering_of
from tests.factories import eu_draft_offering, live_offering

#: A paragraph that takes exactly one printed line of the sheet.
ONE_LINE = "We make tide gauges for small harbours. " * 2


def _facts(sheet) -> dict[str, str]:
    return {label: value for part in sheet.parts for label, value in part.facts}


def test_the_sheet_is_built_from_the_offering_and_follows_it(session):
    campaign = live_offering()
    offering = offering_of(campaign)
    offering.issuer_jurisdiction = "DE"
    facts = _facts(kiis.build(offering))
    assert facts["Project owner"] == "Tidewater Instruments Inc."
    assert facts["Incorporated"] == "in Germany on Jan 1, 2020"
    assert facts["Target"] == "$50,000.00" and facts["Maximum"] == "$100,000.00"
    assert facts["Minimum investment"] == "$100.00"
    assert facts["Price per share"] == "$1.30" and facts["Shares offered"] == "up to 76,923 shares"
    assert facts["Pre-money valuation"] == "$2,000,000.00"
    assert facts["What the issuer pays"].startswith("A platform fee of 5% of the money")
    # No second copy: the sheet says what the offering and its campaign hold now.
    offering.maximum_minor, campaign.goal_minor = 80_000_00, 60_000_00
    facts = _facts(kiis.build(offering))
    assert facts["Maximum"] == "$80,000.00" and facts["Target"] == "$60,000.00"
    assert facts["Shares offered"] == "up to 61,538 shares"


def test_the_sheet_opens_with_the_regulations_warning_and_has_parts_a_to_h(session):
    campaign = live_offering()
    offering_of(campaign).issuer_jurisdiction = "FR"
    sheet = kiis.build(offering_of(campaign))
    blocks = [str(block) for block in sheet.blocks()]
    assert blocks[0] == "Key investment information sheet"
    assert blocks[1].startswith("This crowdfunding offer has been neither verified nor "
                                "approved by competent authorities or ESMA.")
    assert "Directive <span translate=\"no\">2014/49/EU</span>" in blocks[3]
    assert "You may not receive any return on your investment." in blocks[3]
    assert [part.letter for part in sheet.parts] == list("ABCDEFGH")
    assert sheet.statements is None


def test_only_an_eu_issuers_offering_has_a_sheet(session):
    campaign = live_offering()
    assert not kiis.applies(offering_of(campaign))
    offering_of(campaign).issuer_jurisdiction = "IE"
    assert kiis.applies(offering_of(campaign))
    assert not kiis.applies(None)


def _fill(campaign, lines: int) -> None:
    """The story: ``lines`` paragraphs of one printed line each."""
    campaign.description_md = "\n\n".join([ONE_LINE] * lines)


def _lines_to_the_budget(campaign) -> int:
    """How many one-line paragraphs of story make the sheet exactly as long as allowed."""
    _fill(campaign, 1)
    units = kiis.length_of(offering_of(campaign)).units
    assert units % kiis.LINE_UNITS == 0
    return 1 + (kiis.BUDGET - units) // kiis.LINE_UNITS


def test_a_sheet_of_exactly_six_pages_is_sent_for_review(session):
    campaign = eu_draft_offering()
    _fill(campaign, _lines_to_the_budget(campaign))
    length = kiis.length_of(offering_of(campaign))
    assert length.units == kiis.BUDGET and length.pages == 6 and not length.over
    items = {item.label: item.done for item in campaigns.readiness(campaign)}
    assert items["Key investment information sheet within 6 pages"] is True
    campaigns.submit(campaign, campaign.founder)
    assert campaign.status is CampaignStatus.SUBMITTED


def test_a_sheet_one_line_over_six_pages_is_refused_at_submission(session):
    campaign = eu_draft_offering()
    _fill(campaign, _lines_to_the_budget(campaign) + 1)
    length = kiis.length_of(offering_of(campaign))
    assert length.units == kiis.BUDGET + kiis.LINE_UNITS and length.over
    with pytest.raises(campaigns.NotReady,
                       match=r"^Before review, complete: Key investment information sheet "
                             r"within 6 pages: yours takes about 7; shorten the story, the "
                             r"risks and challenges, the use of proceeds by 100 characters in "
                             r"all\.$"):
        campaigns.submit(campaign, campaign.founder)
    assert campaign.status is CampaignStatus.DRAFT


def test_the_refusal_names_the_longest_text_first(session):
    campaign = eu_draft_offering()
    offering = offering_of(campaign)
    offering.use_of_proceeds_md = "\n\n".join([ONE_LINE] * 300)
    length = kiis.length_of(offering)
    assert [key for key, _units in length.founder][0] == "use_of_proceeds_md"
    assert "shorten the use of proceeds, the story, the risks and challenges by" \
        in length.shorten()


def test_offerings_outside_the_eu_have_no_sheet_to_check(session):
    campaign = eu_draft_offering("US")
    _fill(campaign, 400)  # far over 6 pages: no sheet, nothing refused
    labels = [item.label for item in campaigns.readiness(campaign)]
    assert not any("Key investment information sheet" in label for label in labels)
    campaigns.submit(campaign, campaign.founder)
    assert campaign.status is CampaignStatus.SUBMITTED


@pytest.mark.parametrize(("text", "units"), [
    ("", 0), ("a", 100), ("a" * 100, 100), ("a" * 101, 200), ("潮" * 50, 100),
    ("潮" * 51, 200), ("- one\n- two\n- three", 300), ("![tide](https://x.test/a.png)", 1300),
])
def test_each_block_takes_whole_lines_and_a_wide_character_counts_two(text, units):
    from crowdfund.markdown import render_markdown

    assert kiis.units_of(render_markdown(text)) == units
