"""Tables on phones (issue 24, item 12): at 320 and 375 px every row's action (a link, a
button, a field) is on screen without scrolling sideways, the page itself never scrolls
sideways, and no figure is split across two lines. Measured in Chromium, for every page
with a table of actions, as each role sees it; at 320 px in Chinese too."""

from __future__ import annotations

import os
from datetime import date, timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe

from crowdfund.auth.models import UserSession
from crowdfund.campaigns.models import BudgetLine
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.db import utcnow
from crowdfund.equity.models import Holding, SecurityType
from crowdfund.equity.services import offering_of
from crowdfund.extensions import db
from crowdfund.pledges.models import PledgeStatus
from crowdfund.queue import Job, JobStatus
from crowdfund.settlement.models import ChargeAttempt, ChargeStatus, Payout, PayoutStatus
from tests.browser.helpers import in_language, sign_in
from tests.factories import investor, live_offering, make_campaign, make_pledge, make_user
from tests.sandbox_cards import save_sandbox_card

S = CampaignStatus
#: Set to a folder to keep a screenshot of each page (to look at while changing styles).
SHOTS = os.environ.get("PHONE_SHOTS")

#: Every action inside a table row that is shown (a closed confirmation's form is not):
#: its text and left and right edges.
ACTIONS = """() => [...document.querySelectorAll('main table tr')].flatMap(row =>
  [...row.querySelectorAll('a, button, summary, input, select, textarea')]
    .filter(el => el.type !== 'hidden')
    .map(el => [el, el.getBoundingClientRect()])
    .filter(([el, r]) => r.width > 0 && r.height > 0)
    .map(([el, r]) => ({text: (el.textContent || el.name || el.tagName).trim().slice(0, 40),
                         left: r.left, right: r.right})))"""

#: Each figure ($9,000.00, 1,234, 45%) in a table or a campaign card, whose characters
#: are on more than one line.
SPLIT_FIGURES = r"""() => {
  const split = [];
  const walker = document.createTreeWalker(document.querySelector('main'),
                                           NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    // Shown figures only: not in a closed <details>, nor in text for screen readers only.
    if (!parent.closest('table, .stats, .counters') || !parent.checkVisibility()
        || parent.closest('.visually-hidden, table.stack > thead')) continue;
    for (const m of node.textContent.matchAll(/[$€£]?\d[\d,.]*\d%?/g)) {
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const tops = new Set([...range.getClientRects()].filter(r => r.width > 0)
                           .map(r => Math.round(r.top)));
      if (tops.size > 1) split.push(`${m[0]} in "${parent.textContent.trim().slice(0, 60)}"`);
    }
  }
  return split;
}"""


#: Each chart's text that is not whole inside its chart (an axis value that lost its "$").
CLIPPED_CHART_TEXT = """() => [...document.querySelectorAll('svg.chart-svg')].flatMap(svg => {
  const box = svg.getBoundingClientRect();
  return [...svg.querySelectorAll('text')].map(t => [t, t.getBoundingClientRect()])
    .filter(([t, r]) => r.left < box.left - 0.5 || r.right > box.right + 0.5)
    .map(([t, r]) => t.textContent.trim());
})"""

#: A campaign card's figures cut off at its edge (a card hides what overflows it).
CLIPPED_CARD_TEXT = """() => [...document.querySelectorAll('main .card')].flatMap(card => {
  const box = card.getBoundingClientRect();
  return [...card.querySelectorAll('.stats dt, .stats dd')]
    .filter(e => e.getBoundingClientRect().right > box.right + 0.5)
    .map(e => e.textContent.trim());
})"""

#: Each box of a table that is read: whether it is wider than it shows, and whether the
#: line under it says that it scrolls (in the page's language: base.html gives the words).
SCROLL_BOXES = """() => [...document.querySelectorAll('main .scroll')]
  .filter(box => box.clientWidth > 0)
  .map(box => {
    const hint = box.nextElementSibling;
    const words = document.querySelector('script[data-text-scroll]').dataset.textScroll;
    return {more: box.scrollWidth > box.clientWidth + 1,
            said: !!hint && hint.classList.contains('scroll-hint') && !hint.hidden
                  && hint.textContent === words,
            focusable: box.tabIndex === 0};
  })"""


