"""Saved cards: the cards on a backer's gateway customer, offered again when they pledge,
listed on their account and removed from it (docs/money.md#saved-cards).

The gateway is the truth about which cards are saved: the cards attached to the backer's
customer (``PaymentGateway.list_cards``), read each time. A payment method id that is not
among them is not the backer's (``CardNotSaved``, 404), whoever else it belongs to.

Reusing a card is the pledge's card rule with the card already chosen: a new SetupIntent
for that payment method, confirmed on the server (``begin_reuse``, then, once its attempt
is committed, ``reuse``); the pledge becomes active only when ``services.confirm_card``
reads the SetupIntent back as succeeded, after 3-D Secure in the browser when the bank
asks again. A card still used by an open pledge or investment (or one whose payment is
still to fix) is not removed: ``CardInUse`` names them. Services never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from crowdfund.auth.models import User
from crowdfund.db import utcnow
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.i18n import _
from crowdfund.locking import lock
from crowdfund.payments.gateway import CardInfo, PaymentGateway, SetupIntentInfo
from crowdfund.pledges.cards import card_valid_until, expiry_problem
from crowdfund.pledges.models import CARD_BRAND_NAMES, CARD_USING_STATUSES, Pledge
from crowdfund.pledges.services import CardSetupFailed, require_takes_card


class CardNotSaved(DomainError):
    """The payment method is not one of the backer's saved cards (another person's, one
    removed, or none at all)."""

    status_code = 404


class CardInUse(DomainError):
    """The card pays for open pledges or investments: replaced there first."""

    status_code = 409

    def __init__(self, message: str, pledges: list[Pledge]) -> None:
        super().__init__(message)
        self.pledges = pledges


@dataclass(frozen=True)
class SavedCard:
    """A saved card as the account page shows it."""

    card: CardInfo
    #: The pledges and investments it pays for (open, or their payment to fix).
    used_by: list[Pledge]
    expired: bool = False

    @property
    def brand_name(self) -> str | None:
        """The brand as people read it ("Visa"), None when unknown."""
        return CARD_BRAND_NAMES.get(self.card.brand.lower())

    @property
    def expiry(self) -> str:
        return f"{self.card.exp_month:02d}/{self.card.exp_year}"


def cards_of(backer: User, gateway: PaymentGateway) -> list[CardInfo]:
    """The backer's saved cards as the gateway lists them (none before their first card)."""
    if backer.payment_customer_id is None:
        return []
    return gateway.list_cards(backer.payment_customer_id)


def offered_for(pledge: Pledge, backer: User, gateway: PaymentGateway,
                now: datetime | None = None) -> list[SavedCard]:
    """The saved cards the card page of ``pledge`` offers: those that will still work when
    it is charged (an expired card, or one expiring before the deadline, is not offered),
    and not the card the pledge already has."""
    now = now or utcnow()
    return [SavedCard(card, []) for card in cards_of(backer, gateway)
            if card.payment_method_id != pledge.payment_method_id
            and expiry_problem(pledge, card.exp_month, card.exp_year, now) is None]


def owned_card(backer: User, payment_method_id: str, gateway: PaymentGateway) -> CardInfo:
    """The backer's saved card with this id; ``CardNotSaved`` for any other id."""
    for card in cards_of(backer, gateway):
        if card.payment_method_id == payment_method_id:
            return card
    raise CardNotSaved(_("That card is not one of your saved cards."))


def begin_reuse(pledge: Pledge, backer: User, payment_method_id: str,
                gateway: PaymentGateway, now: datetime | None = None) -> int:
    """Step 1 of paying ``pledge`` with a saved card: the checks (the backer's pledge,
    which still takes a card; their card, which will still work when charged), then the
    SetupIntent about to be made is counted (``pledges.setup_attempts``). The caller
    commits before :func:`reuse`, whose idempotency key is built from that count."""
    require_takes_card(pledge, backer)
    card = owned_card(backer, payment_method_id, gateway)
    if problem := expiry_problem(pledge, card.exp_month, card.exp_year, now or utcnow()):
        raise CardSetupFailed(problem)
    pledge.setup_attempts += 1
    return pledge.setup_attempts


def reuse(pledge: Pledge, backer: User, payment_method_id: str, attempt: int,
          gateway: PaymentGateway) -> SetupIntentInfo:
    """Step 2: the SetupIntent for the saved card, confirmed at the gateway (key
    ``pledge-<id>-setup-<attempt>``), recorded on the pledge. ``succeeded``: the caller
    activates the pledge with ``services.confirm_card``; ``requires_action``: the card page
    runs 3-D Secure, then posts to the same confirmation. A refused card raises
    CardDeclined."""
    info = gateway.create_setup_intent(
        customer_id=backer.payment_customer_id,
        metadata={"pledge_id": str(pledge.id), "campaign_id": str(pledge.campaign_id)},
        idempotency_key=f"pledge-{pledge.id}-setup-{attempt}",
        payment_method_id=payment_method_id)
    pledge.setup_intent_id = info.id
    return info


def account_cards(backer: User, gateway: PaymentGateway,
                  now: datetime | None = None) -> list[SavedCard]:
    """Every saved card of the backer, with the pledges it pays for (the account page)."""
    now = now or utcnow()
    cards = cards_of(backer, gateway)
    if not cards:
        return []
    using: dict[str, list[Pledge]] = {}
    for pledge in db.session.scalars(sa.select(Pledge).where(
            Pledge.backer_id == backer.id, Pledge.status.in_(CARD_USING_STATUSES),
            Pledge.payment_method_id.in_([c.payment_method_id for c in cards]))
            .order_by(Pledge.id)):
        using.setdefault(pledge.payment_method_id, []).append(pledge)
    return [SavedCard(card, using.get(card.payment_method_id, []),
                      expired=(card_valid_until(card.exp_month, card.exp_year) or now) <= now)
            for card in cards]


def _lock_card_using_pledges(backer: User) -> list[Pledge]:
    """Lock every pledge of the backer that could use a card (read again as committed):
    a confirmation giving one of them this card right now is waited for, then seen."""
    return list(db.session.scalars(
        sa.select(Pledge).where(Pledge.backer_id == backer.id,
                                Pledge.status.in_(CARD_USING_STATUSES))
        .order_by(Pledge.id).with_for_update()
        .execution_options(populate_existing=True)))


def remove(backer: User, payment_method_id: str, gateway: PaymentGateway) -> CardInfo:
    """Detach one of the backer's saved cards at the gateway. Refused (``CardInUse``,
    naming them) while a pledge or investment uses it: a backer replaces the card there
    first rather than find a pledge without a card at the deadline. The backer's row is
    locked (two removals run one after the other), then the pledges that could use a card:
    a pledge being given this card in a transaction not yet committed is waited for and
    counted (PostgreSQL; SQLite runs one writer at a time)."""
    lock(backer)
    card = owned_card(backer, payment_method_id, gateway)
    using = [pledge for pledge in _lock_card_using_pledges(backer)
             if pledge.payment_method_id == payment_method_id]
    if using:
        names = ", ".join(f"“{pledge.campaign.title}”" for pledge in using)
        raise CardInUse(_("This card pays for your pledges to: %(campaigns)s. Replace the "
                          "card there first, then remove it.", campaigns=names), using)
    gateway.detach_payment_method(payment_method_id)
    return card
