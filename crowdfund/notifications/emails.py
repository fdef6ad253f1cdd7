"""What each notification says. Every function queues one message (no commit), written in
its recipient's language and time zone (``compose.written_for``), whoever's request or job
sends it.

Links are absolute (PUBLIC_URL), so they work from a background job as from a request. A
message about an investment speaks of an investment, an offering and its target (never of
a pledge, a campaign's goal or backers): each such text is written out for both.
"""

from __future__ import annotations

from crowdfund.campaigns.models import Campaign
from crowdfund.db import utcnow
from crowdfund.filters import datetime_filter
from crowdfund.i18n import _, ngettext, number
from crowdfund.money import Money
from crowdfund.notifications import flexible_emails as flexible
from crowdfund.notifications.community_emails import (
    campaign_update,
    followed_campaign_ending,
    followed_campaign_outcome,
    followed_founder_launched,
    question_answered,
    question_asked,
)
from crowdfund.notifications.compose import (
    OPTIONAL_KINDS,
    about,
    hello,
    link,
    no_double_stop,
    pledge_facts,
    send,
    written_for,
)
from crowdfund.notifications.outbox import Email
from crowdfund.pledges.models import Pledge, PledgeStatus

__all__ = ["OPTIONAL_KINDS", "campaign_update", "followed_campaign_ending",
           "followed_campaign_outcome", "followed_founder_launched", "hello", "link",
           "pledge_facts", "question_answered", "question_asked", "send", "written_for"]


def _see_pledge(pledge: Pledge) -> tuple[str, str]:
    label = _("See your investment") if pledge.campaign.is_equity else _("See your pledge")
    return label, link("pledges.show", pledge_id=pledge.id)


def _see_campaign(campaign: Campaign) -> tuple[str, str]:
    label = _("See the offering") if campaign.is_equity else _("See the campaign")
    return label, link("campaigns.show", slug=campaign.slug)


def _see_yours(campaign: Campaign) -> tuple[str, str]:
    label = _("See your offering") if campaign.is_equity else _("See your campaign")
    return label, link("campaigns.show", slug=campaign.slug)


def pledge_confirmed(pledge: Pledge) -> bool:
    """A reward pledge's card is saved (an investment has its own message)."""
    campaign, backer = pledge.campaign, pledge.backer
    with written_for(backer):
        thanks = flexible.confirmed(pledge) if campaign.is_flexible else _(
            "Thank you for backing %(title)s. Your card is saved and will be charged "
            "%(amount)s only if the campaign reaches its goal of %(goal)s by %(deadline)s. If "
            "it does not, nobody is charged anything.", title=campaign.title,
            amount=pledge.amount.format(), goal=campaign.goal.format(),
            deadline=datetime_filter(campaign.deadline))
        return send("pledge_confirmed",
                    f"pledge-{pledge.id}-confirmed-{pledge.payment_method_id}", backer, Email(
                        subject=_("You back %(title)s", title=campaign.title),
                        greeting=hello(backer),
                        paragraphs=[no_double_stop(thanks, campaign.title),
                                    _("You can change or cancel your pledge until the "
                                      "deadline.")],
                        facts=pledge_facts(pledge), action=_see_pledge(pledge),
                        about=about(campaign)))


def _summary_facts(campaign: Campaign) -> list[tuple[str, str]]:
    """The campaign (offering) and its goal (target), as a founder's message shows them."""
    if campaign.is_equity:
        return [(_("Offering"), campaign.title), (_("Target"), campaign.goal.format())]
    return [(_("Campaign"), campaign.title), (_("Goal"), campaign.goal.format())]


def campaign_launched(campaign: Campaign) -> bool:
    """A campaign (an offering) went live: its founder is told until when it runs."""
    founder = campaign.founder
    with written_for(founder):
        values = {"title": campaign.title, "deadline": datetime_filter(campaign.deadline),
                  "goal": campaign.goal.format()}
        text = (_("%(title)s is live and taking investments until %(deadline)s. Share the "
                  "offering's page: investors are only charged if it reaches its target of "
                  "%(goal)s by then.", **values)
                if campaign.is_equity else flexible.launched(values) if campaign.is_flexible
                else _("%(title)s is live and taking pledges until %(deadline)s. Share it: "
                       "backers are only charged if you reach %(goal)s by then.", **values))
        return send("campaign_launched", f"campaign-{campaign.id}-launched", founder, Email(
            subject=_("%(title)s is live", **values),
            greeting=hello(founder), paragraphs=[text],
            facts=[*_summary_facts(campaign), (_("Deadline"), values["deadline"])],
            action=_see_yours(campaign), about=about(campaign)))


