"""Browser tests: the app served on 127.0.0.1 in a thread, Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import threading
from datetime import timedelta

import pytest
from werkzeug.serving import make_server

from crowdfund.campaigns.faq import FaqEntry
from crowdfund.campaigns.states import CampaignStatus, FundingModel
from crowdfund.db import utcnow
from crowdfund.equity import protections
from crowdfund.extensions import db
from crowdfund.fulfilment import questions
from crowdfund.pledges.models import PledgeStatus
from crowdfund.settlement.books import differences as gateway_differences
from crowdfund.settlement.books.differences import Found
from crowdfund.settlement.books.models import DifferenceKind
from tests.factories import (
    funded_reward,
    investor,
    live_offering,
    make_add_on,
    make_campaign,
    make_pledge,
    make_user,
    surveyed_pledge,
)
from tests.page_extras import stored_test_image

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing; CI must install Debian's chromium package.")
        pytest.skip(f"browser tests need Debian's Chromium at {CHROMIUM} "
                    "(apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def live_server(app, stripe_sandbox):
    """The app (talking to the sandbox) on a free port, for the length of one test, with
    CSRF protection on as in production."""
    app.config["WTF_CSRF_ENABLED"] = True
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.base = live_server
    page.js_errors = errors
    yield page
    context.close()


@pytest.fixture
def every_role(app):
    """People of every role and their main pages: {role (None: anonymous): [paths]}."""
    with app.app_context():
        founder = make_user(name="Founder With A Rather Long Name Indeed")
        live = make_campaign(founder, status=CampaignStatus.LIVE, tiers=2,
                             title="A campaign title long enough to wrap on a small phone")
        ended = make_campaign(founder, status=CampaignStatus.COLLECTING, tiers=1,
                              title="Ended and collecting")
        ended.deadline = utcnow() - timedelta(days=2)
        # Flexible funding, ended below its goal: its banner and notes say so at length.
        ended.funding_model, ended.pledged_at_deadline_minor = FundingModel.FLEXIBLE, 5_000
        backer = make_user(name="Backer")
        pledge = make_pledge(live, backer, amount_minor=12_345)
        make_add_on(live, name="A spare lampshade with a long name", limit=40,
                    rates={"US": 300, "ROW": 900}, tiers=[live.tiers[1]])
        make_add_on(live, name="Sticker pack")
        make_pledge(ended, backer, amount_minor=5_000, status=PledgeStatus.ERRORED)
        # It takes late pledges for a month: the backer's own waits for its card.
        ended.late_pledge_days = 30
        late = make_pledge(ended, backer, amount_minor=2_500, status=PledgeStatus.PENDING,
                           tier=ended.tiers[0])
        late.late = True
        for _ in range(3):
            make_pledge(live, amount_minor=2_500)
        draft = make_campaign(founder, ready=False, title="A draft in the studio")
        # Funded, its survey waiting for the backer (an address in Canada, a size).
        shipping = funded_reward(founder, title="Funded and shipping soon")
        questions.add_question(shipping, founder, shipping.tiers[0].id, "size",
                               "Which size of strap?", "", True)
        paid = surveyed_pledge(shipping, backer, country="CA")
        operator = make_user(operator=True)
        offering = live_offering()
        person = investor()
        # UK: one in the cooling-off (every step done an hour ago), one to be assessed.
        briton = investor(income="90000", worth="45000", country="GB",
                          uk_done=timedelta(hours=1))
        newcomer = investor(income="90000", worth="45000", country="GB", educated=False)
        protections.categorise(newcomer, "restricted", True)
        gateway_differences.record([Found(
            DifferenceKind.REFUND_NOT_OURS, "re_3NyAlongGatewayIdentifier0123", None, "nothing",
            "USD 12.34 succeeded of pi_3NyAnotherLongGatewayIdentifier", ended.id)])
        # The campaign page's extras: a FAQ and a reward's picture.
        db.session.add(FaqEntry(campaign_id=live.id, question="Does it ship to Canada?",
                                answer_md="Yes, **everywhere** but the moon."))
        live.tiers[0].image_path = stored_test_image()
        db.session.commit()
        ids = dict(live=live.id, ended=ended.id, live_slug=live.slug, ended_slug=ended.slug,
                   tier=live.tiers[0].id,
                   pledge=pledge.id, late=late.id, founder=founder.email, backer=backer.email,
                   shipping=shipping.id, paid=paid.id,
                   operator=operator.email, draft=draft.id, offering_slug=offering.slug,
                   investor=person.email, uk_investor=briton.email,
                   uk_newcomer=newcomer.email)
        db.session.remove()
    scene = ids
    pages = {
        None: ["/", "/discover", f"/campaigns/{scene['live_slug']}",
               f"/campaigns/{scene['ended_slug']}", f"/campaigns/{scene['offering_slug']}",
               "/login", "/register", "/password/forgot", "/fees", "/privacy"],
        # The pledge flow: the form, the card page (Stripe.js), the pledge, the list.
        "backer": ["/account/sessions", "/account/two-factor", "/account/identity",
                   "/account/data", "/account/notifications",
                   f"/campaigns/{scene['live_slug']}/pledge", f"/pledges/{scene['pledge']}/card",
                   f"/pledges/{scene['pledge']}", "/pledges", "/invest/profile",
                   f"/pledges/{scene['paid']}", f"/pledges/{scene['paid']}/survey",
                   f"/campaigns/{scene['ended_slug']}/late", f"/pledges/{scene['late']}/late"],
        # The invest flow of an investor with a profile: education, the offer, holdings.
        "investor": ["/invest/", "/invest/education", f"/invest/{scene['offering_slug']}",
                     "/invest/holdings"],
        # The UK's steps: the category, the assessment's questions, the cooling-off and the
        # risk warning on the invest page, the risk summary.
        "uk_investor": ["/invest/category", f"/invest/{scene['offering_slug']}",
                        "/invest/risk-summary"],
        "uk_newcomer": ["/invest/assessment"],
        "founder": ["/studio/", "/studio/new", f"/studio/{scene['draft']}",
                    f"/studio/{scene['draft']}/edit", f"/studio/{scene['draft']}/rewards/new",
                    f"/studio/{scene['draft']}/budget", f"/studio/{scene['draft']}/add-ons/new",
                    f"/studio/{scene['live']}/add-ons", f"/studio/{scene['live']}",
                    f"/studio/{scene['live']}/faq",
                    f"/studio/{scene['live']}/rewards/{scene['tier']}/image",
                    f"/studio/{scene['live']}/backers", f"/studio/{scene['live']}/insights",
                    f"/studio/{scene['shipping']}/fulfilment", f"/studio/{scene['ended']}/late"],
        "operator": ["/operators/", "/operators/settlement", "/operators/audit",
                     f"/operators/campaigns/{scene['ended']}/money",
                     f"/operators/campaigns/{scene['live']}", "/operators/outbox",
                     "/operators/differences", "/operators/funding",
                     f"/operators/campaigns/{scene['shipping']}/fulfilment"],
    }
    return scene, pages
