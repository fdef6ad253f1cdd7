"""The key investment information sheet's page, ``/campaigns/<slug>/kiis`` (issue 27):
public for an EU issuer's offering and for no other, linked from the offering page and the
invest page, read in the reader's language (the founder's texts as written), printed
without the site's navigation; the founder's offering page says how long it is."""

from __future__ import annotations

import re
from pathlib import Path

from crowdfund.campaigns.states import CampaignStatus
from crowdfund.db import utcnow
from crowdfund.equity import kiis
from crowdfund.equity.investors import profile_of
from crowdfund.equity.services import offering_of
from tests.factories import eu_draft_offering, investor, live_offering, make_campaign
from tests.i18n_scan import english_left

#: A paragraph that takes exactly one printed line of the sheet.
ONE_LINE = "We make tide gauges for small harbours. " * 2
CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "app.css"


def _eu_offering(session, jurisdiction="DE"):
    campaign = live_offering()
    offering_of(campaign).issuer_jurisdiction = jurisdiction
    campaign.risks_md = "Our supplier of **sensors** may be late."
    session.commit()
    return campaign


def test_the_sheet_page_opens_with_the_warning_then_parts_a_to_h(app, client, session):
    campaign = _eu_offering(session)
    response = client.get(f"/campaigns/{campaign.slug}/kiis")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    body = page[page.index("<main"):]
    title = body.index("<h1>Key investment information sheet</h1>")
    disclaimer = body.index('id="kiis-disclaimer"')
    warning = body.index("Investment in this crowdfunding project entails risks")
    parts = [body.index(f"<h2 id=\"part-{letter}-title\">Part {letter.upper()}:")
             for letter in "abcdefgh"]
    assert title < disclaimer < warning < parts[0] and parts == sorted(parts)
    assert "neither verified nor approved by competent authorities or ESMA" in body
    assert "Regulation <span translate=\"no\">(EU) 2020/1503</span>" in body
    # The figures as the reader reads them, the founder's text as sanitised Markdown.
    assert "<dt>Maximum</dt><dd>$100,000.00</dd>" in body
    assert "<dt>Incorporated</dt><dd>in Germany on Jan 1, 2020</dd>" in body
    assert "Our supplier of <strong>sensors</strong> may be late." in body
    assert "within 4 calendar days of making it" in body
    assert "No special purpose vehicle is used" in body and "this offering is not a loan" in body


def test_the_sheet_follows_the_offering(app, client, session):
    campaign = _eu_offering(session)
    assert "<dd>$100,000.00</dd>" in client.get(f"/campaigns/{campaign.slug}/kiis").text
    offering_of(campaign).maximum_minor = 90_000_00
    session.commit()
    page = client.get(f"/campaigns/{campaign.slug}/kiis").text
    assert "<dd>$90,000.00</dd>" in page and "$100,000.00" not in page


def test_no_sheet_for_an_issuer_outside_the_eu_nor_for_a_reward_campaign(app, client,
                                                                         session):
    american = live_offering()
    reward = make_campaign(status=CampaignStatus.LIVE)
    german = _eu_offering(session)
    assert client.get(f"/campaigns/{german.slug}/kiis").status_code == 200
    assert client.get(f"/campaigns/{american.slug}/kiis").status_code == 404
    assert client.get(f"/campaigns/{reward.slug}/kiis").status_code == 404
    assert client.get("/campaigns/no-such-campaign/kiis").status_code == 404
    assert 'id="kiis-link"' not in client.get(f"/campaigns/{american.slug}").text


def test_a_drafts_sheet_is_its_founders_only(app, client, auth, session):
    campaign = eu_draft_offering()
    session.commit()
    assert client.get(f"/campaigns/{campaign.slug}/kiis").status_code == 404
    auth.login_as(campaign.founder)
    assert client.get(f"/campaigns/{campaign.slug}/kiis").status_code == 200


def test_the_offering_page_and_the_invest_page_link_to_the_sheet(app, client, auth, session):
    campaign = _eu_offering(session)
    campaign.currency, campaign.goal_minor = "EUR", 100_00
    person = investor(country="DE", worth="20000")
    profile = profile_of(person)  # the EU steps done: the knowledge test, the simulation
    profile.eu_knowledge_taken_at = profile.eu_loss_simulated_at = utcnow()
    profile.eu_knowledge_passed = True
    session.commit()
    link = f'href="/campaigns/{campaign.slug}/kiis"'
    offering_page = client.get(f"/campaigns/{campaign.slug}").text
    assert link in offering_page and "Key investment information sheet" in offering_page
    auth.login_as(person)
    response = client.get(f"/invest/{campaign.slug}")
    assert response.status_code == 200
    page = response.text
    assert re.search(r'id="kiis-before-investing"><a ' + re.escape(link)
                     + r">Read the key investment information sheet before you invest</a>",
                     page)


def test_the_founders_offering_page_shows_the_length_and_warns_when_over(app, client, auth,
                                                                         session):
    campaign = eu_draft_offering()
    session.commit()
    auth.login_as(campaign.founder)
    page = client.get(f"/studio/{campaign.id}/offering").text
    assert "Your key investment information sheet prints on about 3 pages of the 6 " \
        "allowed" in page
    assert 'id="kiis-too-long"' not in page
    campaign.description_md = "\n\n".join([ONE_LINE] * 150)
    session.commit()
    page = client.get(f"/studio/{campaign.id}/offering").text
    warning = re.search(r'id="kiis-too-long">([^<]*)</p>', page).group(1)
    assert warning.startswith("Key investment information sheet within 6 pages: yours takes "
                              "about 7; shorten the story, ")
    assert warning.endswith(". Until then the campaign cannot be sent for review.")


def test_the_sheet_reads_in_chinese_but_for_the_founders_texts(app, client, session):
    campaign = _eu_offering(session)
    campaign.title, campaign.blurb = "潮汐仪器", "为海洋测量仪器融资。"
    campaign.description_md, campaign.risks_md = "我们制造测量仪器。", "初创公司风险较高。"
    offering = offering_of(campaign)
    offering.use_of_proceeds_md = "模具和首批生产。"
    founder_name = campaign.founder.display_name
    session.commit()
    client.set_cookie("lang", "zh_Hans")
    page = client.get(f"/campaigns/{campaign.slug}/kiis").text
    assert "关键投资信息表" in page and "我们制造测量仪器。" in page
    assert english_left(page, {offering.issuer_legal_name, founder_name}) == []


def test_the_print_stylesheet_prints_on_a4_without_navigation():
    css = CSS.read_text()
    assert "@page { size: A4;" in css
    printed = css[css.index("@media print {"):]
    hidden = re.search(r"\n  ([^{]*)\{ display: none !important; \}", printed).group(1)
    assert {".site-header", ".site-footer", ".kiis-back"} <= {s.strip() for s in
                                                              hidden.split(",")}
    assert "font-size: 10pt" in printed
    assert kiis.UNITS_PER_PAGE * kiis.MAX_PAGES == kiis.BUDGET
