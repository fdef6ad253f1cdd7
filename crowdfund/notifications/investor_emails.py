"""What investors are told: an investment confirmed, a milestone, an allocation cut, a
change to reconfirm, a commitment cancelled, an offering closing early. Queued in the outbox
like every email, each in its investor's language and time zone (``compose.written_for``):
the terms' names, the security and the allocation policy other features pass in lazily
become words there."""

from __future__ import annotations

from crowdfund.campaigns.models import Campaign
from crowdfund.filters import datetime_filter
from crowdfund.i18n import _, ngettext, number
from crowdfund.money import Money
from crowdfund.notifications.compose import (
    card_fact,
    hello,
    link,
    no_double_stop,
    pledge_facts,
    send,
    written_for,
)
from crowdfund.notifications.outbox import Email
from crowdfund.pledges.models import Pledge, PledgeStatus
from crowdfund.pledges.terms import investor_cancel_until


def _see_investment(pledge: Pledge) -> tuple[str, str]:
    return _("See your investment"), link("pledges.show", pledge_id=pledge.id)


def _see_offering(campaign: Campaign) -> tuple[str, str]:
    return _("See the offering"), link("campaigns.show", slug=campaign.slug)


def investment_confirmed(pledge: Pledge, *, security: str, price: Money | None,
                         cancel_until) -> bool:
    """An investment's card is saved: what was committed, on which terms, until when it
    can be cancelled (investments are not changed: cancelled, and made again).
    ``security``: its name (a lazy text is fine)."""
    campaign, investor = pledge.campaign, pledge.backer
    with written_for(investor):
        facts = [(_("Offering"), campaign.title), (_("Security"), str(security))]
        if pledge.shares:
            facts.append((_("Shares"), number(pledge.shares)))
        if price is not None:
            facts.append((_("Price per share"), price.format()))
        facts += [(_("Amount"), pledge.amount.format()), *card_fact(pledge)]
        thanks = _("Thank you for investing in %(title)s. Your card is saved and will be "
                   "charged %(amount)s only if the offering reaches its target of %(goal)s by "
                   "%(deadline)s. If it does not, nobody is charged anything.",
                   title=campaign.title, amount=pledge.amount.format(),
                   goal=campaign.goal.format(), deadline=datetime_filter(campaign.deadline))
        return send("investment_confirmed",
                    f"pledge-{pledge.id}-invested-{pledge.payment_method_id}", investor, Email(
                        subject=_("Your investment in %(title)s", title=campaign.title),
                        greeting=hello(investor),
                        paragraphs=[
                            no_double_stop(thanks, campaign.title),
                            _("You can cancel your investment for any reason until %(until)s "
                              "(48 hours before the deadline). An investment cannot be "
                              "changed: cancel it and invest again.",
                              until=datetime_filter(cancel_until))],
                        facts=facts, action=_see_investment(pledge), about="equity"))


def _allocated(pledge: Pledge, asked: Money) -> str:
    """What was left of a cut commitment, in a sentence."""
    values = {"asked": asked.format(), "amount": pledge.amount.format()}
    if pledge.status is PledgeStatus.RELEASED:
        return _("None of your commitment could be allocated: you will not be charged.")
    if pledge.shares:
        return ngettext("Of the %(asked)s you committed, %(amount)s was allocated (%(num)s "
                        "share); only that is charged.",
                        "Of the %(asked)s you committed, %(amount)s was allocated (%(num)s "
                        "shares); only that is charged.", pledge.shares, **values)
    return _("Of the %(asked)s you committed, %(amount)s was allocated; only that is "
             "charged.", **values)


