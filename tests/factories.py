"""Builders for test data, written straight to the database (no HTTP, no services), and
the few built through services that many test modules share (a live offering, an
investor with a profile)."""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import threading
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from alembic.script import ScriptDirectory

from crowdfund.auth import passwords
from crowdfund.auth.models import IdentityVerification, User, VerificationStatus
from crowdfund.campaigns.add_on_models import AddOn, AddOnShippingRate
from crowdfund.campaigns.models import BudgetLine, Campaign, RewardTier, ShippingRate
from crowdfund.campaigns.states import CampaignKind, CampaignStatus, FundingModel
from crowdfund.db import utcnow
from crowdfund.equity import highrisk, investors, protections
from crowdfund.equity.models import (
    AllocationPolicy,
    DocumentKind,
    InvestorCategory,
    OfferingDocument,
    SecurityType,
)
from crowdfund.equity.services import OfferingInput, save_terms
from crowdfund.errors import DomainError
from crowdfund.extensions import db, migrate
from crowdfund.fulfilment.surveys import open_survey
from crowdfund.money import Money
from crowdfund.pledges.models import Pledge, PledgeStatus
from crowdfund.settlement.runner import Settler

PASSWORD = "correct horse battery"
_seq = itertools.count(1)


def make_user(email: str | None = None, *, name: str | None = None, operator: bool = False,
              verified: bool = False, password: str = PASSWORD,
              email_confirmed: bool = True) -> User:
    """A person; ``verified``: their identity checked (founders); ``email_confirmed``:
    their address confirmed (what backing, commenting and submitting need)."""
    n = next(_seq)
    user = User(
        email=email or f"user{n}@example.com",
        password_hash=passwords.hash_password(password),
        display_name=name or f"User {n}",
        is_operator=operator,
        email_verified_at=utcnow() if email_confirmed else None,
    )
    db.session.add(user)
    if verified:
        db.session.add(IdentityVerification(user=user, status=VerificationStatus.VERIFIED,
                                            legal_name=user.display_name))
    db.session.flush()
    return user