def campaign_approved(campaign: Campaign) -> bool:
    founder = campaign.founder
    with written_for(founder):
        when = (_("It launches on %(when)s.",
                  when=datetime_filter(campaign.scheduled_launch_at))
                if campaign.scheduled_launch_at else
                _("Launch it from your studio when you are ready: the deadline is counted "
                  "from then."))
        return send("campaign_approved",
                    f"campaign-{campaign.id}-approved-{utcnow():%Y%m%d%H%M%S}", founder, Email(
                        subject=_("%(title)s is approved", title=campaign.title),
                        greeting=hello(founder),
                        paragraphs=[no_double_stop(_("Our review team approved %(title)s.",
                                                     title=campaign.title), campaign.title),
                                    when],
                        facts=_summary_facts(campaign),
                        action=(_("Open your studio"),
                                link("studio.overview", campaign_id=campaign.id)),
                        about=about(campaign)))


def campaign_sent_back(campaign: Campaign, reason: str) -> bool:
    founder = campaign.founder
    with written_for(founder):
        return send("campaign_sent_back",
                    f"campaign-{campaign.id}-sent-back-{utcnow():%Y%m%d%H%M%S}", founder,
                    Email(subject=_("Changes requested for %(title)s", title=campaign.title),
                          greeting=hello(founder),
                          paragraphs=[_("Our review team asks for changes to %(title)s "
                                        "before it can launch:", title=campaign.title),
                                      reason,
                                      _("Make them in your studio and submit it again.")],
                          facts=_summary_facts(campaign)[:1],
                          action=(_("Open your studio"),
                                  link("studio.overview", campaign_id=campaign.id)),
                          about=about(campaign)))


def _founder_outcome(campaign: Campaign, funded: bool, pledged: Money,
                     backers: int) -> tuple[str, str]:
    """The subject and the text of the founder's outcome message."""
    values = {"title": campaign.title, "pledged": pledged.format(),
              "goal": campaign.goal.format()}
    if campaign.is_equity and funded:
        return (_("%(title)s reached its target", **values), ngettext(
            "Congratulations: %(title)s reached %(pledged)s of its %(goal)s target from "
            "%(num)s investor. Cards are being charged now; investors whose payment fails "
            "have 7 days to fix it. Your payout follows when the collection window closes.",
            "Congratulations: %(title)s reached %(pledged)s of its %(goal)s target from "
            "%(num)s investors. Cards are being charged now; investors whose payment fails "
            "have 7 days to fix it. Your payout follows when the collection window closes.",
            backers, **values))
    if campaign.is_equity:
        return (_("%(title)s did not reach its target", **values),
                _("%(title)s ended with %(pledged)s of its %(goal)s target. No investor is "
                  "charged, and every saved card is released.", **values))
    if funded:
        return (_("%(title)s is funded", **values), ngettext(
            "Congratulations: %(title)s reached %(pledged)s of its %(goal)s goal from "
            "%(num)s backer. Cards are being charged now; backers whose payment fails have "
            "7 days to fix it. Your payout follows when the collection window closes.",
            "Congratulations: %(title)s reached %(pledged)s of its %(goal)s goal from "
            "%(num)s backers. Cards are being charged now; backers whose payment fails have "
            "7 days to fix it. Your payout follows when the collection window closes.",
            backers, **values))
    return (_("%(title)s did not reach its goal", **values),
            _("%(title)s ended with %(pledged)s of its %(goal)s goal. All or nothing: no "
              "backer is charged, and every saved card is released.", **values))


def campaign_outcome_founder(campaign: Campaign, pledged: Money, backers: int) -> bool:
    founder = campaign.founder
    funded = campaign.pledged_at_deadline_minor is not None and pledged >= campaign.goal
    with written_for(founder):
        subject, text = (flexible.founder_outcome(campaign, pledged, backers)
                         or _founder_outcome(campaign, funded, pledged, backers))
        facts = ([(_("Offering"), campaign.title),
                  (_("Committed in total"), pledged.format()),
                  (_("Target"), campaign.goal.format()), (_("Investors"), number(backers))]
                 if campaign.is_equity else
                 [(_("Campaign"), campaign.title), (_("Pledged"), pledged.format()),
                  (_("Goal"), campaign.goal.format()), (_("Backers"), number(backers))])
        return send("campaign_outcome", f"campaign-{campaign.id}-outcome-founder", founder,
                    Email(subject=subject, greeting=hello(founder), paragraphs=[text],
                          facts=facts, action=_see_yours(campaign), about=about(campaign)))