def allocation_cut(pledge: Pledge, maximum: Money, policy: str) -> bool:
    """``policy``: how commitments were cut, completing "... so they were allocated ..." (a
    lazy text: said in the investor's language)."""
    asked = Money(pledge.committed_minor or pledge.amount_minor, pledge.currency)
    investor, title = pledge.backer, pledge.campaign.title
    with written_for(investor):
        released = pledge.status is PledgeStatus.RELEASED
        return send("allocation", f"pledge-{pledge.id}-allocation", investor, Email(
            subject=_("Your allocation in %(title)s", title=title), greeting=hello(investor),
            paragraphs=[_("%(title)s received more commitments than its maximum of "
                          "%(maximum)s, so they were allocated %(policy)s.", title=title,
                          maximum=maximum.format(), policy=str(policy)),
                        _allocated(pledge, asked)],
            facts=[(_("Offering"), title), (_("Committed"), asked.format()),
                   (_("Allocated"), _("nothing") if released else pledge.amount.format())],
            action=_see_investment(pledge), about="equity"))


def milestone(campaign: Campaign, percent: int, pledge: Pledge) -> bool:
    """Progress update required by Reg CF: the offering reached 50% or 100% of target."""
    investor = pledge.backer
    with written_for(investor):
        values = {"title": campaign.title, "percent": number(percent),
                  "goal": campaign.goal.format()}
        text = (_("%(title)s has reached %(percent)s%% of its target of %(goal)s. The "
                  "offering will close at its deadline; your card is charged then.", **values)
                if percent >= 100 else
                _("%(title)s has reached %(percent)s%% of its target of %(goal)s.", **values))
        return send("milestone",
                    f"campaign-{campaign.id}-milestone-{percent}-pledge-{pledge.id}", investor,
                    Email(subject=_("%(title)s reached %(percent)s%% of its target", **values),
                          greeting=hello(investor), paragraphs=[text],
                          facts=[(_("Offering"), campaign.title),
                                 (_("Target"), campaign.goal.format())],
                          action=_see_offering(campaign), about="equity"))


def reconfirm_needed(pledge: Pledge, change_id: int, summary: str, what: str, by) -> bool:
    """``summary``: the founder's words; ``what``: the names of the changed terms (a lazy
    text: said in the investor's language)."""
    investor = pledge.backer
    with written_for(investor):
        return send("reconfirm", f"pledge-{pledge.id}-change-{change_id}", investor, Email(
            subject=_("Please reconfirm your investment in %(title)s",
                      title=pledge.campaign.title),
            greeting=hello(investor),
            paragraphs=[_("The issuer changed material terms of the offering (%(what)s): "
                          "%(summary)s", what=str(what), summary=summary),
                        _("Your commitment of %(amount)s stands only if you reconfirm it by "
                          "%(by)s. If you do not, it is cancelled and you are not charged.",
                          amount=pledge.amount.format(), by=datetime_filter(by))],
            facts=pledge_facts(pledge),
            action=(_("Review and reconfirm"), link("pledges.show", pledge_id=pledge.id)),
            about="equity"))


def cancelled_unconfirmed(pledge: Pledge) -> bool:
    investor, title = pledge.backer, pledge.campaign.title
    with written_for(investor):
        return send("reconfirm_cancelled", f"pledge-{pledge.id}-unconfirmed-cancelled",
                    investor, Email(
                        subject=_("Your investment in %(title)s was cancelled", title=title),
                        greeting=hello(investor),
                        paragraphs=[_("The terms of %(title)s changed materially and you did "
                                      "not reconfirm your commitment within 5 business days, "
                                      "so it is cancelled. You will not be charged. You can "
                                      "invest again on the new terms.", title=title)],
                        facts=pledge_facts(pledge), action=_see_offering(pledge.campaign),
                        about="equity"))


def early_close(pledge: Pledge, new_deadline) -> bool:
    investor, title = pledge.backer, pledge.campaign.title
    with written_for(investor):
        cutoff = investor_cancel_until(new_deadline)
        return send("early_close", f"pledge-{pledge.id}-early-close-{new_deadline:%Y%m%d%H%M}",
                    investor, Email(
                        subject=_("%(title)s will close early", title=title),
                        greeting=hello(investor),
                        paragraphs=[_("%(title)s has reached its target and will close early, "
                                      "on %(when)s.", title=title,
                                      when=datetime_filter(new_deadline)),
                                    _("You can still cancel your commitment for any reason "
                                      "until %(until)s.", until=datetime_filter(cutoff))],
                        facts=pledge_facts(pledge), action=_see_investment(pledge),
                        about="equity"))
