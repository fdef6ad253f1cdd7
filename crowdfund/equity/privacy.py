"""An investor's declarations and holdings in their archive; on closing the declarations
(income, net worth) go, the holdings stay on the issuers' cap tables."""

from __future__ import annotations

import sqlalchemy as sa

from crowdfund.auth import privacy
from crowdfund.auth.models import User
from crowdfund.equity.models import Holding, InvestorProfile
from crowdfund.extensions import db
from crowdfund.i18n import _l


def register() -> None:
    privacy.exports("investor_profile")(profile)
    privacy.exports("holdings")(holdings)
    privacy.erases("equity", kept=(
        _l("Securities issued to you (your holdings)"),
        # TRANSLATORS: why the line above is kept when an account closes; the page adds
        # the final full stop.
        _l("an issuer must keep the register of its security holders; they stay on its cap "
           "table under your account's number — write to us to have them transferred")))(
        erase)


def profile(user: User) -> dict | None:
    row = db.session.scalar(sa.select(InvestorProfile).where(InvestorProfile.user_id == user.id))
    if row is None:
        return None
    return {c: privacy.plain(getattr(row, c)) for c in (
        "jurisdiction", "currency", "annual_income_minor", "net_worth_minor", "accredited",
        "invested_elsewhere_minor", "education_version", "acknowledged_at")}


def holdings(user: User) -> list[dict]:
    return privacy.rows(sa.select(Holding).where(Holding.holder_id == user.id)
                        .order_by(Holding.id), "offering_id", "security", "shares",
                        "price_per_share_minor", "principal_minor", "currency", "issued_on")


def erase(user: User) -> None:
    db.session.execute(sa.delete(InvestorProfile).where(InvestorProfile.user_id == user.id))
