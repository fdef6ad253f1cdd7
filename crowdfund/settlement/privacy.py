"""The charges and refunds of a person's pledges in their archive; they stay when the
account closes (bookkeeping law), under the account's number."""

from __future__ import annotations

import sqlalchemy as sa

from crowdfund.auth import privacy
from crowdfund.auth.models import User
from crowdfund.i18n import _l
from crowdfund.pledges.models import Pledge
from crowdfund.settlement.models import ChargeAttempt, Refund


def register() -> None:
    privacy.exports("charges")(charges)
    privacy.exports("refunds")(refunds)
    privacy.erases("settlement", kept=(
        _l("Charges, refunds and the ledger"),
        # TRANSLATORS: why the line above is kept when an account closes; the page adds
        # the final full stop.
        _l("bookkeeping and payment rules require them for years; they hold amounts, dates "
           "and the processor's references, under your account's number")))(
        lambda user: None)


def _pledge_ids(user: User):
    return sa.select(Pledge.id).where(Pledge.backer_id == user.id).scalar_subquery()


def charges(user: User) -> list[dict]:
    return privacy.rows(sa.select(ChargeAttempt).where(ChargeAttempt.pledge_id.in_(
        _pledge_ids(user))).order_by(ChargeAttempt.id), "pledge_id", "attempt_no", "status",
        "amount_minor", "currency", "created_at", "finished_at")


def refunds(user: User) -> list[dict]:
    return privacy.rows(sa.select(Refund).where(Refund.pledge_id.in_(_pledge_ids(user)))
                        .order_by(Refund.id), "pledge_id", "amount_minor", "status",
                        "created_at")
