"""What the founder and the backer are told about a dispute of a charge (transactional:
always sent). Every function queues one message (no commit), in its recipient's language
and time zone (``compose.written_for``); the dispute's gateway id keys each, so a repeated
event tells nobody twice."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from crowdfund.filters import datetime_filter
from crowdfund.i18n import _, _l
from crowdfund.money import Money
from crowdfund.notifications.compose import (
    about,
    hello,
    link,
    pledge_facts,
    send,
    written_for,
)
from crowdfund.notifications.outbox import Email
from crowdfund.pledges.models import Pledge

#: The reasons a bank gives for a dispute (the payment processor's codes), as people read
#: them; an unknown code is shown as it is.
REASONS = {
    "bank_cannot_process": _l("bank cannot process"),
    "check_returned": _l("check returned"),
    "credit_not_processed": _l("credit not processed"),
    "customer_initiated": _l("customer initiated"),
    "debit_not_authorized": _l("debit not authorized"),
    "duplicate": _l("duplicate"),
    "fraudulent": _l("fraudulent"),
    "general": _l("general"),
    "incorrect_account_details": _l("incorrect account details"),
    "insufficient_funds": _l("insufficient funds"),
    "noncompliant": _l("noncompliant"),
    "product_not_received": _l("product not received"),
    "product_unacceptable": _l("product unacceptable"),
    "subscription_canceled": _l("subscription canceled"),
    "unrecognized": _l("unrecognized"),
}


def _reason(reason: str) -> str:
    if not reason:
        return _("none given")
    return str(REASONS.get(reason, reason.replace("_", " ")))


def _opened_texts(pledge: Pledge, amount: Money, due: str, inquiry: bool) -> list[str]:
    """What happened, what the founder can do, what it does to their payout."""
    equity = pledge.campaign.is_equity
    values = {"amount": amount.format(), "title": pledge.campaign.title, "due": due,
              "support": current_app.config["SUPPORT_EMAIL"]}
    if inquiry:
        what = (_("The bank of one of your investors is asking about their charge of "
                  "%(amount)s for %(title)s before deciding whether to dispute it. Nothing "
                  "has been taken back yet.", **values) if equity else
                _("The bank of one of your backers is asking about their charge of "
                  "%(amount)s for %(title)s before deciding whether to dispute it. Nothing "
                  "has been taken back yet.", **values))
    else:
        what = (_("The bank of one of your investors disputed their charge of %(amount)s for "
                  "%(title)s and took the amount back while it decides.", **values) if equity
                else _("The bank of one of your backers disputed their charge of %(amount)s "
                       "for %(title)s and took the amount back while it decides.", **values))
    evidence = (_("We answer it with the payment processor. Send %(support)s what shows the "
                  "investor got what they paid for (proof of delivery, your messages with "
                  "them) before %(due)s: after that the bank decides without it.", **values)
                if equity else
                _("We answer it with the payment processor. Send %(support)s what shows the "
                  "backer got what they paid for (proof of delivery, your messages with them) "
                  "before %(due)s: after that the bank decides without it.", **values))
    held = (_("We hold %(amount)s out of your payout while the bank asks. If it closes its "
              "inquiry without a dispute, the amount is paid with your payout; if it disputes "
              "the charge, we tell you again.", **values) if inquiry else
            _("We hold %(amount)s out of your payout until the bank decides. If it decides "
              "for you, the amount is paid with your payout; the processor's dispute fee is "
              "deducted either way.", **values))
    return [what, evidence, held]


def _amount_fact(amount: Money, inquiry: bool) -> tuple[str, str]:
    """The amount a bank disputes, or asks about (an inquiry disputes nothing yet)."""
    return (_("Amount asked about") if inquiry else _("Amount disputed")), amount.format()


def opened_to_founder(pledge: Pledge, dispute_id: str, amount: Money, reason: str,
                      due_by: datetime | None, inquiry: bool) -> bool:
    """A backer's bank disputed (or asked about) a charge on the founder's campaign."""
    campaign, founder = pledge.campaign, pledge.campaign.founder
    with written_for(founder):
        due = (datetime_filter(due_by) if due_by
               else _("the date the payment processor gives us"))
        values = {"amount": amount.format(), "title": campaign.title, "due": due}
        subject = (_("Inquiry about %(amount)s on %(title)s: evidence due by %(due)s", **values)
                   if inquiry else
                   _("Dispute of %(amount)s on %(title)s: evidence due by %(due)s", **values))
        person = _("Investor") if campaign.is_equity else _("Backer")
        return send("dispute_opened",
                    f"dispute-{dispute_id}-{'inquiry' if inquiry else 'opened'}-founder",
                    founder, Email(
                        subject=subject, greeting=hello(founder),
                        paragraphs=_opened_texts(pledge, amount, due, inquiry),
                        facts=[pledge_facts(pledge)[0], (person, pledge.backer.display_name),
                               _amount_fact(amount, inquiry),
                               (_("Reason given"), _reason(reason)),
                               (_("Evidence due by"), datetime_filter(due_by) if due_by
                                else _("not given yet"))],
                        action=(_("See your payouts"), link("studio.payouts")),
                        about=about(campaign)))


#: What the founder is told at the end, by outcome, for an offering's investor (True) or a
#: campaign's backer, with the processor's dispute fee (True) or none.
_FOUNDER_OUTCOME = {
    ("won", False, True): _l(
        "The bank decided the dispute of %(amount)s on %(title)s for you: the amount is back "
        "and paid with your payout; the processor's dispute fee of %(fee)s is deducted from "
        "it."),
    ("won", False, False): _l(
        "The bank decided the dispute of %(amount)s on %(title)s for you: the amount is back "
        "and paid with your payout."),
    ("lost", False, True): _l(
        "The bank decided the dispute of %(amount)s on %(title)s for the backer: the amount "
        "stays returned to them; the processor's dispute fee of %(fee)s is deducted from "
        "your payout. If your payout is paid already, it is deducted from your next one."),
    ("lost", False, False): _l(
        "The bank decided the dispute of %(amount)s on %(title)s for the backer: the amount "
        "stays returned to them. If your payout is paid already, it is deducted from your "
        "next one."),
    ("lost", True, True): _l(
        "The bank decided the dispute of %(amount)s on %(title)s for the investor: the "
        "amount stays returned to them; the processor's dispute fee of %(fee)s is deducted "
        "from your payout. If your payout is paid already, it is deducted from your next "
        "one."),
    ("lost", True, False): _l(
        "The bank decided the dispute of %(amount)s on %(title)s for the investor: the "
        "amount stays returned to them. If your payout is paid already, it is deducted from "
        "your next one."),
    ("warning_closed", False, False): _l(
        "The bank closed its inquiry about the charge of %(amount)s on %(title)s without a "
        "dispute: nothing is taken back, and the amount is released to your payout."),
}
_OUTCOME_WORD = {"won": _l("decided for you"), "lost": _l("decided against you"),
                 "warning_closed": _l("inquiry closed")}


def _founder_outcome(outcome: str, equity: bool, fee: bool):
    """The founder's text for ``outcome`` (the same for both kinds when it names no one;
    an inquiry closed has no fee)."""
    for key in ((outcome, equity, fee), (outcome, False, fee), (outcome, False, False)):
        if key in _FOUNDER_OUTCOME:
            return _FOUNDER_OUTCOME[key]
    raise KeyError(outcome)


def closed_to_founder(pledge: Pledge, dispute_id: str, amount: Money, fee: Money,
                      outcome: str) -> bool:
    campaign, founder = pledge.campaign, pledge.campaign.founder
    with written_for(founder):
        values = {"amount": amount.format(), "title": campaign.title, "fee": fee.format()}
        text = str(_founder_outcome(outcome, campaign.is_equity, bool(fee.amount))) % values
        word, inquiry = str(_OUTCOME_WORD[outcome]), outcome == "warning_closed"
        subject = (_("The inquiry about %(amount)s on %(title)s is closed", **values)
                   if inquiry else
                   _("Dispute of %(amount)s on %(title)s: %(outcome)s", outcome=word,
                     **values))
        return send("dispute_closed", f"dispute-{dispute_id}-{outcome}-founder", founder, Email(
            subject=subject, greeting=hello(founder), paragraphs=[text],
            facts=[pledge_facts(pledge)[0], _amount_fact(amount, inquiry),
                   (_("Outcome"), word),
                   *([(_("Dispute fee"), fee.format())] if fee.amount else [])],
            action=(_("See your payouts"), link("studio.payouts")), about=about(campaign)))


_BACKER_OUTCOME_WORD = {"won": _l("the charge stands"), "lost": _l("decided in your favour"),
                        "warning_closed": _l("inquiry closed")}
#: What the backer (False) or the investor (True) is told at the end, by outcome.
_BACKER_OUTCOME = {
    ("won", False): _l(
        "Your bank's dispute of the charge of %(amount)s for your pledge to %(title)s is "
        "closed: the bank decided the charge stands, so it stays on your card."),
    ("won", True): _l(
        "Your bank's dispute of the charge of %(amount)s for your investment in %(title)s is "
        "closed: the bank decided the charge stands, so it stays on your card."),
    ("lost", False): _l(
        "Your bank's dispute of the charge of %(amount)s for your pledge to %(title)s is "
        "closed in your favour: the amount stays returned to you."),
    ("lost", True): _l(
        "Your bank's dispute of the charge of %(amount)s for your investment in %(title)s is "
        "closed in your favour: the amount stays returned to you."),
    ("warning_closed", False): _l(
        "Your bank's inquiry about the charge of %(amount)s for your pledge to %(title)s is "
        "closed: the charge stands."),
    ("warning_closed", True): _l(
        "Your bank's inquiry about the charge of %(amount)s for your investment in %(title)s "
        "is closed: the charge stands."),
}


def closed_to_backer(pledge: Pledge, dispute_id: str, amount: Money, outcome: str) -> bool:
    backer, campaign = pledge.backer, pledge.campaign
    with written_for(backer):
        values = {"amount": amount.format(), "title": campaign.title}
        text = str(_BACKER_OUTCOME[outcome, campaign.is_equity]) % values
        see = _("See your investment") if campaign.is_equity else _("See your pledge")
        inquiry = outcome == "warning_closed"
        subject = (_("Your bank's inquiry about %(title)s is closed", **values) if inquiry
                   else _("Your bank's dispute about %(title)s is closed", **values))
        return send("dispute_closed", f"dispute-{dispute_id}-{outcome}-backer", backer, Email(
            subject=subject, greeting=hello(backer), paragraphs=[text],
            facts=[pledge_facts(pledge)[0], _amount_fact(amount, inquiry),
                   (_("Outcome"), str(_BACKER_OUTCOME_WORD[outcome]))],
            action=(see, link("pledges.show", pledge_id=pledge.id)), about=about(campaign)))
