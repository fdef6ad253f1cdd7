"""What the founder and the backer are told about a dispute of a charge (transactional:
always sent). Every function queues one message (no commit); the dispute's gateway id
keys each, so a repeated event tells nobody twice."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from crowdfund.filters import datetime_filter
from crowdfund.money import Money
from crowdfund.notifications.emails import hello, pledge_facts, send, words
from crowdfund.notifications.links import link
from crowdfund.notifications.outbox import Email
from crowdfund.pledges.models import Pledge


def _person(pledge: Pledge) -> str:
    return "investor" if pledge.campaign.is_equity else "backer"


def _reason(reason: str) -> str:
    return reason.replace("_", " ") or "none given"


def opened_to_founder(pledge: Pledge, dispute_id: str, amount: Money, reason: str,
                      due_by: datetime | None, inquiry: bool) -> bool:
    """A backer's bank disputed (or asked about) a charge on the founder's campaign."""
    campaign, founder = pledge.campaign, pledge.campaign.founder
    support, person = current_app.config["SUPPORT_EMAIL"], _person(pledge)
    due = datetime_filter(due_by) if due_by else "the date the payment processor gives us"
    if inquiry:
        what = (f"The bank of one of your {person}s is asking about their charge of "
                f"{amount.format()} for {campaign.title} before deciding whether to dispute "
                "it. Nothing has been taken back yet.")
    else:
        what = (f"The bank of one of your {person}s disputed their charge of {amount.format()} "
                f"for {campaign.title} and took the amount back while it decides.")
    return send("dispute_opened", f"dispute-{dispute_id}-{'inquiry' if inquiry else 'opened'}"
                "-founder", founder, Email(
        subject=f"{'Inquiry about' if inquiry else 'Dispute of'} {amount.format()} on "
                f"{campaign.title}: evidence due by {due}",
        greeting=hello(founder),
        paragraphs=[what,
                    f"We answer it with the payment processor. Send {support} what shows the "
                    f"{person} got what they paid for (proof of delivery, your messages with "
                    f"them) before {due}: after that the bank decides without it.",
                    f"We hold {amount.format()} out of your payout until the bank decides. If "
                    "it decides for you, the amount is paid with your payout; the processor's "
                    "dispute fee is deducted either way."],
        facts=[("Campaign", campaign.title), (person.title(), pledge.backer.display_name),
               ("Disputed", amount.format()), ("Reason given", _reason(reason)),
               ("Evidence due by", datetime_filter(due_by) if due_by else "not given yet")],
        action=("See your payouts", link("studio.payouts"))))


_FOUNDER_OUTCOME = {
    "won": "The bank decided the dispute of {amount} on {title} for you: the amount is back "
           "and paid with your payout{fee}.",
    "lost": "The bank decided the dispute of {amount} on {title} for the {person}: the "
            "amount stays returned to them{fee}. If your payout is paid already, it is "
            "deducted from your next one.",
    "warning_closed": "The bank closed its inquiry about the charge of {amount} on {title} "
                      "without a dispute: nothing is taken back, and the amount is released to "
                      "your payout.",
}


def closed_to_founder(pledge: Pledge, dispute_id: str, amount: Money, fee: Money,
                      outcome: str) -> bool:
    campaign, founder = pledge.campaign, pledge.campaign.founder
    fee_words = (f"; the processor's dispute fee of {fee.format()} is deducted from it"
                 if fee.amount else "")
    text = _FOUNDER_OUTCOME[outcome].format(amount=amount.format(), title=campaign.title,
                                            fee=fee_words, person=_person(pledge))
    return send("dispute_closed", f"dispute-{dispute_id}-{outcome}-founder", founder, Email(
        subject=f"Dispute of {amount.format()} on {campaign.title}: "
                f"{_OUTCOME_WORD[outcome]}",
        greeting=hello(founder), paragraphs=[text],
        facts=[("Campaign", campaign.title), ("Disputed", amount.format()),
               ("Outcome", _OUTCOME_WORD[outcome]),
               *([("Dispute fee", fee.format())] if fee.amount else [])],
        action=("See your payouts", link("studio.payouts"))))


_OUTCOME_WORD = {"won": "decided for you", "lost": "decided against you",
                 "warning_closed": "inquiry closed"}
_BACKER_OUTCOME_WORD = {"won": "the charge stands", "lost": "decided in your favour",
                        "warning_closed": "inquiry closed"}

_BACKER_OUTCOME = {
    "won": "Your bank's dispute of the charge of {amount} for your {noun} {to} {title} is "
           "closed: the bank decided the charge stands, so it stays on your card.",
    "lost": "Your bank's dispute of the charge of {amount} for your {noun} {to} {title} is "
            "closed in your favour: the amount stays returned to you.",
    "warning_closed": "Your bank's inquiry about the charge of {amount} for your {noun} {to} "
                      "{title} is closed: the charge stands.",
}


def closed_to_backer(pledge: Pledge, dispute_id: str, amount: Money, outcome: str) -> bool:
    w = words(pledge)
    text = _BACKER_OUTCOME[outcome].format(amount=amount.format(), noun=w.noun, to=w.to,
                                           title=pledge.campaign.title)
    return send("dispute_closed", f"dispute-{dispute_id}-{outcome}-backer", pledge.backer,
                Email(subject=f"Your bank's dispute about {pledge.campaign.title} is closed",
                      greeting=hello(pledge.backer), paragraphs=[text],
                      facts=[*pledge_facts(pledge)[:1], ("Disputed", amount.format()),
                             ("Outcome", _BACKER_OUTCOME_WORD[outcome])],
                      action=(w.see, link("pledges.show", pledge_id=pledge.id))))
