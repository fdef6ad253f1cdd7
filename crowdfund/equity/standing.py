"""Whether a person may invest in an offering, said before they type any amount.

The offering page and the invest page show it: under which rules the person invests and
what their limit is, or why they may not invest (their country has no rules open, the
UK's protections not met yet: category, assessment, cooling-off; the rules ask for a
verified identity, the offering has all the investors its rules allow, an exchange rate is
missing, the limit is used up) and what to do next. The same checks run
again, under locks, when they commit (``investing.check_investor``). docs/investor-rules.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from crowdfund.auth.models import User
from crowdfund.db import utcnow
from crowdfund.equity import eu, investors, protections, rates
from crowdfund.equity.limits import Limit
from crowdfund.equity.models import Offering
from crowdfund.equity.rulesets import RULE_SETS, NotOpen, RuleSet
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.i18n import _, ngettext
from crowdfund.pledges.models import Pledge


@dataclass(frozen=True)
class Standing:
    """What the offering page says to this person about investing in it."""

    may_invest: bool
    message: str
    rules: RuleSet | None = None
    limit: Limit | None = None
    #: What to do next, as (label, endpoint) of a page of ours, when there is something.
    next_step: tuple[str, str] | None = None
    #: UK: when a wait ends (a first-time investor's cooling-off: the invest page says so,
    #: with the risk warning, and asks for no amount; the assessment's retry).
    wait_until: datetime | None = None


def investor_count(offering: Offering, but: User | None = None) -> int:
    """How many people hold a commitment in the offering (``but`` left out)."""
    query = sa.select(sa.func.count(sa.distinct(Pledge.backer_id))).where(
        Pledge.campaign_id == offering.campaign_id, Pledge.status.in_(investors.COMMITTED))
    if but is not None:
        query = query.where(Pledge.backer_id != but.id)
    return db.session.scalar(query) or 0


def full_message(offering: Offering, user: User) -> str | None:
    """Why ``user`` cannot join the offering's investors: it has as many as its issuer's
    rules allow (China's: 200). None when there is room."""
    cap = RULE_SETS["CN-2014"].max_investors
    if offering.issuer_jurisdiction != "CN" or investor_count(offering, user) < cap:
        return None
    return ngettext("This offering has its %(num)s investor, the most China's rules allow: "
                    "it takes no more investors.",
                    "This offering has its %(num)s investors, the most China's rules allow: "
                    "it takes no more investors.", cap)


def standing_of(user: User, offering: Offering, now: datetime | None = None) -> Standing:
    """May ``user`` invest in ``offering`` now, under which rules, and how much."""
    now = now or utcnow()
    profile = investors.profile_of(user)
    if profile is None or not profile.educated:
        return Standing(True, _("Before your first investment, complete your investor "
                                "profile and the short education step: we then tell you "
                                "under which rules you invest and how much you can invest."),
                        next_step=(_("Complete your investor profile"), "equity.profile"))
    try:
        limit = investors.limit_of(user, now)
    except NotOpen as exc:
        return Standing(False, exc.message)
    except DomainError as exc:  # a profile to update, or a missing exchange rate
        return Standing(False, exc.message,
                        next_step=(_("Update your investor profile"), "equity.profile"))
    rules = limit.rules
    try:  # UK: the category and its statement, the assessment, the cooling-off
        protections.check(user, profile, rules, now)
    except protections.Protection as exc:
        return Standing(exc.can_do_now, exc.message, rules, limit, exc.next_step,
                        exc.wait_until)
    if rules.needs_verified_identity and not user.is_verified:
        return Standing(False, _("Under %(rules)s you invest under your real name: have your "
                                 "identity verified first.", rules=rules.name), rules, limit,
                        (_("Verify your identity"), "auth.identity_page"))
    full = full_message(offering, user)
    if full:
        return Standing(False, full, rules, limit)
    try:
        rates.rate_on(offering.campaign.currency, rules.currency, now.date())
    except rates.MissingRate as exc:
        return Standing(False, exc.message, rules, limit)
    if limit.available is not None and limit.available.amount == 0:
        return Standing(False, limit.explain(), rules, limit)
    if eu.applies(rules, profile) and eu.next_step(profile, now) is not None:
        return Standing(True, _("You invest under %(rules)s. Before your first investment, "
                                "take the short knowledge test and see how much you could "
                                "afford to lose.", rules=rules.name), rules, limit,
                        (_("Take the knowledge test"), "equity.eu_knowledge"))
    return Standing(True, _("You invest under %(rules)s. %(limit)s", rules=rules.name,
                            limit=limit.explain()), rules, limit)
