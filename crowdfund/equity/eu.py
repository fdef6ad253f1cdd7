"""The EU crowdfunding regulation's protections of non-sophisticated investors
(Regulation (EU) 2020/1503, Articles 21 and 22; docs/investor-rules.md).

Before a first investment (and again once two years have passed) a non-sophisticated
investor takes the **entry knowledge test** (Article 21(2)-(4)): questions on the risks of
investing, answers checked against keys; when the answers show too little knowledge, they
are told that investing through the platform may not be appropriate for them, and may go
on only after saying they understood. They see the **simulation of their ability to bear
loss** (Article 21(5)): 10% of their net worth. An investment above the higher of
EUR 1,000 and 5% of their net worth needs the **risk warning and their explicit consent**
each time (Article 21(7)). Every offer of theirs then has a **reflection period** of 4
calendar days (Article 22): until it ends they may revoke it, without giving a reason and
without penalty, even after the offering's deadline; an offering is settled only once
every reflection period of its investors has ended, so revoked money is never charged.

A sophisticated investor (the profile's "accredited or sophisticated" statement) skips
all of these. Services never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from crowdfund.db import utcnow
from crowdfund.equity.limits import loss_capacity, needs_warning, warning_line
from crowdfund.equity.models import InvestorProfile
from crowdfund.equity.rulesets import RuleSet
from crowdfund.errors import DomainError
from crowdfund.i18n import _, _l
from crowdfund.money import Money

#: The entry knowledge test is valid this long (Article 21(3): reviewed every two years).
KNOWLEDGE_VALID_FOR = timedelta(days=730)
#: Right answers needed to show enough knowledge.
PASS_MARK = 4

#: (field name, question, [(key, answer shown)], the right key): answers are keys, so a
#: translated test is checked the same.
KNOWLEDGE_TEST: list[tuple[str, str, list[tuple[str, str]], str]] = [
    ("lose", _l("If the company you invest in fails, what happens to your money?"),
     [("all", _l("I can lose all of it")), ("half", _l("I get at least half of it back")),
      ("guaranteed", _l("A guarantee scheme pays it back"))], "all"),
    ("sell", _l("Can you sell shares in a crowdfunded company whenever you want?"),
     [("no", _l("Usually not: there may be no buyer for years")),
      ("yes", _l("Yes, on a stock exchange")),
      ("platform", _l("Yes, the platform buys them back"))], "no"),
    ("dilution", _l("The company raises more money later by issuing new shares. Your "
                    "shares..."),
     [("smaller", _l("are a smaller part of the company")),
      ("same", _l("stay the same part of the company")),
      ("grow", _l("are worth more for certain"))], "smaller"),
    ("spread", _l("What lowers the risk of losing a lot?"),
     [("spread", _l("Investing small amounts in several companies")),
      ("one", _l("Putting everything in the company you like best")),
      ("borrow", _l("Borrowing to invest more"))], "spread"),
    ("protection", _l("Is an investment through a crowdfunding platform covered by a "
                      "deposit guarantee or investor compensation scheme?"),
     [("no", _l("No")), ("deposit", _l("Yes, like a bank deposit")),
      ("partly", _l("Yes, up to EUR 20,000"))], "no"),
]


def applies(rules: RuleSet, profile: InvestorProfile) -> bool:
    """Whether these protections apply: the EU rules, a non-sophisticated investor."""
    return rules.kind == "warning" and not profile.accredited


@dataclass(frozen=True)
class KnowledgeResult:
    right: int
    passed: bool


def take_knowledge_test(profile: InvestorProfile, answers: dict[str, str],
                        now: datetime | None = None) -> KnowledgeResult:
    """Record the test: when it was taken and whether the answers showed enough knowledge.
    Every question must be answered."""
    unanswered = [name for name, _q, options, _r in KNOWLEDGE_TEST
                  if answers.get(name) not in {key for key, _label in options}]
    if unanswered:
        raise DomainError(_("Answer every question."), field=unanswered[0])
    right = sum(answers[name] == key for name, _q, _o, key in KNOWLEDGE_TEST)
    profile.eu_knowledge_taken_at = now or utcnow()
    profile.eu_knowledge_passed = right >= PASS_MARK
    profile.eu_not_appropriate_accepted_at = None
    return KnowledgeResult(right, profile.eu_knowledge_passed)


def accept_not_appropriate(profile: InvestorProfile, now: datetime | None = None) -> None:
    """After a test that showed too little knowledge: the investor read that investing may
    not be appropriate for them and goes on anyway (Article 21(4))."""
    if profile.eu_knowledge_taken_at is None:
        raise DomainError(_("Take the knowledge test first."))
    profile.eu_not_appropriate_accepted_at = now or utcnow()


def simulate_loss(profile: InvestorProfile, rules: RuleSet,
                  now: datetime | None = None) -> Money:
    """Record that the investor saw their simulation; returns the amount (10% of net worth)."""
    profile.eu_loss_simulated_at = now or utcnow()
    return loss_capacity(rules, profile.net_worth)


def next_step(profile: InvestorProfile, now: datetime | None = None) -> str | None:
    """What the investor still has to do before investing, as an endpoint: the knowledge
    test (none, or older than two years), going on after a failed one, the loss
    simulation. None when everything is done."""
    now = now or utcnow()
    taken = profile.eu_knowledge_taken_at
    if taken is None or now - taken > KNOWLEDGE_VALID_FOR:
        return "equity.eu_knowledge"
    if not profile.eu_knowledge_passed and profile.eu_not_appropriate_accepted_at is None:
        return "equity.eu_knowledge"
    if profile.eu_loss_simulated_at is None:
        return "equity.eu_loss"
    return None


class NeedsEuStep(DomainError):
    """The knowledge test or the loss simulation is still to do."""

    status_code = 403


class NeedsConsent(DomainError):
    """An amount above the warning line, without the investor's explicit consent."""


def warning_text(rules: RuleSet, amount: Money, net_worth: Money) -> str:
    return _("%(amount)s is more than %(line)s, the higher of EUR 1,000 and 5%% of your net "
             "worth. You could lose all of it, and it is more than the 10%% of your net worth "
             "(%(capacity)s) you could lose without changing how you live. Tick the box to "
             "confirm that you want to invest it anyway.", amount=amount.format(),
             line=warning_line(rules, net_worth).format(),
             capacity=loss_capacity(rules, net_worth).format())


def check(rules: RuleSet, profile: InvestorProfile, counted: Money, consent: bool,
          now: datetime) -> bool:
    """At commitment: the steps done, and consent given when the amount (in euros) is
    above the warning line. Returns whether consent was needed (and given)."""
    if not applies(rules, profile):
        return False
    if next_step(profile, now) is not None:
        raise NeedsEuStep(_("Before investing under the EU rules, take the knowledge test "
                            "and see the simulation of your ability to bear loss."))
    if not needs_warning(rules, counted, profile.net_worth):
        return False
    if not consent:
        raise NeedsConsent(warning_text(rules, counted, profile.net_worth), field="consent")
    return True


def reflection_ends(rules: RuleSet, profile: InvestorProfile, now: datetime) -> datetime | None:
    """When a new offer's reflection period ends (None where there is none)."""
    if not applies(rules, profile):
        return None
    return now + timedelta(days=rules.reflection_days)

