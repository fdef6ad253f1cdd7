"""Texts the platform wrote itself and stored in English, shown to operators in their
language: the reason of a status change it made ("Collection window closed", "Charge
attempt 2: failed"), and what a reconciliation recorded of our side ("charge attempt 12",
"nothing").

Reasons people typed (an operator's note, a founder's) are shown as they were written; only
a text one of the known ones below (or of their forms with a value) is translated. A text
the platform writes that is not here is shown as stored, in English.
"""

from __future__ import annotations

import re

from flask_babel import LazyString

from crowdfund.i18n import _l
from crowdfund.operators import bp

#: Reasons the platform stores for the status changes it makes (see each service).
_FIXED: dict[str, LazyString] = {
    "Deleted by its author": _l("Deleted by its author"),
    "Documents submitted by the founder": _l("Documents submitted by the founder"),
    "Withdrawn by the founder": _l("Withdrawn by the founder"),
    "Deleted by the founder": _l("Deleted by the founder"),
    "Payout date reached": _l("Payout date reached"),
    "Campaign did not reach its goal": _l("Campaign did not reach its goal"),
    "Every active pledge was charged once": _l("Every active pledge was charged once"),
    "Payment not completed within the collection window": _l(
        "Payment not completed within the collection window"),
    "Collection window closed": _l("Collection window closed"),
    "Started too long ago to replay; reconcile by hand": _l(
        "Started too long ago to replay; reconcile by hand"),
    "Started longer ago than the gateway replays; reconciling": _l(
        "Started longer ago than the gateway replays; reconciling"),
    "Reconciled: the gateway has no PaymentIntent for this attempt; it never went out": _l(
        "Reconciled: the gateway has no PaymentIntent for this attempt; it never went out"),
    "Replaced by a new pledge": _l("Replaced by a new pledge"),
    "Card confirmed": _l("Card confirmed"),
    "Cancelled by the backer": _l("Cancelled by the backer"),
    "Card not confirmed in time": _l("Card not confirmed in time"),
    "Refunded in full": _l("Refunded in full"),
    "Not reconfirmed within 5 business days of a material change of the terms": _l(
        "Not reconfirmed within 5 business days of a material change of the terms"),
    # What a reconciliation records when one side has nothing (settlement/books/matcher.py).
    "nothing": _l("nothing"),
    "no such PaymentIntent": _l("no such PaymentIntent"),
    "no such refund": _l("no such refund"),
    "no such transfer": _l("no such transfer"),
}

#: An amount as stored ("$1,204.00", "CHF 150.00", "CN¥10.00"): no lowercase letter.
_AMOUNT = r"[^a-z]*\d[^a-z]*"
#: Stored texts with a value (an amount, an id, a status code, an operator's words): the
#: value is kept as stored.
_WITH_VALUES: list[tuple[re.Pattern, LazyString]] = [
    (re.compile(rf"Reached (?P<pledged>{_AMOUNT}) of (?P<goal>{_AMOUNT}) by the deadline"),
     _l("Reached %(pledged)s of %(goal)s by the deadline")),
    # TRANSLATORS: a flexible campaign funded below its goal: its backers are charged.
    (re.compile(rf"Flexible funding: (?P<pledged>{_AMOUNT}) of (?P<goal>{_AMOUNT}) at the "
                r"deadline, charged below the goal"),
     _l("Flexible funding: %(pledged)s of %(goal)s at the deadline, charged below the goal")),
    (re.compile(rf"(?P<pledged>{_AMOUNT}) of (?P<goal>{_AMOUNT}) at the deadline"),
     _l("%(pledged)s of %(goal)s at the deadline")),
    # TRANSLATORS: a pledge's audit trail; "status" is how the charge ended ("failed").
    (re.compile(r"Charge attempt (?P<num>\d+): (?P<status>\w+)"),
     _l("Charge attempt %(num)s: %(status)s")),
    # TRANSLATORS: a pledge's audit trail; "reason" is what the operator wrote.
    (re.compile(r"Campaign cancelled: (?P<reason>.*)", re.S),
     _l("Campaign cancelled: %(reason)s")),
    # TRANSLATORS: a payout's audit trail; "account" is a Stripe account id.
    (re.compile(r"Transfer to (?P<account>\S+)"), _l("Transfer to %(account)s")),
    # What a reconciliation records of our side: one of our rows, by its id.
    (re.compile(r"charge attempt (?P<id>\d+)"), _l("charge attempt %(id)s")),
    (re.compile(r"refund (?P<id>\d+)"), _l("refund %(id)s")),
    (re.compile(r"payout (?P<id>\d+)"), _l("payout %(id)s")),
    # TRANSLATORS: a processing fee as a reconciliation recorded it ("USD 1.23").
    (re.compile(r"fee (?P<amount>[A-Z]{3} \S+)"), _l("fee %(amount)s")),
    # TRANSLATORS: an amount and its status as a reconciliation recorded it ("USD 100.00
    # succeeded"), at the gateway or in our books.
    (re.compile(r"(?P<amount>[A-Z]{3} -?[\d.]+) (?P<status>\w+)"), _l("%(amount)s %(status)s")),
]

#: The statuses a reconciliation records of each side (the gateway's PaymentIntents,
#: charges, refunds and transfers; our charges, refunds and payouts) and a charge attempt
#: ends with, as people read them. Another one is shown as it came.
_STATUSES: dict[str, LazyString] = {
    "succeeded": _l("succeeded"), "failed": _l("failed"), "pending": _l("pending"),
    "processing": _l("processing"), "canceled": _l("canceled"),
    # TRANSLATORS: a payment waiting for its payer to confirm it with their bank.
    "requires_action": _l("waiting for the bank's confirmation"),
    "requires_payment_method": _l("waiting for a card"),
    "requires_confirmation": _l("waiting for confirmation"),
    "requires_capture": _l("authorized, not captured"),
    "started": _l("started"), "unknown": _l("outcome unknown"), "not_sent": _l("not sent"),
    "sent": _l("sent"), "scheduled": _l("scheduled"), "due": _l("due"), "paid": _l("paid"),
}


@bp.app_template_filter("system_text")
def system_text(text: str | None) -> str:
    """``text`` in the reader's language if the platform wrote it (one of the known texts),
    else as stored (``{{ transition.reason | system_text }}``)."""
    if not text:
        return ""
    fixed = _FIXED.get(text)
    if fixed is not None:
        return str(fixed)
    for pattern, translated in _WITH_VALUES:
        found = pattern.fullmatch(text)
        if found:
            values = found.groupdict()
            if "status" in values:
                values["status"] = str(_STATUSES.get(values["status"], values["status"]))
            return str(translated) % values
    return text