def _backer_outcome(pledge: Pledge, funded: bool) -> tuple[str, str]:
    """The subject and the text of a backer's (an investor's) outcome message."""
    campaign = pledge.campaign
    values = {"title": campaign.title, "amount": pledge.amount.format(),
              "goal": campaign.goal.format()}
    if funded and campaign.is_equity:
        return (_("%(title)s reached its target", **values),
                _("%(title)s reached its target. Your card will be charged %(amount)s now; "
                  "we will send a receipt.", **values))
    if funded:
        return (_("%(title)s is funded", **values),
                _("%(title)s reached its goal. Your card will be charged %(amount)s now; we "
                  "will send a receipt.", **values))
    if campaign.is_equity:
        return (_("%(title)s did not reach its target", **values),
                _("%(title)s did not reach its target of %(goal)s. You have not been charged "
                  "and will not be; your saved card is released.", **values))
    return (_("%(title)s did not reach its goal", **values),
            _("%(title)s did not reach its goal of %(goal)s. You have not been charged and "
              "will not be; your saved card is released.", **values))


def campaign_outcome_backer(pledge: Pledge, funded: bool) -> bool:
    backer = pledge.backer
    with written_for(backer):
        subject, text = flexible.backer_outcome(pledge, funded) or _backer_outcome(pledge,
                                                                                    funded)
        return send("campaign_outcome", f"pledge-{pledge.id}-outcome", backer, Email(
            subject=subject, greeting=hello(backer), paragraphs=[text],
            facts=pledge_facts(pledge), action=_see_campaign(pledge.campaign),
            about=about(pledge.campaign)))


def receipt(pledge: Pledge, amount: Money, payment_intent_id: str | None) -> bool:
    backer, title = pledge.backer, pledge.campaign.title
    with written_for(backer):
        charged = amount.format()
        text = (_("Your card was charged %(amount)s for your investment in %(title)s. Thank "
                  "you for making it happen.", amount=charged, title=title)
                if pledge.campaign.is_equity else
                _("Your card was charged %(amount)s for your pledge to %(title)s. Thank you "
                  "for making it happen.", amount=charged, title=title))
        return send("receipt", f"pledge-{pledge.id}-receipt", backer, Email(
            subject=_("Receipt: %(amount)s for %(title)s", amount=charged, title=title),
            greeting=hello(backer), paragraphs=[no_double_stop(text, title)],
            facts=[*pledge_facts(pledge), (_("Charged"), charged),
                   (_("Payment reference"), payment_intent_id or "")],
            action=_see_pledge(pledge), about=about(pledge.campaign)))


def _fix_text(pledge: Pledge) -> str:
    if pledge.status is PledgeStatus.AUTHENTICATION_REQUIRED:
        return _("Your bank asks you to confirm this payment (3-D Secure). It takes a "
                 "minute: open the link below and complete the check.")
    return _("Your card was declined. Open the link below to try again with another card.")


def _fix_action(pledge: Pledge) -> tuple[str, str]:
    return _("Fix your payment"), link("pledges.pay", pledge_id=pledge.id)


def payment_failed(pledge: Pledge, deadline) -> bool:
    backer = pledge.backer
    with written_for(backer):
        values = {"title": pledge.campaign.title, "amount": pledge.amount.format(),
                  "deadline": datetime_filter(deadline)}
        if pledge.campaign.is_equity:
            failed = _("%(title)s reached its target, but we could not collect your "
                       "investment of %(amount)s.", **values)
            until = _("You have until %(deadline)s; after that the investment is dropped and "
                      "no securities are issued to you.", **values)
        else:
            failed = flexible.payment_failed(pledge, values) or _(
                "%(title)s reached its goal, but we could not collect your pledge of "
                "%(amount)s.", **values)
            until = _("You have until %(deadline)s; after that the pledge is dropped and any "
                      "limited reward goes to someone else.", **values)
        return send("payment_failed", f"pledge-{pledge.id}-payment-failed", backer, Email(
            subject=_("Action needed: your payment for %(title)s", **values),
            greeting=hello(backer), paragraphs=[failed, _fix_text(pledge), until],
            facts=pledge_facts(pledge), action=_fix_action(pledge),
            about=about(pledge.campaign)))


def payment_reminder(pledge: Pledge, number: int, deadline) -> bool:
    backer = pledge.backer
    with written_for(backer):
        values = {"title": pledge.campaign.title, "amount": pledge.amount.format()}
        if pledge.campaign.is_equity:
            subject = _("Reminder: your investment in %(title)s is not paid yet", **values)
            text = _("Your investment of %(amount)s in %(title)s still needs your attention.",
                     **values)
        else:
            subject = _("Reminder: your pledge to %(title)s is not paid yet", **values)
            text = _("Your pledge of %(amount)s to %(title)s still needs your attention.",
                     **values)
        return send("payment_reminder", f"pledge-{pledge.id}-reminder-{number}", backer, Email(
            subject=subject, greeting=hello(backer),
            paragraphs=[text, _fix_text(pledge),
                        _("It will be dropped after %(deadline)s.",
                          deadline=datetime_filter(deadline))],
            facts=pledge_facts(pledge), action=_fix_action(pledge),
            about=about(pledge.campaign)))


