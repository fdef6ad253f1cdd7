"""Saved cards on the fake gateway, for tests of the pages that list and offer them."""

from __future__ import annotations

from crowdfund.auth.models import User
from crowdfund.db import utcnow
from crowdfund.payments.fake import FakeGateway


def save_card(gw: FakeGateway, backer: User, payment_method_id: str, last4: str = "4242", *,
              exp_month: int = 12, exp_year: int | None = None,
              needs_3ds: bool = False) -> str:
    """A card saved on ``backer``'s customer (made if they have none), as a pledge leaves
    it; returns its payment method id."""
    if backer.payment_customer_id is None:
        backer.payment_customer_id = gw.create_customer(
            email=backer.email, name=backer.display_name,
            idempotency_key=f"user-{backer.id}-customer")
    gw.cards[payment_method_id] = {
        "customer": backer.payment_customer_id, "brand": "visa", "last4": last4,
        "exp_month": exp_month, "exp_year": exp_year or utcnow().year + 2,
        "needs_3ds": needs_3ds}
    return payment_method_id
