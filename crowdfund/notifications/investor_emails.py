"""What investors are told: an investment confirmed, a milestone, an allocation cut, a
change to reconfirm, a commitment cancelled, an offering closing early. Queued in the outbox
like every email (``emails.py``)."""

from __future__ import annotations

from crowdfund.campaigns.models import Campaign
from crowdfund.filters import datetime_filter
from crowdfund.money import Money
from crowdfund.notifications.emails import hello, link, pledge_facts, send, sentence
from crowdfund.notifications.outbox import Email
from crowdfund.pledges.models import Pledge, PledgeStatus
from crowdfund.pledges.terms import investor_cancel_until


def investment_confirmed(pledge: Pledge, *, security: str, price: Money | None,
                         cancel_until) -> bool:
    """An investment's card is saved: what was committed, on which terms, until when it
    can be cancelled (investments are not changed: cancelled, and made again)."""
    campaign = pledge.campaign
    facts = [("Offering", campaign.title), ("Security", security)]
    if pledge.shares:
        facts.append(("Shares", f"{pledge.shares:,}"))
    if price is not None:
        facts.append(("Price per share", price.format()))
    facts.append(("Amount", pledge.amount.format()))
    if pledge.card_last4:
        facts.append(("Card", f"{(pledge.card_brand or 'card').title()} ending "
                              f"{pledge.card_last4}"))
    return send("investment_confirmed",
                 f"pledge-{pledge.id}-invested-{pledge.payment_method_id}", pledge.backer,
                 Email(subject=f"Your investment in {campaign.title}",
                       greeting=hello(pledge.backer),
                       paragraphs=[
                           f"Thank you for investing in {sentence(campaign.title)} Your card "
                           f"is saved and will be charged {pledge.amount.format()} only if the "
                           f"offering reaches its target of {campaign.goal.format()} by "
                           f"{datetime_filter(campaign.deadline)}. If it does not, nobody is "
                           "charged anything.",
                           "You can cancel your investment for any reason until "
                           f"{datetime_filter(cancel_until)} (48 hours before the deadline). "
                           "An investment cannot be changed: cancel it and invest again."],
                       facts=facts,
                       action=("See your investment",
                               link("pledges.show", pledge_id=pledge.id))))


def allocation_cut(pledge: Pledge, maximum: Money, policy: str) -> bool:
    asked = Money(pledge.committed_minor or pledge.amount_minor, pledge.currency)
    released = pledge.status is PledgeStatus.RELEASED
    text = (f"{pledge.campaign.title} received more commitments than its maximum of "
            f"{maximum.format()}, so they were allocated {policy}. ")
    text += ("None of your commitment could be allocated: you will not be charged."
             if released else
             f"Of the {asked.format()} you committed, {pledge.amount.format()} was allocated"
             + (f" ({pledge.shares:,} shares)" if pledge.shares else "")
             + "; only that is charged.")
    return send("allocation", f"pledge-{pledge.id}-allocation", pledge.backer, Email(
        subject=f"Your allocation in {pledge.campaign.title}", greeting=hello(pledge.backer),
        paragraphs=[text], facts=[("Offering", pledge.campaign.title),
                                  ("Committed", asked.format()),
                                  ("Allocated", "nothing" if released
                                   else pledge.amount.format())],
        action=("See your investment", link("pledges.show", pledge_id=pledge.id))))


def milestone(campaign: Campaign, percent: int, pledge: Pledge) -> bool:
    """Progress update required by Reg CF: the offering reached 50% or 100% of target."""
    text = (f"{campaign.title} has reached {percent}% of its target of "
            f"{campaign.goal.format()}." + (
                " The offering will close at its deadline; your card is charged then."
                if percent >= 100 else ""))
    return send("milestone", f"campaign-{campaign.id}-milestone-{percent}-pledge-{pledge.id}",
                 pledge.backer, Email(
        subject=f"{campaign.title} reached {percent}% of its target",
        greeting=hello(pledge.backer), paragraphs=[text],
        facts=[("Offering", campaign.title), ("Target", campaign.goal.format())],
        action=("See the offering", link("campaigns.show", slug=campaign.slug))))


def reconfirm_needed(pledge: Pledge, change_id: int, summary: str, what: str, by) -> bool:
    return send("reconfirm", f"pledge-{pledge.id}-change-{change_id}", pledge.backer, Email(
        subject=f"Please reconfirm your investment in {pledge.campaign.title}",
        greeting=hello(pledge.backer),
        paragraphs=[f"The issuer changed material terms of the offering ({what}): {summary}",
                    f"Your commitment of {pledge.amount.format()} stands only if you reconfirm "
                    f"it by {datetime_filter(by)}. If you do not, it is cancelled and you are "
                    "not charged."],
        facts=pledge_facts(pledge),
        action=("Review and reconfirm", link("pledges.show", pledge_id=pledge.id))))


def cancelled_unconfirmed(pledge: Pledge) -> bool:
    return send("reconfirm_cancelled", f"pledge-{pledge.id}-unconfirmed-cancelled",
                 pledge.backer, Email(
        subject=f"Your investment in {pledge.campaign.title} was cancelled",
        greeting=hello(pledge.backer),
        paragraphs=[f"The terms of {pledge.campaign.title} changed materially and you did not "
                    "reconfirm your commitment within 5 business days, so it is cancelled. "
                    "You will not be charged. You can invest again on the new terms."],
        facts=pledge_facts(pledge),
        action=("See the offering", link("campaigns.show", slug=pledge.campaign.slug))))


def early_close(pledge: Pledge, new_deadline) -> bool:
    cutoff = investor_cancel_until(new_deadline)
    return send("early_close", f"pledge-{pledge.id}-early-close-{new_deadline:%Y%m%d%H%M}",
                 pledge.backer, Email(
        subject=f"{pledge.campaign.title} will close early",
        greeting=hello(pledge.backer),
        paragraphs=[f"{pledge.campaign.title} has reached its target and will close early, on "
                    f"{datetime_filter(new_deadline)}.",
                    f"You can still cancel your commitment for any reason until "
                    f"{datetime_filter(cutoff)}."],
        facts=pledge_facts(pledge),
        action=("See your investment", link("pledges.show", pledge_id=pledge.id))))
