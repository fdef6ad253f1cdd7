"""``flask demo seed``: a small demo for ``make run``, only into an empty database."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta

import click
import sqlalchemy as sa
from flask import Blueprint, current_app
from PIL import Image, ImageDraw
from werkzeug.datastructures import FileStorage

from crowdfund.auth import services as accounts
from crowdfund.auth.models import User, VerificationStatus
from crowdfund.campaigns import rewards
from crowdfund.campaigns import services as campaigns
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignKind
from crowdfund.db import utcnow
from crowdfund.demo import runs, story
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

{pitch}

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


@dataclass(frozen=True)
class DemoCampaign:
    title: str
    category: str
    currency: str
    goal: str
    days: int
    colours: tuple
    tiers: list
    blurb: str
    pitch: str
    #: The story and risks (Markdown; ``{title}`` and ``{pitch}`` filled in) and the budget
    #: as (label, % of the goal); None: a reward campaign's (:data:`STORY`, ...).
    story: str | None = None
    risks: str | None = None
    budget: tuple[tuple[str, int], ...] | None = None


#: A reward campaign's budget: (label, % of the goal).
BUDGET = (("Production run", 60), ("Shipping and fulfilment", 25),
          ("Platform and payment fees", 10))

CAMPAIGNS = [
    # campaign, launched days ago, its founder (None: the demo founder account)
    (DemoCampaign(
        "Tidewater: a field recorder for rivers", "technology", "USD", "25000", 30,
        ((20, 60, 110), (40, 150, 170)),
        [("Early field kit", "15", 50, True), ("Recorder", "149", None, True),
         ("Thank-you postcard", "5", None, False)],
        "A rugged, solar-charged recorder that listens to a river for a whole season.",
        "Hydrologists and sound artists asked for the same thing: a recorder that sits on a "
        "riverbank for months, survives floods and tells you when the water changes."),
     3, None),
    (DemoCampaign(
        "The Salt Road — a graphic novel", "comics", "EUR", "8000", 21,
        ((120, 40, 40), (230, 140, 60)),
        [("Digital edition", "12", None, False), ("Signed hardcover", "40", 200, True)],
        "Two sisters, a caravan of salt and the last winter before the railway came.",
        "240 hand-inked pages about the salt caravans of the Sahel, drawn over four years "
        "from interviews with the last people who walked them."),
     19, ("jonas@example.com", "Jonas Weber", "Illustrator. Berlin.", "Berlin, Germany")),
    (DemoCampaign(
        "Kitchen Garden Almanac", "publishing", "GBP", "6000", 45,
        ((40, 90, 40), (150, 200, 90)),
        [("Paperback", "18", None, True), ("Almanac + seed pack", "35", 120, True)],
        "Twelve months of sowing, growing and cooking from a small urban plot.",
        "A month-by-month guide for people with a balcony or a shared allotment, with "
        "recipes for whatever comes up at once."),
     10, ("priya@example.com", "Priya Raman", "Grower and food writer.", "Bristol, UK")),
    (DemoCampaign(
        "Night Ferry — a board game for two", "games", "USD", "15000", 40,
        ((30, 30, 70), (120, 80, 170)),
        [("Print and play", "10", None, False), ("Boxed game", "45", 500, True)],
        "A 30-minute duel of smugglers and harbour masters on the last ferry of the night.",
        "Two players, one deck of 54 cards and a folding harbour board; tested in 40 cafés "
        "and a dozen game nights."),
     1, ("kenji@example.com", "Kenji Sato", "Game designer.", "Osaka, Japan")),
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


#: The password of the demo's other founders and investors (not printed: the three
#: accounts above are the way in; these make the demo look like a platform).
OTHERS_PASSWORD = "demo-people-pass"  # noqa: S105 (a demo password, by design)


def seed() -> tuple[list[DemoAccount], list[int]]:
    """Create the demo accounts and campaigns (the caller commits, then settles the
    campaigns whose ids come back: :func:`crowdfund.demo.scenes.after_commit`)."""
    from crowdfund.demo import scenes

    users = {}
    for account in ACCOUNTS:
        users[account.role] = _person(account.email, account.password,
                                                     account.name)
    db.session.flush()
    operator = users["operator"]
    operator.is_operator = True
    _operator_two_factor(operator)
    founder = users["founder"]
    founder.bio = "Product designer and sound nerd from Lagos, now in Lisbon."
    founder.location = "Lisbon, Portugal"
    accounts.set_verification(founder, operator, status=VerificationStatus.VERIFIED,
                              legal_name="Ada N. Okafor", note="Passport checked on video call")
    now = utcnow()
    campaign_rows = []
    for spec, ago, person in CAMPAIGNS:
        owner = scenes.founder(operator, *person) if person else founder
        campaign = _draft(owner, spec)
        _go_live(campaign, owner, operator, now - timedelta(days=ago, hours=2))
        campaign_rows.append(campaign)
    campaigns.set_staff_pick(campaign_rows[1], operator, True)
    _seed_pledges(campaign_rows, founder)
    _seed_ended(founder, operator, users["backer"])
    to_settle = scenes.seed(operator)
    waiting = _draft(founder, DemoCampaign(
        "Loom & Larch: small-batch wool blankets", "crafts", "USD", "12000", 30,
        ((90, 70, 50), (200, 170, 120)), [("Blanket", "120", 80, True)],
        "Blankets woven from the wool of one valley's sheep, on a 1950s loom.",
        "Every blanket is woven, washed and finished by hand in our barn."))
    campaigns.submit(waiting, founder)
    _draft(founder, DemoCampaign("Untitled documentary (draft)", "film", "USD", "40000", 30,
                                 ((50, 50, 50), (110, 110, 110)), [], "", ""))
    story.in_story_order(operator)
    return list(ACCOUNTS), to_settle


#: The demo operator's authenticator key and recovery codes (operators need two-factor
#: sign-in): printed once, by the seed that made them.
DEMO_TWO_FACTOR: dict[str, object] = {}


def _operator_two_factor(operator: User) -> None:
    from crowdfund.auth import two_factor

    row = two_factor.begin_setup(operator)
    seed, _qr = two_factor.setup_details(operator)
    row.confirmed_at = utcnow()
    DEMO_TWO_FACTOR.update(seed=seed, codes=two_factor.new_recovery_codes(operator))


def _person(email: str, password: str, name: str) -> User:
    """A demo account whose address is confirmed (as if its owner opened the link)."""
    user = accounts.register_user(email, password, name)
    user.email_verified_at = utcnow()
    return user


def _go_live(campaign: Campaign, founder: User, operator: User, at) -> None:
    campaigns.submit(campaign, founder)
    campaigns.approve(campaign, operator, "Demo")
    campaigns.launch(campaign, founder, now=at)


def _draft(founder: User, spec: DemoCampaign, kind: CampaignKind = CampaignKind.REWARD):
    campaign = campaigns.create_campaign(
        founder, title=spec.title, kind=kind, category=spec.category,
        goal=Money.from_decimal(spec.goal, spec.currency), duration_days=spec.days,
    )
    db.session.flush()
    campaigns.update_campaign(campaign, founder, campaigns.Story(
        title=spec.title, blurb=spec.blurb, category=spec.category,
        risks_md=spec.risks or RISKS,
        description_md=(spec.story or STORY).format(title=spec.title, pitch=spec.pitch),
    ))
    cover = save_image(_cover(*spec.colours, spec.title), "covers",
                       max_bytes=8 * 1024 * 1024, max_size=(1600, 900))
    campaigns.set_cover(campaign, founder, cover)
    goal = campaign.goal.amount
    for label, share in spec.budget or BUDGET:
        rewards.add_budget_line(campaign, founder, label,
                                Money(goal * share // 100, spec.currency))
    for tier_title, minimum, limit, ships in spec.tiers:
        rewards.add_tier(campaign, founder, _tier(spec.currency, tier_title, minimum, limit,
                                                  ships))
    db.session.flush()
    return campaign


#: (campaign index, tier index or None, amount typed with shipping, destination)
DEMO_PLEDGES = [
    (0, 1, "157", "US"), (0, 0, "40", "FR"), (0, 2, "5", None), (0, None, "250", None),
    (1, None, "1400", None), (1, 1, "48", "US"), (1, None, "2500", None), (1, None, "2200", None),
    (1, 0, "12", None), (1, None, "1900", None), (2, 1, "50", "DE"), (2, 0, "26", "US"),
    (3, 1, "53", "US"),
]


def sandbox():
    """The local sandbox gateway, or None with real Stripe keys (then: no made-up money)."""
    from crowdfund.payments import gateway

    gw = gateway()
    return gw if gw.api_base else None


def save_card(pledge, person: User, gw, number: str = "4242424242424242") -> None:
    """The pledge's card typed into the sandbox's card form, as a browser would, and
    confirmed: the pledge is active."""
    from crowdfund.payments.sandbox_client import confirm_setup_as_browser
    from crowdfund.pledges import services as pledges

    intent = pledges.ensure_setup_intent(pledge, person, gw)
    confirm_setup_as_browser(gw.api_base, intent.client_secret, number,
                             publishable_key=gw.publishable_key)
    pledges.confirm_card(pledge, gw, actor=person)


def _seed_pledges(rows, founder: User) -> int:
    """Active pledges made the real way through the local sandbox (skipped with real keys)."""
    from crowdfund.pledges import services as pledges

    gw = sandbox()
    if gw is None:
        return 0
    backers = [_person(f"demo.backer{n}@example.com", OTHERS_PASSWORD,
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
        save_card(pledge, backer, gw)
        # Spread over the time since launch (never later than now), so that the funding
        # chart has a shape.
        pledge.created_at = campaign.launched_at + (
            (utcnow() - campaign.launched_at) * ((n * 7) % 10 + 1) / 11)
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
    from crowdfund.pledges import services as pledges

    gw = sandbox()
    if gw is None:
        return
    campaign = _draft(founder, DemoCampaign(
        "Harbour Lights: a pocket tide clock", "design", "USD", "150", 7,
        ((20, 60, 110), (120, 190, 220)), [("Tide clock", "45", 100, False)],
        "A brass tide clock the size of a watch, set once for your harbour.",
        "Set it to your harbour once and it shows high and low water for years."))
    _go_live(campaign, founder, operator, utcnow() - timedelta(days=6, hours=23))
    cards = [(backer, "4000000000000341", "60")]  # declines when charged
    cards += [(_person(f"demo.tide{n}@example.com", OTHERS_PASSWORD, name),
               "4242424242424242", amount)
              for n, (name, amount) in enumerate([("Ola Nordmann", "75"), ("Ana Silva", "50")])]
    db.session.flush()
    for person, number, amount in cards:
        pledge = pledges.start_pledge(person, campaign, campaign.tiers[0],
                                      Money.from_decimal(amount, "USD"), None)
        db.session.flush()
        save_card(pledge, person, gw, number)
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
            click.echo(f"The operator's two-factor key was printed by the first run; "
                       f"{runs.KEY_HINT}.")
            if not runs.sandbox_knows_the_cards():
                click.echo(runs.SANDBOX_FORGOT, err=True)
        return
    from crowdfund.demo import scenes

    runs.fresh_sandbox()
    created, to_settle = seed()
    db.session.commit()
    scenes.after_commit(current_app._get_current_object(), to_settle)
    click.echo("Seeded the demo: 4 live reward campaigns by 4 founders (a staff pick among "
               "them), an equity offering open to invest in (Fernwood Cider Co.), a funded "
               "campaign with updates and deliveries (Paper Lanterns), one that did not reach "
               "its goal (Ember), one just past its deadline (Harbour Lights: settled within "
               "a minute; the demo backer's card declines, see their pledges), 1 in review, "
               "1 draft.")
    print_accounts(created)
    if DEMO_TWO_FACTOR:
        click.echo("The operator signs in with two-factor: add this key to an authenticator "
                   f"app: {DEMO_TWO_FACTOR['seed']}")
        click.echo("  or use a recovery code (each works once): "
                   + ", ".join(DEMO_TWO_FACTOR["codes"][:5]))
        click.echo(f"  Later runs do not print the key: {runs.KEY_HINT}.")


@bp.cli.command("operator-key")
@click.option("--new-recovery-codes", is_flag=True, help="Make new recovery codes too.")
def operator_key_command(new_recovery_codes: bool) -> None:
    """Development only: print the demo operator's two-factor key again."""
    runs.show_operator_key(ACCOUNTS[2].email, new_codes=new_recovery_codes)
    db.session.commit()
