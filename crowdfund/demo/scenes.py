"""The rest of the demo world: more founders, an equity offering open to invest in, a
campaign that was funded (charged through the sandbox, with updates and deliveries) and
one that was not. Everything goes through the services, as people would have done it."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

from flask import current_app
from werkzeug.datastructures import FileStorage

from crowdfund.auth import services as accounts
from crowdfund.auth.models import User, VerificationStatus
from crowdfund.campaigns import faq
from crowdfund.campaigns import services as campaigns
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignKind
from crowdfund.db import utcnow
from crowdfund.demo import (
    OTHERS_PASSWORD,
    DemoCampaign,
    _draft,
    _go_live,
    _person,
    sandbox,
    save_card,
)
from crowdfund.extensions import db
from crowdfund.money import Money
from crowdfund.uploads import save_pdf


def founder(operator: User, email: str, name: str, bio: str, location: str) -> User:
    """Another founder, identity checked by the demo operator."""
    person = _person(email, OTHERS_PASSWORD, name)
    person.bio, person.location = bio, location
    db.session.flush()
    accounts.set_verification(person, operator, status=VerificationStatus.VERIFIED,
                              legal_name=name, note="ID document and a video call")
    return person


def seed(operator: User) -> list[int]:
    """The equity offering, and the two campaigns whose deadline passed (with the
    sandbox): returns the ids of those two, to settle once the seed is committed."""
    offering = _offering(operator)
    campaigns.set_staff_pick(offering, operator, True)
    if sandbox() is None:
        return []  # real Stripe keys: no made-up money
    return [_funded(operator), _failed(operator)]


def after_commit(app, campaign_ids: list[int]) -> None:
    """Settle the ended demo campaigns for real (charges through the sandbox, or nobody
    charged), then the founder's news: updates and delivery."""
    from crowdfund.payments import gateway
    from crowdfund.settlement.runner import Settler

    if not campaign_ids:
        return
    settler = Settler(app, gateway(), worker="demo-seed", sleep=lambda seconds: None)
    for campaign_id in campaign_ids:
        settler.settle(campaign_id)
    funded = db.session.get(Campaign, campaign_ids[0])
    funded.collection_ends_at = utcnow()  # every card paid: nothing left to collect
    db.session.commit()
    settler.process_recovery()  # settled, the payout scheduled
    _news(db.session.get(Campaign, campaign_ids[0]))
    db.session.commit()


# --- an equity offering, open -----------------------------------------------------------


FERNWOOD = DemoCampaign(
    "Fernwood Cider Co.: invest in an orchard cidery", "food", "USD", "50000", 30,
    ((60, 90, 30), (200, 170, 60)), [],
    "Own a share of a 40-acre orchard cidery that sold out its first three vintages.",
    "We press apples from our own heritage orchard and six neighbours'. This offering "
    "pays for a second press house and the bottling line that triples what we can make.",
    story="""## The business

{pitch}

Fernwood Cider Co. has pressed cider since 2019. Restaurants and bottle stores across
Oregon bought every bottle of our first three vintages, and we now turn buyers away each
spring: one press house and a contract bottler are all that limit us.

## What your investment pays for

- **A second press house** (55%): twice the apples pressed each autumn
- **A bottling line** (35%): we bottle ourselves instead of paying a contract bottler
- **Platform and payment fees** (10%)

Investors buy common stock of Fernwood Cider Co. at $2.50 a share. Our reviewed financial
statements for 2025 are in the documents of this offering.
""",
    risks="Investing in a small private company is risky: you can lose all the money you "
          "invest, and its shares are hard to sell. A poor harvest or a late press house "
          "would cut a year's output; we insure the crop and keep a season of cider in the "
          "cellar. We report to investors twice a year.",
    budget=(("Second press house", 55), ("Bottling line", 35),
            ("Platform and payment fees", 10)))


#: The offering's FAQ (the campaign page's section under the story).
FERNWOOD_FAQ = (
    ("Do investors get cider?", "Yes: every investor is invited to the **spring tasting**, "
     "and holders of 400 shares or more get a case each autumn."),
    ("Can I sell my shares?", "Not easily: there is no market for them. Invest only money "
     "you can leave in the company for years (see *Risks and challenges*)."),
)


def _offering(operator: User) -> Campaign:
    from crowdfund.equity import services as equity
    from crowdfund.equity.models import AllocationPolicy, DocumentKind, SecurityType

    owner = founder(operator, "marta@example.com", "Marta Kowalska",
                    "Cider maker; third generation on the farm.", "Hood River, Oregon, USA")
    campaign = _draft(owner, FERNWOOD, kind=CampaignKind.EQUITY)
    equity.save_terms(campaign, owner, equity.OfferingInput(
        issuer_legal_name="Fernwood Cider Co.", issuer_jurisdiction="US",
        incorporated_on=date(2019, 3, 1), security=SecurityType.COMMON_STOCK,
        maximum=_usd("120000"), minimum_investment=_usd("100"),
        allocation=AllocationPolicy.FIRST_COME,
        use_of_proceeds_md="- Second press house: 55%\n- Bottling line: 35%\n"
                           "- Platform and payment fees: 10%",
        price_per_share=_usd("2.50"), pre_money_valuation=_usd("1800000")))
    path, size = save_pdf(_pdf("Fernwood Cider Co. - financial statements 2025"), "documents",
                          max_bytes=current_app.config["DOCUMENT_MAX_BYTES"])
    equity.add_document(campaign, owner, DocumentKind.FINANCIAL_STATEMENTS,
                        "Financial statements 2025 (reviewed)", path, size)
    _go_live(campaign, owner, operator, utcnow() - timedelta(days=8, hours=3))
    for question, answer in FERNWOOD_FAQ:  # written after launch, as investors asked
        faq.add_entry(campaign, owner, question, answer)
    gw = sandbox()
    if gw is not None:
        for n, amount in enumerate(["500", "1250"]):
            _invest(campaign, gw, n, amount)
    return campaign