def pledge_dropped(pledge: Pledge) -> bool:
    backer = pledge.backer
    with written_for(backer):
        values = {"title": pledge.campaign.title, "amount": pledge.amount.format()}
        if pledge.campaign.is_equity:
            subject = _("Your investment in %(title)s was dropped", **values)
            text = _("We could not collect your investment of %(amount)s in %(title)s within "
                     "the 7 days after the offering ended, so it is dropped. You have not "
                     "been charged.", **values)
        else:
            subject = _("Your pledge to %(title)s was dropped", **values)
            text = _("We could not collect your pledge of %(amount)s to %(title)s within the "
                     "7 days after the campaign ended, so it is dropped. You have not been "
                     "charged.", **values)
        return send("pledge_dropped", f"pledge-{pledge.id}-dropped", backer, Email(
            subject=subject, greeting=hello(backer), paragraphs=[text],
            facts=pledge_facts(pledge), action=_see_campaign(pledge.campaign),
            about=about(pledge.campaign)))


def refund_issued(pledge: Pledge, refund_id: int, amount: Money, reason: str) -> bool:
    """``reason``: as the founder or operator wrote it."""
    backer = pledge.backer
    with written_for(backer):
        values = {"title": pledge.campaign.title, "amount": amount.format()}
        text = (_("We refunded %(amount)s of your investment in %(title)s to the card you "
                  "paid with. Banks usually show it within 5 to 10 days.", **values)
                if pledge.campaign.is_equity else
                _("We refunded %(amount)s of your pledge to %(title)s to the card you paid "
                  "with. Banks usually show it within 5 to 10 days.", **values))
        return send("refund_issued", f"refund-{refund_id}-issued", backer, Email(
            subject=_("Refund of %(amount)s from %(title)s", **values),
            greeting=hello(backer),
            paragraphs=[text, *([_("Reason: %(reason)s", reason=reason)] if reason else [])],
            facts=[*pledge_facts(pledge), (_("Refunded"), amount.format()),
                   (_("Refunded in total"), pledge.refunded.format())],
            action=_see_pledge(pledge), about=about(pledge.campaign)))


def payout_paid(campaign: Campaign, amount: Money) -> bool:
    founder = campaign.founder
    with written_for(founder):
        values = {"title": campaign.title, "amount": amount.format()}
        text = (_("Your payout of %(amount)s for %(title)s is on its way: what your investors "
                  "paid, less the platform fee, processing fees and any refunds.", **values)
                if campaign.is_equity else
                _("Your payout of %(amount)s for %(title)s is on its way: what your backers "
                  "paid, less the platform fee, processing fees and any refunds.", **values))
        return send("payout_paid", f"campaign-{campaign.id}-payout-paid", founder, Email(
            subject=_("Payout of %(amount)s for %(title)s", **values),
            greeting=hello(founder), paragraphs=[text],
            facts=[(_("Offering") if campaign.is_equity else _("Campaign"), campaign.title),
                   (_("Payout"), amount.format())],
            action=_see_yours(campaign), about=about(campaign)))


def card_health(pledge: Pledge, notice: str, reason: str) -> bool:
    """Before the deadline: the saved card will not work then (``notice`` is "7d"/"48h";
    ``reason``: why, already in the backer's words)."""
    campaign, backer = pledge.campaign, pledge.backer
    with written_for(backer):
        values = {"title": campaign.title, "deadline": datetime_filter(campaign.deadline),
                  "reason": reason}
        if campaign.is_equity:
            texts = [_("%(title)s ends %(deadline)s, and your investment is charged then if "
                       "it reaches its target. %(reason)s", **values),
                     _("Save a card that will work then, so your investment counts. Nothing "
                       "is charged now.")]
        else:
            texts = [flexible.card_health(values) if campaign.is_flexible else
                     _("%(title)s ends %(deadline)s, and your pledge is charged then if it "
                       "reaches its goal. %(reason)s", **values),
                     _("Save a card that will work then, so your pledge counts. Nothing is "
                       "charged now.")]
        return send("card_health", f"pledge-{pledge.id}-card-health-{notice}", backer, Email(
            subject=_("Update your card for %(title)s", **values),
            greeting=hello(backer), paragraphs=texts, facts=pledge_facts(pledge),
            action=(_("Update your card"), link("pledges.card", pledge_id=pledge.id)),
            about=about(campaign)))
