"""The processor's actual fee for a charge, replacing the estimate booked at charge time.

A collected charge books an *estimated* processing fee (``services.fees_for``), withheld
from the founder. Once the gateway reports the actual fee (its balance transaction, read
by reconciliation: docs/money.md#reconciliation-with-the-gateway), one correcting
transaction moves the difference between the founder's share and the processing fees,
keyed ``fee-charge-attempt-<id>``: booked once, whatever runs again. The founder's share
and the platform's margin are then exact to the cent; nothing booked before is changed.
"""

from __future__ import annotations

import sqlalchemy as sa

from crowdfund.extensions import db
from crowdfund.ledger.models import Account, LedgerEntry, LedgerTransaction
from crowdfund.ledger.services import post
from crowdfund.money import Money

FEE = "fee"


def charge_key(attempt_id: int) -> str:
    return f"charge-attempt-{attempt_id}"


def correction_key(attempt_id: int) -> str:
    return f"fee-charge-attempt-{attempt_id}"


def processing_fees_booked(attempt_ids: list[int]) -> dict[int, tuple[int, bool]]:
    """Per charge attempt: the processing fee booked for it so far (the estimate, and a
    correction if there is one), and whether it was corrected already. Attempts with no
    booked charge are absent."""
    keys = {charge_key(a): a for a in attempt_ids} | {correction_key(a): a for a in attempt_ids}
    found: dict[int, tuple[int, bool]] = {}
    rows = []
    for start in range(0, len(attempt_ids), 400):  # IN lists of a bounded size
        chunk = attempt_ids[start:start + 400]
        rows += db.session.execute(
            sa.select(LedgerTransaction.source_key,
                      sa.func.sum(LedgerEntry.credit_minor - LedgerEntry.debit_minor))
            .join(LedgerEntry).where(
                LedgerTransaction.source_key.in_(
                    [charge_key(a) for a in chunk] + [correction_key(a) for a in chunk]),
                LedgerEntry.account == Account.PROCESSING_FEES)
            .group_by(LedgerTransaction.source_key)).all()
    for key, amount in sorted(rows, key=lambda row: row[0].startswith("fee-")):
        attempt_id = keys[key]
        booked, corrected = found.get(attempt_id, (0, False))
        found[attempt_id] = (booked + int(amount or 0), corrected or key.startswith("fee-"))
    return found


def post_fee_correction(attempt, booked: Money, actual: Money) -> LedgerTransaction | None:
    """Book ``actual - booked`` of processing fee for a collected charge against the
    founder's share (more fee: the founder gets less; less fee: more). None when there is
    nothing to move or it was booked already."""
    delta = actual - booked
    if delta.amount == 0:
        return None
    zero = Money.zero(delta.currency)
    more = Money(abs(delta.amount), delta.currency)
    lines = ([(Account.FOUNDER_PAYABLE, more, zero), (Account.PROCESSING_FEES, zero, more)]
             if delta.amount > 0 else
             [(Account.PROCESSING_FEES, more, zero), (Account.FOUNDER_PAYABLE, zero, more)])
    return post(FEE, correction_key(attempt.id), attempt.campaign_id, attempt.pledge_id, lines,
                memo=f"Processing fee of pledge {attempt.pledge_id}: {actual.format()} at the "
                     f"gateway, {booked.format()} estimated")