def make_campaign(founder: User | None = None, *, status: CampaignStatus = CampaignStatus.DRAFT,
                  title: str | None = None, goal_minor: int = 100_000, currency: str = "USD",
                  category: str = "technology", kind: CampaignKind = CampaignKind.REWARD,
                  ready: bool = True, tiers: int = 1, days_left: int = 20,
                  blurb: str | None = None,
                  funding_model: FundingModel = FundingModel.ALL_OR_NOTHING) -> Campaign:
    """A campaign in ``status``; ``ready`` fills in what review needs."""
    n = next(_seq)
    founder = founder or make_user()
    campaign = Campaign(
        founder=founder, slug=f"campaign-{n}", title=title or f"Campaign {n}",
        blurb=blurb if blurb is not None else f"Blurb of campaign {n}", category=category,
        kind=kind, status=status, goal_minor=goal_minor, currency=currency, duration_days=30,
        funding_model=funding_model,
    )
    if ready:
        campaign.cover_path = "covers/test.png"
        campaign.description_md = "A long enough story about what we are making. " * 3
        campaign.risks_md = "Things may go wrong; we will tell you."
        campaign.budget_lines.append(BudgetLine(label="Making it", amount_minor=goal_minor // 2))
        for i in range(tiers):
            campaign.tiers.append(RewardTier(title=f"Tier {i + 1}", minimum_minor=1000 * (i + 1),
                                             position=i))
    if status in {CampaignStatus.LIVE, CampaignStatus.FUNDED, CampaignStatus.FAILED,
                  CampaignStatus.CANCELLED, CampaignStatus.SUSPENDED,
                  CampaignStatus.COLLECTING, CampaignStatus.SETTLED}:
        campaign.launched_at = utcnow() - timedelta(days=30 - days_left)
        campaign.deadline = utcnow() + timedelta(days=days_left)
    if status is CampaignStatus.SUBMITTED:
        campaign.submitted_at = utcnow()
    db.session.add(campaign)
    db.session.flush()
    return campaign


def story_form(campaign: Campaign, **changes) -> dict[str, str]:
    """The studio's edit form of ``campaign`` filled in as a founder would, with ``changes``."""
    data = {"title": campaign.title, "blurb": "Short", "category": "design", "slug": campaign.slug,
            "currency": "USD", "goal": "1000", "duration_days": "30", "scheduled_launch_at": "",
            "description_md": "Story " * 20, "risks_md": "Risky business, handled."}
    return {**data, **changes}


def make_tier(campaign: Campaign, *, minimum_minor: int = 2500, limit: int | None = None,
              claimed: int = 0, ships: bool = False) -> RewardTier:
    tier = RewardTier(campaign=campaign, title="Limited", minimum_minor=minimum_minor,
                      quantity_limit=limit, claimed=claimed, ships=ships)
    if ships:
        tier.shipping_rates.append(ShippingRate(destination="ROW", fee_minor=1500))
    db.session.add(tier)
    db.session.flush()
    return tier


def make_add_on(campaign: Campaign, *, name: str = "Enamel pin", price_minor: int = 500,
                limit: int | None = None, rates: dict[str, int] | None = None,
                tiers: list[RewardTier] | None = None) -> AddOn:
    """An add-on of ``campaign``: shipping ``rates`` ({destination: fee per unit}) when it
    ships, offered with ``tiers`` only when given (else with every tier)."""
    add_on = AddOn(campaign=campaign, name=name, price_minor=price_minor, quantity_limit=limit,
                   ships=bool(rates), all_tiers=tiers is None, tiers=list(tiers or []),
                   shipping_rates=[AddOnShippingRate(destination=d, fee_minor=f)
                                   for d, f in (rates or {}).items()])
    db.session.add(add_on)
    db.session.flush()
    return add_on


def make_pledge(campaign: Campaign, backer: User | None = None, *, amount_minor: int = 5000,
                status: PledgeStatus = PledgeStatus.ACTIVE,
                tier: RewardTier | None = None) -> Pledge:
    pledge = Pledge(campaign_id=campaign.id, backer=backer or make_user(), tier_id=tier and tier.id,
                    status=status, amount_minor=amount_minor, currency=campaign.currency)
    db.session.add(pledge)
    db.session.flush()
    return pledge


class AuthActions:
    """Sign in and out through the real pages."""

    def __init__(self, client) -> None:
        self.client = client

    def login(self, email: str, password: str = PASSWORD, **extra):
        return self.client.post("/login", data={"email": email, "password": password, **extra})

    def login_as(self, user: User):
        response = self.login(user.email)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    def logout(self):
        return self.client.post("/logout")


class SettlerInTest(Settler):
    """The settler, called from a test that has its own session open: end the test's
    transaction first (on SQLite an open one holds the write lock the settler needs)."""

    def __getattribute__(self, name):
        attribute = super().__getattribute__(name)
        if name in {"settle", "settle_due", "retry", "process_recovery", "process_refunds",
                    "refund", "charge_late", "read_back_late", "process_late",
                    "send_transfers"}:
            def committed_first(*args, **kwargs):
                db.session.commit()
                return attribute(*args, **kwargs)

            return committed_first
        return attribute


def free_port() -> int:
    """A TCP port nobody listens on right now (for servers the tests start)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def count_queries(app):
    """The SQL statements the app's engine runs inside the block (a list, filled as they
    run): for tests that a page's queries do not grow with its data."""
    import sqlalchemy as sa

    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


# --- equity ------------------------------------------------------------------------------


def _usd(major) -> Money:
    return Money.from_decimal(str(major), "USD")


def _eur(major) -> Money:
    return Money.from_decimal(str(major), "EUR")


#: The right answer to each question of the investor education quiz.
QUIZ_ANSWERS = {name: right for name, _question, right in investors.QUIZ}


def live_offering(security=SecurityType.COMMON_STOCK, price="1.30", minimum="100"):
    campaign = make_campaign(kind=CampaignKind.EQUITY, goal_minor=50_000_00, tiers=0)
    stock = security.is_stock
    save_terms(campaign, campaign.founder, OfferingInput(
        issuer_legal_name="Tidewater Instruments Inc.", issuer_jurisdiction="US",
        incorporated_on=date(2020, 1, 1), security=security, maximum=_usd(100_000),
        minimum_investment=_usd(minimum), allocation=AllocationPolicy.FIRST_COME,
        use_of_proceeds_md="Tooling and the first production run.",
        price_per_share=_usd(price) if stock else None,
        pre_money_valuation=_usd(2_000_000) if stock else None,
        valuation_cap=None if stock else _usd(5_000_000)))
    campaign.status = CampaignStatus.LIVE
    campaign.launched_at = utcnow() - timedelta(days=10)
    campaign.deadline = utcnow() + timedelta(days=20)
    return campaign


def eu_draft_offering(jurisdiction: str = "DE") -> Campaign:
    """A draft equity campaign in euros ready for review (terms, financial statements, a
    verified founder) of an issuer in ``jurisdiction``: in the EU, it has a KIIS."""
    founder = make_user(name="Lena Vogel", verified=True)
    campaign = make_campaign(founder, kind=CampaignKind.EQUITY, goal_minor=50_000_00,
                             currency="EUR", tiers=0)
    offering = save_terms(campaign, founder, OfferingInput(
        issuer_legal_name="Gezeiten Messtechnik GmbH", issuer_jurisdiction=jurisdiction,
        incorporated_on=date(2020, 1, 1), security=SecurityType.COMMON_STOCK,
        maximum=_eur(100_000), minimum_investment=_eur(100),
        allocation=AllocationPolicy.PRO_RATA,
        use_of_proceeds_md="Tooling and the first production run.",
        price_per_share=_eur("1.25"), pre_money_valuation=_eur(2_000_000)))
    db.session.add(OfferingDocument(offering_id=offering.id,
                                    kind=DocumentKind.FINANCIAL_STATEMENTS,
                                    title="Statements 2025", path="documents/s.pdf",
                                    size_bytes=100))
    db.session.flush()
    return campaign


#: The UK assessment's right answers (keys, as the form posts them).
ASSESSMENT_ANSWERS = {q.name: q.right for q in highrisk.QUESTIONS}


def investor(income="40000", worth="30000", educated=True, *, country="US",
             assets: str | None = None, accredited=False, uk_done: timedelta | None = None,
             category: InvestorCategory | None = None):
    """A person with an investor profile (amounts in their country's rules' currency).

    UK residents (educated) also declare a category (restricted; certified high net worth
    when ``accredited``, or ``category``) and pass the assessment, ``uk_done`` ago (two
    days: their cooling-off is over)."""
    user = make_user()
    investors.save_profile(user, investors.ProfileInput(
        country, Decimal(income), Decimal(worth), accredited, Decimal(0),
        Decimal(assets) if assets is not None else None))
    if educated:
        investors.acknowledge(user, QUIZ_ANSWERS, True)
    if educated and country == "GB":
        done = utcnow() - (uk_done if uk_done is not None else timedelta(days=2))
        chosen = category or (InvestorCategory.HIGH_NET_WORTH if accredited
                              else InvestorCategory.RESTRICTED)
        protections.categorise(user, chosen.value, True, done)
        protections.assess(user, ASSESSMENT_ANSWERS, done)
    return user


# --- backing and settling through the services (the in-process fake gateway) ------------

#: Test cards: accepted, declined when charged, asking for 3-D Secure when charged.
CARDS = {"ok": "4242424242424242", "declines": "4000000000000341", "3ds": "4000002500003155"}


def usd(major) -> Money:
    return Money.from_decimal(str(major), "USD")


def back_pledge(campaign: Campaign, gw, card: str = "ok", amount: str = "100",
                tier: RewardTier | None = None) -> Pledge:
    """A new backer's active pledge, its card (``CARDS[card]``) saved through the services."""
    from crowdfund.pledges import services as pledges

    backer = make_user()
    pledge = pledges.start_pledge(backer, campaign, tier, Money.from_decimal(amount, "USD"),
                                  None)
    intent = pledges.ensure_setup_intent(pledge, backer, gw)
    gw.confirm_setup(intent.id, CARDS[card])
    pledges.confirm_card(pledge, gw)
    return pledge


def back(campaign: Campaign, gw, card: str = "ok", amount: str = "100",
         tier: RewardTier | None = None) -> int:
    """:func:`back_pledge`, returning the pledge's id."""
    return back_pledge(campaign, gw, card, amount, tier).id


def ended(campaign: Campaign) -> None:
    """The campaign's deadline passed a minute ago."""
    campaign.deadline = utcnow() - timedelta(minutes=1)


def pledge_of(pledge_id: int) -> Pledge:
    """The pledge as the database has it now."""
    db.session.expire_all()
    return db.session.get(Pledge, pledge_id)


def refund_now(settler, pledge: Pledge, amount: Money, actor: User,
               reason: str = "Changed my mind") -> str:
    """A refund requested, committed and sent at once; the settler's outcome."""
    from crowdfund.settlement import refunds

    refund = refunds.request_refund(pledge, amount, actor, reason)
    db.session.commit()
    return settler.refund(refund.id)


def terms_of(offering, **changes_) -> OfferingInput:
    """An offering's current terms as a service input, with ``changes_`` made."""
    values = dict(issuer_legal_name=offering.issuer_legal_name,
                  issuer_jurisdiction=offering.issuer_jurisdiction,
                  incorporated_on=offering.incorporated_on, security=offering.security,
                  maximum=offering.maximum, minimum_investment=offering.minimum_investment,
                  allocation=offering.allocation, use_of_proceeds_md=offering.use_of_proceeds_md,
                  price_per_share=offering.price_per_share,
                  pre_money_valuation=offering.pre_money_valuation)
    values.update(changes_)
    return OfferingInput(**values)


# --- races (PostgreSQL) ---------------------------------------------------------------


def race(app, *actions: Callable[[], object]) -> list[str]:
    """Run ``actions`` at once, each in its own app context (session, connection), and
    commit each; "ok", the DomainError's class name, or "error: ..." for anything else."""
    barrier = threading.Barrier(len(actions))
    outcomes: list[str] = [""] * len(actions)

    def run(index: int, action: Callable[[], object]) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                action()
                db.session.commit()
                outcomes[index] = "ok"
            except DomainError as exc:
                db.session.rollback()
                outcomes[index] = type(exc).__name__
            except Exception as exc:  # noqa: BLE001 - reported by the caller's assertion
                db.session.rollback()
                outcomes[index] = f"error: {exc!r}"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not [o for o in outcomes if o.startswith("error")], outcomes
    return outcomes


# --- two-factor sign-in ------------------------------------------------------------------


def with_two_factor(user: User) -> tuple[str, list[str]]:
    """Turn on ``user``'s two-factor sign-in as if they had set it up: (the seed their app
    holds, their ten recovery codes). No code is used up doing it."""
    from crowdfund.auth import two_factor

    row = two_factor.begin_setup(user)
    seed, _qr = two_factor.setup_details(user)
    row.confirmed_at = utcnow()
    return seed, two_factor.new_recovery_codes(user)


# --- what the database holds ---------------------------------------------------------------


def every_string_containing(needles: list[str]) -> list[str]:
    """Every (table.column, value) of the whole database holding one of ``needles`` (what
    closing an account must leave none of)."""
    found = []
    for table in db.metadata.sorted_tables:
        text_columns = [c for c in table.columns
                        if isinstance(c.type, sa.String | sa.Text | sa.JSON)]
        if not text_columns:
            continue
        for row in db.session.execute(sa.select(*text_columns)):
            for column, value in zip(text_columns, row, strict=True):
                text = value if isinstance(value, str) else json.dumps(value, default=str)
                if value and any(n.lower() in text.lower() for n in needles):
                    found.append(f"{table.name}.{column.name}: {text[:80]}")
    return found


def revision_before(app, revision: str) -> str:
    """The migration ``revision`` revises (to build a database as it was before it)."""
    config = migrate.get_config(directory=app.extensions["migrate"].directory)
    return ScriptDirectory.from_config(config).get_revision(revision).down_revision


#: Words of reward campaigns that no page, email or text of an equity offering uses.
REWARD_WORDS = re.compile(r"\b(pledge[sd]?|pledging|rewards?|shipping|backers?)\b", re.I)


def reward_words_in(text: str) -> list[str]:
    """Each reward word found in ``text``, with a little of the text around it."""
    return [text[max(0, m.start() - 40):m.end() + 20].replace("\n", " ")
            for m in REWARD_WORDS.finditer(text)]


# --- the pledge manager after funding ------------------------------------------------------


def funded_reward(founder: User | None = None, *, ships: bool = True,
                  title: str | None = None) -> Campaign:
    """A reward campaign past its deadline, funded and collecting; its one reward ships
    everywhere (or not)."""
    campaign = make_campaign(founder, status=CampaignStatus.COLLECTING, days_left=-3,
                             title=title)
    tier = campaign.tiers[0]
    tier.ships = ships
    if ships:
        tier.shipping_rates.append(ShippingRate(destination="ROW", fee_minor=500))
    db.session.flush()
    return campaign


def surveyed_pledge(campaign: Campaign, backer: User | None = None, *, country: str = "US",
                    tier: RewardTier | None = None,
                    status: PledgeStatus = PledgeStatus.COLLECTED) -> Pledge:
    """A collected pledge for the campaign's (first) reward, shipping to ``country``, with
    the survey its collection opens."""
    tier = tier or campaign.tiers[0]
    pledge = make_pledge(campaign, backer, status=status, tier=tier, amount_minor=5500)
    if tier.ships:
        pledge.destination, pledge.shipping_minor = country, 500
    open_survey(pledge)
    db.session.flush()
    return pledge
