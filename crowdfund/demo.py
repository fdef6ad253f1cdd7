"""``flask demo seed``: a small demo for ``make run``, only into an empty database."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta

import click
import sqlalchemy as sa
from flask import Blueprint
from PIL import Image, ImageDraw
from werkzeug.datastructures import FileStorage

from crowdfund.auth import services as accounts
from crowdfund.auth.models import User, VerificationStatus
from crowdfund.campaigns import rewards
from crowdfund.campaigns import services as campaigns
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignKind
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.money import Money
from crowdfund.uploads import save_image

bp = Blueprint("demo", __name__, cli_group="demo")


@dataclass(frozen=True)
class DemoAccount:
    role: str
    email: str
    password: str
    name: str


ACCOUNTS = (
    DemoAccount("founder", "founder@example.com", "founder-demo-pass", "Ada Okafor"),
    DemoAccount("backer", "backer@example.com", "backer-demo-pass", "Ben Lindqvist"),
    DemoAccount("operator", "operator@example.com", "operator-demo-pass", "Olga Operator"),
)

STORY = """## What we are making

{title} is the project we have been prototyping for two years. This campaign pays for
the first production run, and every backer gets theirs before it reaches shops.

- Designed and tested with our community
- Made by a small workshop we visited ourselves
- Shipped in plastic-free packaging

## Why now

