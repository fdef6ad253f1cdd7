"""Rows as the API's plain values (crowdfund/api/schemas.py documents the shapes).

Money as minor units with its currency, times as aware UTC datetimes (the schemas write
ISO 8601 with the offset), ids as strings. Cursors are opaque to clients: the sort's
name and the last row's sort values, base64url JSON, checked when read back.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime

from flask import url_for

from crowdfund.campaigns.add_on_models import AddOn
from crowdfund.campaigns.models import Campaign, RewardTier
from crowdfund.errors import DomainError
from crowdfund.i18n import _
from crowdfund.markdown import render_markdown
from crowdfund.money import Money
from crowdfund.pledges.totals import Totals


def money(value: Money | None) -> dict | None:
    if value is None:
        return None
    return {"amount_minor": value.amount, "currency": value.currency,
            "formatted": value.format()}


def minor(amount: int | None, currency: str) -> dict | None:
    return None if amount is None else money(Money(amount, currency))


def person(user) -> dict:
    return {"id": str(user.id), "display_name": user.display_name}


def campaign_summary(campaign: Campaign, totals: Totals) -> dict:
    return {
        "id": str(campaign.id), "slug": campaign.slug,
        "url": url_for("campaigns.show", slug=campaign.slug, _external=True),
        "title": campaign.title, "blurb": campaign.blurb, "category": campaign.category,
        "kind": campaign.kind.value, "funding_model": campaign.funding_model.value,
        "status": campaign.status.value, "goal": money(campaign.goal),
        "pledged": money(totals.pledged), "backers": totals.backers,
        "percent_funded": totals.percent_of(campaign.goal),
        "launched_at": campaign.launched_at, "deadline": campaign.deadline,
        "founder": person(campaign.founder),
        "cover_url": upload_url(campaign.cover_path),
    }


def tier(row: RewardTier) -> dict:
    return {
        "id": str(row.id), "title": row.title, "description": row.description,
        "minimum": money(row.minimum), "limited": row.quantity_limit is not None,
        "units_left": row.remaining, "estimated_delivery": row.estimated_delivery,
        "ships": row.ships,
        "shipping": [{"destination": rate.destination,
                      "fee": minor(rate.fee_minor, row.campaign.currency)}
                     for rate in row.shipping_rates],
        "image_url": upload_url(row.image_path),
    }


def add_on(row: AddOn, currency: str) -> dict:
    left = None if row.quantity_limit is None else max(0, row.quantity_limit - row.claimed)
    return {
        "id": str(row.id), "name": row.name, "description": row.description,
        "price": minor(row.price_minor, currency), "units_left": left, "ships": row.ships,
        "tier_ids": None if row.all_tiers else [str(t.id) for t in row.tiers],
        "image_url": upload_url(row.image_path),
    }


def offering(row, target: Money) -> dict:
    currency = target.currency
    return {
        "issuer_legal_name": row.issuer_legal_name,
        "issuer_jurisdiction": row.issuer_jurisdiction,
        "security": row.security.value,
        "price_per_share": minor(row.price_per_share_minor, currency),
        "valuation_cap": minor(row.valuation_cap_minor, currency),
        "discount_bps": row.discount_bps, "interest_rate_bps": row.interest_rate_bps,
        "maturity_on": row.maturity_on, "target": money(target),
        "maximum": minor(row.maximum_minor, currency),
        "minimum_investment": minor(row.minimum_investment_minor, currency),
        "allocation": row.allocation.value,
    }


def upload_url(key: str | None) -> str | None:
    """Where an uploaded image is served (its key made from its content: cached for long)."""
    return url_for("main.uploads", filename=key, _external=True) if key else None


def pledge_add_ons(pledge) -> list[dict]:
    """What a pledge takes of each add-on, at the price of when it was made or changed."""
    return [{"id": str(line.add_on_id), "name": line.add_on.name, "quantity": line.quantity,
             "price": minor(line.price_minor, pledge.currency)} for line in pledge.add_ons]


def html(markdown_text: str | None) -> str:
    return str(render_markdown(markdown_text or ""))


# --- cursors --------------------------------------------------------------------------------


class CursorInvalid(DomainError):
    """A ``cursor`` this API did not give for this list."""

    status_code = 400

    def __init__(self) -> None:
        super().__init__(_("This cursor is not valid for this list: start again without "
                           "one."), field="cursor")


def _plain(value):
    if isinstance(value, datetime):
        return {"t": value.astimezone(UTC).isoformat()}
    return value


def encode_cursor(kind: str, values: list) -> str:
    raw = json.dumps([kind, [_plain(v) for v in values]], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str, types: tuple[type, ...]) -> list:
    """The values of a cursor of ``kind``, each of the type expected; CursorInvalid."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        found_kind, values = json.loads(raw)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise CursorInvalid() from None
    if found_kind != kind or not isinstance(values, list) or len(values) != len(types):
        raise CursorInvalid()
    out = []
    for value, expected in zip(values, types, strict=True):
        if expected is datetime:
            if not (isinstance(value, dict) and isinstance(value.get("t"), str)):
                raise CursorInvalid()
            try:
                parsed = datetime.fromisoformat(value["t"])
            except ValueError:
                raise CursorInvalid() from None
            if parsed.tzinfo is None:
                raise CursorInvalid()
            out.append(parsed.astimezone(UTC))
        elif expected is int:
            if not isinstance(value, int) or isinstance(value, bool) or abs(value) >= 2**62:
                raise CursorInvalid()
            out.append(value)
        else:
            raise CursorInvalid()
    return out