def _charge(pledge, status: ChargeStatus, n: int, error: str | None = None) -> None:
    db.session.add(ChargeAttempt(
        pledge_id=pledge.id, campaign_id=pledge.campaign_id, attempt_no=1,
        idempotency_key=f"phone-{n}", amount_minor=pledge.amount_minor,
        currency=pledge.currency, status=status, error_code=error and "card_declined",
        error_message=error))


@pytest.fixture
def table_pages(app, stripe_sandbox):
    """People whose pages have tables with an action on every row, and those pages."""
    with app.app_context():
        founder = make_user("founder.with.a.long.address@example.com", verified=True,
                            name="Founder With A Rather Long Name Indeed")
        backer = make_user("backer.with.a.long.address@example.com", name="Backer Bea")
        operator = make_user(operator=True)
        collecting = make_campaign(founder, status=S.COLLECTING, goal_minor=1_800_000_00,
                                   title="Ended and collecting, with a title long enough")
        collecting.deadline = utcnow() - timedelta(days=2)
        failed = make_pledge(collecting, backer, amount_minor=1_234_567_89,
                             status=PledgeStatus.ERRORED)
        failed.payment_failed_at = utcnow() - timedelta(days=1)
        _charge(failed, ChargeStatus.FAILED, 1, "Your card was declined for a long reason.")
        for n in range(2):
            paid = make_pledge(collecting, amount_minor=9_000_00,
                               status=PledgeStatus.COLLECTED)
            _charge(paid, ChargeStatus.SUCCEEDED, 10 + n)
        db.session.add(Payout(campaign_id=collecting.id, amount_minor=9_876_543_21,
                              currency="USD", status=PayoutStatus.DUE,
                              idempotency_key="phone-payout", due_at=utcnow()))
        live = make_campaign(founder, status=S.LIVE, goal_minor=1_800_000,
                             title="A live campaign with a budget of round figures")
        live_pledge = make_pledge(live, backer, amount_minor=2_500_00)
        live_pledge.payment_method_id = save_sandbox_card(stripe_sandbox, backer)  # Saved cards
        draft = make_campaign(founder, title="A draft in the studio with a long title")
        for n, amount in enumerate((9_000_00, 123_456_78, 5_00)):
            draft.budget_lines.append(BudgetLine(label=f"Budget line number {n}",
                                                 amount_minor=amount, position=n + 1))
        make_campaign(founder, status=S.SUBMITTED, title="Waiting for review, long title")
        offering = live_offering()
        person = investor()
        commitment = make_pledge(offering, person, amount_minor=1_000_000_00,
                                 status=PledgeStatus.COLLECTED)
        db.session.add(Holding(offering_id=offering_of(offering).id, holder_id=person.id,
                               pledge_id=commitment.id, security=SecurityType.COMMON_STOCK,
                               shares=769_230_769, price_per_share_minor=130,
                               principal_minor=1_000_000_00, currency="USD",
                               issued_on=date(2026, 1, 2)))
        db.session.add(UserSession(user_id=backer.id, token_hash="phone-other-browser",
                                   ip="2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
                                   user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0)"))
        db.session.add(Job(kind="settle", args=[collecting.id], status=JobStatus.FAILED,
                           attempts=5, last_error="RuntimeError: a long error " * 8))
        db.session.commit()
        people = {"backer": backer.email, "founder": founder.email,
                  "operator": operator.email, "investor": person.email,
                  "issuer": offering.founder.email}
        pages = {
            None: ["/fees", "/privacy", f"/campaigns/{live.slug}", "/"],
            "backer": ["/pledges", "/account/sessions", "/account/cards"],
            "investor": ["/invest/holdings"],
            "issuer": [f"/studio/{offering.id}/cap-table"],
            "founder": ["/studio/", f"/studio/{collecting.id}/backers",
                        f"/studio/{draft.id}/budget", f"/studio/{draft.id}/rewards/new",
                        "/studio/payouts", f"/studio/{collecting.id}/delivery",
                        f"/studio/{live.id}/insights"],
            "operator": ["/operators/", "/operators/settlement",
                         f"/operators/campaigns/{collecting.id}/money", "/operators/audit",
                         "/operators/founders", "/operators/community"],
        }
        db.session.remove()
    return people, pages


def _measure(browser, live_server, people, pages, width: int, axe: Axe | None = None,
             language: str = "en") -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    for role, paths in pages.items():
        context = browser.new_context(viewport={"width": width, "height": 800})
        in_language(context, live_server, language)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.base = live_server
        if role:
            sign_in(page, people[role])
        for path in paths:
            page.goto(live_server + path)
            assert page.evaluate("document.documentElement.lang") == language.replace("_", "-")
            found = []
            wide = page.evaluate("document.documentElement.scrollWidth")
            if wide > width:
                found.append(f"the page is {wide} px wide")
            found += [f"{a['text']!r} at {a['left']:.0f}..{a['right']:.0f} px"
                      for a in page.evaluate(ACTIONS)
                      if a["left"] < 0 or a["right"] > width + 0.5]
            found += [f"figure {f} split across lines" for f in page.evaluate(SPLIT_FIGURES)]
            found += [f"chart text {t!r} cut off" for t in page.evaluate(CLIPPED_CHART_TEXT)]
            found += [f"card figure {t!r} cut off" for t in page.evaluate(CLIPPED_CARD_TEXT)]
            if axe is not None:  # cards made of table rows are still a table to a reader
                found += [f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']}"
                          for v in axe.run(page).response["violations"]
                          if v["impact"] in ("serious", "critical")]
            found += [f"a table that is read: {box}" for box in page.evaluate(SCROLL_BOXES)
                      if box["more"] != box["said"] or box["more"] != box["focusable"]]
            if found:
                problems[path] = found
            if SHOTS:
                name = path.strip("/").replace("/", "_") or "home"
                page.screenshot(path=f"{SHOTS}/{width}-{language}-{role}-{name}.png",
                                full_page=True)
        context.close()
    return problems


@pytest.mark.parametrize(("width", "language"), [(320, "en"), (375, "en"), (320, "zh_Hans")])
def test_every_rows_action_is_on_screen_on_a_phone(browser, live_server, table_pages, width,
                                                    language):
    people, pages = table_pages
    problems = _measure(browser, live_server, people, pages, width,
                        Axe() if width == 320 else None, language)
    assert problems == {}, "\n".join(f"{path}: {found}" for path, found in problems.items())


def test_a_wide_table_that_is_read_says_that_it_scrolls(browser, live_server):
    """The fees table is wider than a 320 px phone: it scrolls in its own box, which says so
    and takes the keyboard; on a wide screen it fits and says nothing."""
    seen = {}
    for width in (320, 1100):
        context = browser.new_context(viewport={"width": width, "height": 800})
        page = context.new_page()
        page.goto(live_server + "/fees")
        box = page.locator("main .scroll")
        seen[width] = page.evaluate(SCROLL_BOXES)
        if width == 320:
            assert page.evaluate("document.documentElement.scrollWidth") == width
            box.focus()
            for _ in range(12):  # the keyboard scrolls it to its last column
                page.keyboard.press("ArrowRight")
            page.wait_for_function("""() => { const b = document.querySelector('main .scroll');
                return b.scrollLeft + b.clientWidth >= b.scrollWidth - 1; }""")
            last = page.locator("main .scroll th").last.bounding_box()
            assert last["x"] + last["width"] <= width
        context.close()
    assert seen == {320: [{"more": True, "said": True, "focusable": True}],
                    1100: [{"more": False, "said": False, "focusable": False}]}