def _invest(campaign: Campaign, gw, n: int, amount: str) -> None:
    from crowdfund.equity import investing, investors

    person = _person(f"demo.investor{n}@example.com", OTHERS_PASSWORD,
                                    ["Grace Hopper", "Karl Berg"][n])
    db.session.flush()
    investors.save_profile(person, investors.ProfileInput("US", Decimal(85_000),
                                                          Decimal(120_000), False, Decimal(0)))
    investors.acknowledge(person, {name: right for name, _q, right in investors.QUIZ}, True)
    pledge = investing.start_investment(person, campaign, _usd(amount))
    db.session.flush()
    save_card(pledge, person, gw)


# --- a funded campaign and a failed one (deadline passed; settled after the commit) -----


LANTERNS = DemoCampaign(
    "Paper Lanterns: a workshop kit for kids", "crafts", "USD", "2000", 30,
    ((150, 60, 20), (250, 200, 90)),
    [("Printable patterns", "8", None, False), ("Lantern kit", "30", 300, True)],
    "Fold, light and fly: a lantern-making kit for classrooms and kitchen tables.",
    "Twelve patterns, rice paper, bamboo ribs and LED tea lights: everything a group of "
    "children needs for an afternoon.")

EMBER = DemoCampaign(
    "Ember: a solar camp stove", "technology", "USD", "30000", 21,
    ((90, 20, 20), (240, 120, 40)), [("Ember stove", "180", 400, True)],
    "Cook with sunlight at camp: a folding parabolic stove that fits a backpack.",
    "A 60 cm folding mirror that boils a litre of water in twelve minutes of sun.")


def _funded(operator: User) -> int:
    owner = founder(operator, "lucia@example.com", "Lucía Fernández",
                    "Teacher turned toy maker.", "Madrid, Spain")
    campaign = _ended_with(owner, operator, LANTERNS, ended_days_ago=12, backing=[
        (1, "45", "US"), (1, "50", "PT"), (0, "8", None), (1, "1200", "US"), (1, "900", "US")])
    return campaign.id


def _failed(operator: User) -> int:
    owner = founder(operator, "jonas.ember@example.com", "Jonas Lind",
                    "Mechanical engineer and camper.", "Gothenburg, Sweden")
    campaign = _ended_with(owner, operator, EMBER, ended_days_ago=4,
                           backing=[(0, "195", "SE"), (0, "400", "NO")])
    return campaign.id


def _ended_with(owner: User, operator: User, spec: DemoCampaign, *, ended_days_ago: int,
                backing: list[tuple[int, str, str | None]]) -> Campaign:
    """A campaign backed while it ran, whose deadline passed ``ended_days_ago`` days ago."""
    from crowdfund.pledges import services as pledges

    campaign = _draft(owner, spec)
    _go_live(campaign, owner, operator, utcnow() - timedelta(days=1))
    gw = sandbox()
    made = []
    for n, (tier_index, amount, destination) in enumerate(backing):
        backer = _person(f"demo.{campaign.slug[:12]}{n}@example.com",
                                        OTHERS_PASSWORD, f"Backer {n + 1}")
        db.session.flush()
        pledge = pledges.start_pledge(backer, campaign, campaign.tiers[tier_index],
                                      _usd(amount), destination)
        db.session.flush()
        save_card(pledge, backer, gw)
        made.append(pledge)
    # Moved back in time: it ran for its length and ended days ago.
    campaign.launched_at -= timedelta(days=spec.days + ended_days_ago - 1)
    campaign.deadline = campaign.launched_at + timedelta(days=spec.days)
    for n, pledge in enumerate(made):
        pledge.created_at = campaign.launched_at + timedelta(days=n * spec.days // len(made),
                                                             hours=5)
    return campaign


def _news(campaign: Campaign) -> None:
    """What a funded founder posts: updates and how each reward's delivery is going."""
    from crowdfund.community import delivery, updates
    from crowdfund.community.models import DeliveryStatus

    owner = campaign.founder
    updates.post_update(campaign, owner, "We did it: funded!",
                        "Thank you, all of you. Cards were charged at the deadline; paper and "
                        "bamboo are ordered, and the first patterns are in your inbox.",
                        "public")
    updates.post_update(campaign, owner, "Kits are being packed",
                        "The first 200 kits are assembled and boxed. Photos of the packing "
                        "table inside, and the tracking numbers go out by email.", "backers")
    patterns, kit = campaign.tiers
    delivery.report_delivery(campaign, owner, patterns.id, DeliveryStatus.DELIVERED.value,
                             None, "Sent by email to every backer.")
    delivery.report_delivery(campaign, owner, kit.id, DeliveryStatus.SHIPPING.value, None,
                             "Half of the kits are on their way; the rest leave next week.")


# --- helpers ----------------------------------------------------------------------------


def _usd(major: str) -> Money:
    return Money.from_decimal(major, "USD")


def _pdf(title: str) -> FileStorage:
    """A one-page PDF (enough for the demo's document list and download)."""
    text = title.replace("(", "").replace(")", "")
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % n + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objects) + 1, xref))
    out.seek(0)
    return FileStorage(stream=out, filename="statements.pdf", content_type="application/pdf")