Our prototypes are done and the factory slot is booked: with your help, we start in
spring.
"""

RISKS = ("Manufacturing can slip by a month or two; we have a buffer in the schedule and "
         "will post an update every two weeks, good news or bad.")


def _cover(colour_a: tuple, colour_b: tuple, label: str) -> FileStorage:
    width, height = 1280, 720
    image = Image.new("RGB", (width, height), colour_a)
    draw = ImageDraw.Draw(image)
    for y in range(height):
        t = y / height
        draw.line([(0, y), (width, y)], fill=tuple(int(a + (b - a) * t)
                                                   for a, b in zip(colour_a, colour_b,
                                                                   strict=True)))
    draw.ellipse([width * 0.6, height * 0.2, width * 0.9, height * 0.75],
                 fill=tuple(min(c + 40, 255) for c in colour_b))
    draw.text((60, height - 120), label, fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    buffer.seek(0)
    return FileStorage(stream=buffer, filename="cover.png", content_type="image/png")


CAMPAIGNS = [
    # title, category, currency, goal, days, launched days ago, colours, tiers
    ("Tidewater: a field recorder for rivers", "technology", "USD", "25000", 30, 3,
     ((20, 60, 110), (40, 150, 170)),
     [("Early field kit", "15", 50, True), ("Recorder", "149", None, True),
      ("Thank-you postcard", "5", None, False)]),
    ("The Salt Road — a graphic novel", "comics", "EUR", "8000", 21, 19,
     ((120, 40, 40), (230, 140, 60)),
     [("Digital edition", "12", None, False), ("Signed hardcover", "40", 200, True)]),
    ("Kitchen Garden Almanac", "publishing", "GBP", "6000", 45, 10,
     ((40, 90, 40), (150, 200, 90)),
     [("Paperback", "18", None, True), ("Almanac + seed pack", "35", 120, True)]),
    ("Night Ferry — a board game for two", "games", "USD", "15000", 40, 1,
     ((30, 30, 70), (120, 80, 170)),
     [("Print and play", "10", None, False), ("Boxed game", "45", 500, True)]),
]


def _tier(currency: str, title: str, minimum: str, limit: int | None,
          ships: bool) -> rewards.TierInput:
    delivery = (date.today() + timedelta(days=120)).replace(day=1)
    shipping = []
    if ships:
        shipping = [("US", Money.from_decimal("8", currency)),
                    ("ROW", Money.from_decimal("15", currency))]
    return rewards.TierInput(
        title=title, description=f"{title}, with our thanks.",
        minimum=Money.from_decimal(minimum, currency), quantity_limit=limit,
        estimated_delivery=delivery, ships=ships, shipping=shipping,
    )


def seed() -> list[DemoAccount]:
    """Create the demo accounts and campaigns (the caller commits)."""
    users = {}
    for account in ACCOUNTS:
        users[account.role] = accounts.register_user(account.email, account.password,
                                                     account.name)
    db.session.flush()
    operator = users["operator"]
    operator.is_operator = True
    founder = users["founder"]
    founder.bio = "Product designer and sound nerd from Lagos, now in Lisbon."
    founder.location = "Lisbon, Portugal"
    accounts.set_verification(founder, operator, status=VerificationStatus.VERIFIED,
                              legal_name="Ada N. Okafor", note="Passport checked on video call")
    now = utcnow()
    campaign_rows = []
    for (title, category, currency, goal, days, ago, colours, tiers) in CAMPAIGNS:
        campaign = _draft(founder, title, category, currency, goal, days, colours, tiers)
        campaigns.submit(campaign, founder)
        campaigns.approve(campaign, operator, "Demo")
        campaigns.launch(campaign, founder, now=now - timedelta(days=ago, hours=2))
        campaign_rows.append(campaign)
    _seed_pledges(campaign_rows, founder)
    _seed_ended(founder, operator, users["backer"])
    waiting = _draft(founder, "Loom & Larch: small-batch wool blankets", "crafts", "USD", "12000",
                     30, ((90, 70, 50), (200, 170, 120)), [("Blanket", "120", 80, True)])
    campaigns.submit(waiting, founder)
    _draft(founder, "Untitled documentary (draft)", "film", "USD", "40000", 30,
           ((50, 50, 50), (110, 110, 110)), [])
    return list(ACCOUNTS)


def _draft(founder: User, title, category, currency, goal, days, colours, tiers):
    campaign = campaigns.create_campaign(
        founder, title=title, kind=CampaignKind.REWARD, category=category,
        goal=Money.from_decimal(goal, currency), duration_days=days,
    )
    db.session.flush()
    campaigns.update_campaign(campaign, founder, campaigns.Story(
        title=title,
        blurb=f"{title.split(':')[0].split(' — ')[0]}: made with care, funded by people "
              "who want it to exist.",
        category=category, description_md=STORY.format(title=title), risks_md=RISKS,
    ))
    cover = save_image(_cover(*colours, title), "covers", max_bytes=8 * 1024 * 1024,
                       max_size=(1600, 900))
    campaigns.set_cover(campaign, founder, cover)
    goal_money = campaign.goal
    rewards.add_budget_line(campaign, founder, "Production run",
                              Money(goal_money.amount * 60 // 100, currency))
    rewards.add_budget_line(campaign, founder, "Shipping and fulfilment",
                              Money(goal_money.amount * 25 // 100, currency))
    rewards.add_budget_line(campaign, founder, "Platform and payment fees",
                              Money(goal_money.amount * 10 // 100, currency))
    for tier_title, minimum, limit, ships in tiers:
        rewards.add_tier(campaign, founder, _tier(currency, tier_title, minimum, limit, ships))
    db.session.flush()
    return campaign


#: (campaign index, tier index or None, amount typed with shipping, destination)
DEMO_PLEDGES = [
    (0, 1, "157", "US"), (0, 0, "40", "FR"), (0, 2, "5", None), (0, None, "250", None),
    (1, None, "1400", None), (1, 1, "48", "US"), (1, None, "2500", None), (1, None, "2200", None),
    (1, 0, "12", None), (1, None, "1900", None), (2, 1, "50", "DE"), (2, 0, "26", "US"),
    (3, 1, "53", "US"),
]


def _seed_pledges(rows, founder: User) -> int:
    """Active pledges made the real way through the local sandbox (skipped with real keys)."""
    from crowdfund.payments import gateway
    from crowdfund.payments.sandbox import confirm_setup_as_browser
    from crowdfund.pledges import services as pledges

    gw = gateway()
    if not gw.api_base:
        return 0  # real Stripe keys: no made-up pledges
    backers = [accounts.register_user(f"demo.backer{n}@example.com", f"demo-backer-{n}-pass",
                                      name) for n, name in enumerate(
        ["Mira Chen", "Tomás Díaz", "Ines Kovač", "Joe Park", "Léa Martin", "Sam Osei"])]
    db.session.flush()
    refs = ["newsletter", None, "podcast", None]
    for n, (index, tier_index, amount, destination) in enumerate(DEMO_PLEDGES):
        campaign = rows[index]
        tier = campaign.tiers[tier_index] if tier_index is not None else None
        backer = backers[n % len(backers)]
        pledge = pledges.start_pledge(backer, campaign, tier,
                                      Money.from_decimal(amount, campaign.currency), destination,
                                      ref=refs[n % len(refs)])
        db.session.flush()
        intent = pledges.ensure_setup_intent(pledge, backer, gw)
        confirm_setup_as_browser(gw.api_base, intent.client_secret, "4242424242424242",
                                 publishable_key=gw.publishable_key)
        pledges.confirm_card(pledge, gw, actor=backer)
        # Spread over the days since launch, so that the funding chart has a shape.
        days = max(0, (utcnow() - campaign.launched_at).days)
        pledge.created_at = campaign.launched_at + timedelta(days=(n * 3) % (days + 1), hours=3)
    _seed_conversation(rows[0], founder, backers)
    return len(DEMO_PLEDGES)


def _seed_conversation(campaign: Campaign, founder: User, backers: list[User]) -> None:
    """A question answered by the founder, a comment, and a follower."""
    from crowdfund.community import comments, following

    question = comments.post_comment(
        campaign, backers[0], "Does the case come in other colours than the ones shown?",
        kind="question")
    comments.post_comment(campaign, founder, "Two more are planned: sand and slate. Backers "
                          "will vote on them in an update.", parent_id=question.id)
    comments.post_comment(campaign, backers[1], "Backed! The prototype video sold me.")
    following.follow_campaign(backers[2], campaign)


def _seed_ended(founder: User, operator: User, backer: User) -> None:
    """A campaign whose deadline has just passed, over its goal: the settle loop of
    ``make run`` charges it within a minute. The demo backer's card declines at charge
    time, so they get the "fix your payment" email (outbox) and page."""
    from crowdfund.payments import gateway
    from crowdfund.payments.sandbox import confirm_setup_as_browser
    from crowdfund.pledges import services as pledges

    gw = gateway()
    if not gw.api_base:
        return  # real Stripe keys: no made-up pledges
    campaign = _draft(founder, "Harbour Lights: a pocket tide clock", "design", "USD", "150", 7,
                      ((20, 60, 110), (120, 190, 220)), [("Tide clock", "45", 100, False)])
    campaigns.submit(campaign, founder)
    campaigns.approve(campaign, operator, "Demo")
    campaigns.launch(campaign, founder, now=utcnow() - timedelta(days=6, hours=23))
    cards = [(backer, "4000000000000341", "60")]  # declines when charged
    cards += [(accounts.register_user(f"demo.tide{n}@example.com", f"demo-tide-{n}-pass", name),
               "4242424242424242", amount)
              for n, (name, amount) in enumerate([("Ola Nordmann", "75"), ("Ana Silva", "50")])]
    db.session.flush()
    for person, number, amount in cards:
        pledge = pledges.start_pledge(person, campaign, campaign.tiers[0],
                                      Money.from_decimal(amount, "USD"), None)
        db.session.flush()
        intent = pledges.ensure_setup_intent(pledge, person, gw)
        confirm_setup_as_browser(gw.api_base, intent.client_secret, number,
                                 publishable_key=gw.publishable_key)
        pledges.confirm_card(pledge, gw, actor=person)
    campaign.deadline = utcnow() - timedelta(minutes=1)  # the demo's deadline has passed


def print_accounts(accounts_: list[DemoAccount] | tuple[DemoAccount, ...]) -> None:
    click.echo("Demo accounts (email / password):")
    for account in accounts_:
        click.echo(f"  {account.role:<9} {account.email:<24} {account.password}")


@bp.cli.command("seed")
def seed_command() -> None:
    """Seed the demo into an empty database; otherwise leave it alone."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(User)):
        demo = db.session.scalar(sa.select(User.id).where(User.email == ACCOUNTS[0].email))
        click.echo("The database already has accounts; not seeding.")
        if demo is not None:
            print_accounts(ACCOUNTS)
        return
    created = seed()
    db.session.commit()
    click.echo("Seeded the demo: 4 live campaigns (with pledges when the sandbox is in use), "
               "1 just past its deadline (settled within a minute; the demo backer's card "
               "declines, see their pledges), 1 in review, 1 draft.")
    print_accounts(created)
