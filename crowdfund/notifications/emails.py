"""What each notification says. Every function queues one message (no commit).

Links are absolute (PUBLIC_URL), so they work from a background job as from a request.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from crowdfund.auth import email_choices
from crowdfund.auth.models import User
from crowdfund.campaigns.models import Campaign
from crowdfund.db import utcnow
from crowdfund.filters import counted, datetime_filter
from crowdfund.money import Money
from crowdfund.notifications.links import link
from crowdfund.notifications.outbox import Email, queue
from crowdfund.pledges.models import Pledge, PledgeStatus

#: The kinds of message a person may turn off, and their category (``email_choices``);
#: every other kind is transactional and always sent.
OPTIONAL_KINDS = {"campaign_update": "updates", "question_answered": "comments",
                  "question": "comments", "follow_launch": "followed",
                  "follow_ending": "followed", "follow_outcome": "followed"}


def send(kind: str, key: str, to: User, email: Email) -> bool:
    """Queue ``email`` to ``to``: unless it is of a kind they turned off; such a message
    carries its unsubscribe link. False when not queued."""
    category = OPTIONAL_KINDS.get(kind)
    if category is not None:
        if not email_choices.wants(to, category):
            return False
        email = replace(email, unsubscribe=(
            email_choices.CATEGORIES[category].label.lower(),
            link("auth.unsubscribe", token=email_choices.unsubscribe_token(to, category))))
    return queue(kind, key, to.email, to.display_name, email, recipient_id=to.id)


def hello(user: User) -> str:
    return f"Hello {user.display_name},"


@dataclass(frozen=True)
class Words:
    """How a backer's email names things: a reward pledge, or an investment."""

    noun: str  # what the person made
    project: str  # what they made it in
    goal: str  # what has to be reached
    see: str  # the button to its page
    to: str  # "your pledge to ...", "your investment in ..."


REWARD_WORDS = Words("pledge", "campaign", "goal", "See your pledge", "to")
INVESTMENT_WORDS = Words("investment", "offering", "target", "See your investment", "in")


def words(pledge: Pledge) -> Words:
    return INVESTMENT_WORDS if pledge.campaign.is_equity else REWARD_WORDS


def pledge_facts(pledge: Pledge) -> list[tuple[str, str]]:
    if pledge.campaign.is_equity:
        facts = [("Offering", pledge.campaign.title), ("Investment", pledge.amount.format())]
        if pledge.shares:
            facts.append(("Shares", f"{pledge.shares:,}"))
        return facts + _card_fact(pledge)
    facts = [("Campaign", pledge.campaign.title), ("Pledge", pledge.amount.format())]
    if pledge.tier is not None:
        facts.append(("Reward", pledge.tier.title))
    if pledge.shipping_minor:
        facts.append(("Shipping included", pledge.shipping.format()))
    return facts + _card_fact(pledge)


def _card_fact(pledge: Pledge) -> list[tuple[str, str]]:
    if not pledge.card_last4:
        return []
    return [("Card", f"{(pledge.card_brand or 'card').title()} ending {pledge.card_last4}")]


def sentence(text: str) -> str:
    """``text`` ending a sentence: one full stop, even after "Fernwood Cider Co."."""
    return text if text.endswith((".", "!", "?")) else f"{text}."


def pledge_confirmed(pledge: Pledge) -> bool:
    campaign = pledge.campaign
    return send("pledge_confirmed", f"pledge-{pledge.id}-confirmed-{pledge.payment_method_id}",
                 pledge.backer, Email(
        subject=f"You back {campaign.title}",
        greeting=hello(pledge.backer),
        paragraphs=[f"Thank you for backing {sentence(campaign.title)} Your card is saved "
                    f"and will be charged {pledge.amount.format()} only if the campaign "
                    f"reaches its goal of {campaign.goal.format()} by "
                    f"{datetime_filter(campaign.deadline)}. "
                    "If it does not, nobody is charged anything.",
                    "You can change or cancel your pledge until the deadline."],
        facts=pledge_facts(pledge),
        action=("See your pledge", link("pledges.show", pledge_id=pledge.id))))


def campaign_launched(campaign: Campaign) -> bool:
    return send("campaign_launched", f"campaign-{campaign.id}-launched", campaign.founder, Email(
        subject=f"{campaign.title} is live",
        greeting=hello(campaign.founder),
        paragraphs=[f"{campaign.title} is live and taking pledges until "
                    f"{datetime_filter(campaign.deadline)}. Share it: backers are only charged "
                    f"if you reach {campaign.goal.format()} by then."],
        facts=[("Campaign", campaign.title), ("Goal", campaign.goal.format()),
               ("Deadline", datetime_filter(campaign.deadline))],
        action=("See your campaign", link("campaigns.show", slug=campaign.slug))))


def campaign_approved(campaign: Campaign) -> bool:
    when = (f"It launches on {datetime_filter(campaign.scheduled_launch_at)}."
            if campaign.scheduled_launch_at else
            "Launch it from your studio when you are ready: the deadline is counted from then.")
    return send("campaign_approved", f"campaign-{campaign.id}-approved-{utcnow():%Y%m%d%H%M%S}",
                 campaign.founder, Email(
                     subject=f"{campaign.title} is approved",
                     greeting=hello(campaign.founder),
                     paragraphs=[f"Our review team approved {campaign.title}.", when],
                     facts=[("Campaign", campaign.title), ("Goal", campaign.goal.format())],
                     action=("Open your studio", link("studio.overview",
                                                      campaign_id=campaign.id))))


def campaign_sent_back(campaign: Campaign, reason: str) -> bool:
    return send("campaign_sent_back",
                 f"campaign-{campaign.id}-sent-back-{utcnow():%Y%m%d%H%M%S}", campaign.founder,
                 Email(subject=f"Changes requested for {campaign.title}",
                       greeting=hello(campaign.founder),
                       paragraphs=[f"Our review team asks for changes to {campaign.title} "
                                   "before it can launch:", reason,
                                   "Make them in your studio and submit it again."],
                       facts=[("Campaign", campaign.title)],
                       action=("Open your studio", link("studio.overview",
                                                        campaign_id=campaign.id))))


def _backers(campaign: Campaign, count: int) -> str:
    """ "12 backers", "1 investor"."""
    if campaign.is_equity:
        return counted(count, "investor", "investors")
    return counted(count, "backer", "backers")


def campaign_outcome_founder(campaign: Campaign, pledged: Money, backers: int) -> bool:
    funded = campaign.pledged_at_deadline_minor is not None and pledged >= campaign.goal
    if funded:
        subject = f"{campaign.title} is funded"
        text = (f"Congratulations: {campaign.title} reached {pledged.format()} of its "
                f"{campaign.goal.format()} goal from {_backers(campaign, backers)}. Cards are "
                "being charged now; backers whose payment fails have 7 days to fix it. Your "
                "payout follows when the collection window closes.")
    else:
        subject = f"{campaign.title} did not reach its goal"
        text = (f"{campaign.title} ended with {pledged.format()} of its "
                f"{campaign.goal.format()} goal. All or nothing: no backer is charged, and "
                "every saved card is released.")
    return send("campaign_outcome", f"campaign-{campaign.id}-outcome-founder", campaign.founder,
                 Email(subject=subject, greeting=hello(campaign.founder), paragraphs=[text],
                       facts=[("Campaign", campaign.title), ("Pledged", pledged.format()),
                              ("Goal", campaign.goal.format()), ("Backers", str(backers))],
                       action=("See your campaign", link("campaigns.show", slug=campaign.slug))))


def campaign_outcome_backer(pledge: Pledge, funded: bool) -> bool:
    campaign, w = pledge.campaign, words(pledge)
    if funded:
        subject = f"{campaign.title} is funded"
        text = (f"{campaign.title} reached its {w.goal}. Your card will be charged "
                f"{pledge.amount.format()} now; we will send a receipt.")
    else:
        subject = f"{campaign.title} did not reach its {w.goal}"
        text = (f"{campaign.title} did not reach its {w.goal} of {campaign.goal.format()}. "
                "You have not been charged and will not be; your saved card is released.")
    return send("campaign_outcome", f"pledge-{pledge.id}-outcome", pledge.backer, Email(
        subject=subject, greeting=hello(pledge.backer), paragraphs=[text],
        facts=pledge_facts(pledge),
        action=("See the campaign", link("campaigns.show", slug=campaign.slug))))


def receipt(pledge: Pledge, amount: Money, payment_intent_id: str | None) -> bool:
    w = words(pledge)
    return send("receipt", f"pledge-{pledge.id}-receipt", pledge.backer, Email(
        subject=f"Receipt: {amount.format()} for {pledge.campaign.title}",
        greeting=hello(pledge.backer),
        paragraphs=[f"Your card was charged {amount.format()} for your {w.noun} {w.to} "
                    f"{sentence(pledge.campaign.title)} Thank you for making it happen."],
        facts=[*pledge_facts(pledge), ("Charged", amount.format()),
               ("Payment reference", payment_intent_id or "")],
        action=(w.see, link("pledges.show", pledge_id=pledge.id))))


def _fix_text(pledge: Pledge) -> str:
    if pledge.status is PledgeStatus.AUTHENTICATION_REQUIRED:
        return ("Your bank asks you to confirm this payment (3-D Secure). It takes a minute: "
                "open the link below and complete the check.")
    return ("Your card was declined. Open the link below to try again with another card.")


def payment_failed(pledge: Pledge, deadline) -> bool:
    w = words(pledge)
    after = ("any limited reward goes to someone else" if w is REWARD_WORDS
             else "no securities are issued to you")
    return send("payment_failed", f"pledge-{pledge.id}-payment-failed", pledge.backer, Email(
        subject=f"Action needed: your payment for {pledge.campaign.title}",
        greeting=hello(pledge.backer),
        paragraphs=[f"{pledge.campaign.title} reached its {w.goal}, but we could not collect "
                    f"your {w.noun} of {pledge.amount.format()}.", _fix_text(pledge),
                    f"You have until {datetime_filter(deadline)}; after that the {w.noun} is "
                    f"dropped and {after}."],
        facts=pledge_facts(pledge),
        action=("Fix your payment", link("pledges.pay", pledge_id=pledge.id))))


def payment_reminder(pledge: Pledge, number: int, deadline) -> bool:
    w = words(pledge)
    return send("payment_reminder", f"pledge-{pledge.id}-reminder-{number}", pledge.backer, Email(
        subject=f"Reminder: your {w.noun} {w.to} {pledge.campaign.title} is not paid yet",
        greeting=hello(pledge.backer),
        paragraphs=[f"Your {w.noun} of {pledge.amount.format()} {w.to} "
                    f"{pledge.campaign.title} still needs your attention.",
                    _fix_text(pledge),
                    f"It will be dropped after {datetime_filter(deadline)}."],
        facts=pledge_facts(pledge),
        action=("Fix your payment", link("pledges.pay", pledge_id=pledge.id))))


def pledge_dropped(pledge: Pledge) -> bool:
    w = words(pledge)
    return send("pledge_dropped", f"pledge-{pledge.id}-dropped", pledge.backer, Email(
        subject=f"Your {w.noun} {w.to} {pledge.campaign.title} was dropped",
        greeting=hello(pledge.backer),
        paragraphs=[f"We could not collect your {w.noun} of {pledge.amount.format()} {w.to} "
                    f"{pledge.campaign.title} within the 7 days after the {w.project} ended, "
                    "so it is dropped. You have not been charged."],
        facts=pledge_facts(pledge),
        action=("See the campaign", link("campaigns.show", slug=pledge.campaign.slug))))


def refund_issued(pledge: Pledge, refund_id: int, amount: Money, reason: str) -> bool:
    w = words(pledge)
    return send("refund_issued", f"refund-{refund_id}-issued", pledge.backer, Email(
        subject=f"Refund of {amount.format()} from {pledge.campaign.title}",
        greeting=hello(pledge.backer),
        paragraphs=[f"We refunded {amount.format()} of your {w.noun} {w.to} "
                    f"{pledge.campaign.title} to the card you paid with. Banks usually show it "
                    "within 5 to 10 days.",
                    *([f"Reason: {reason}"] if reason else [])],
        facts=[*pledge_facts(pledge), ("Refunded", amount.format()),
               ("Refunded in total", pledge.refunded.format())],
        action=(w.see, link("pledges.show", pledge_id=pledge.id))))


def payout_paid(campaign: Campaign, amount: Money) -> bool:
    return send("payout_paid", f"campaign-{campaign.id}-payout-paid", campaign.founder, Email(
        subject=f"Payout of {amount.format()} for {campaign.title}",
        greeting=hello(campaign.founder),
        paragraphs=[f"Your payout of {amount.format()} for {campaign.title} is on its way: "
                    "what your backers paid, less the platform fee, processing fees and any "
                    "refunds."],
        facts=[("Campaign", campaign.title), ("Payout", amount.format())],
        action=("See your campaign", link("campaigns.show", slug=campaign.slug))))


def campaign_update(campaign: Campaign, update, to: User) -> bool:
    """An update, to a backer (who may read backers-only ones) or, public ones only, to a
    follower. The text is the founder's Markdown as plain text; links go to the page."""
    kind = "Backers-only update" if update.backers_only else "Update"
    return send("campaign_update", f"update-{update.id}-user-{to.id}", to, Email(
        subject=f"{kind} #{update.number} from {campaign.title}: {update.title}",
        greeting=hello(to), paragraphs=[update.title, update.body_md],
        facts=[("Campaign", campaign.title)],
        action=("Read it on the campaign page",
                link("campaigns.show", slug=campaign.slug) + f"#update-{update.number}")))


def _unfollow_note() -> str:
    return "You get this because you follow it; unfollow from its page at any time."


def followed_founder_launched(campaign: Campaign, to: User) -> bool:
    founder = campaign.founder
    return send("follow_launch", f"campaign-{campaign.id}-launched-user-{to.id}", to, Email(
        subject=f"{founder.display_name} launched {campaign.title}",
        greeting=hello(to),
        paragraphs=[f"{founder.display_name}, whom you follow, launched {campaign.title}: "
                    f"{campaign.blurb}",
                    f"It is all or nothing: it needs {campaign.goal.format()} by "
                    f"{datetime_filter(campaign.deadline)}.", _unfollow_note()],
        facts=[("Campaign", campaign.title), ("Goal", campaign.goal.format()),
               ("Deadline", datetime_filter(campaign.deadline))],
        action=("See the campaign", link("campaigns.show", slug=campaign.slug))))


def followed_campaign_ending(campaign: Campaign, to: User) -> bool:
    return send("follow_ending", f"campaign-{campaign.id}-ending-user-{to.id}", to, Email(
        subject=f"{campaign.title} ends soon",
        greeting=hello(to),
        paragraphs=[f"{campaign.title} ends {datetime_filter(campaign.deadline)}. If you "
                    "want to back it, now is the time.", _unfollow_note()],
        facts=[("Campaign", campaign.title), ("Goal", campaign.goal.format()),
               ("Deadline", datetime_filter(campaign.deadline))],
        action=("See the campaign", link("campaigns.show", slug=campaign.slug))))


def followed_campaign_outcome(campaign: Campaign, to: User, funded: bool) -> bool:
    text = (f"{campaign.title} reached its goal of {campaign.goal.format()}."
            if funded else
            f"{campaign.title} did not reach its goal of {campaign.goal.format()}; "
            "nobody was charged.")
    return send("follow_outcome", f"campaign-{campaign.id}-outcome-user-{to.id}", to, Email(
        subject=f"{campaign.title} is {'funded' if funded else 'not funded'}",
        greeting=hello(to), paragraphs=[text, _unfollow_note()],
        facts=[("Campaign", campaign.title)],
        action=("See the campaign", link("campaigns.show", slug=campaign.slug))))


def card_health(pledge: Pledge, notice: str, reason: str) -> bool:
    """Before the deadline: the saved card will not work then (``notice`` is "7d"/"48h")."""
    campaign, w = pledge.campaign, words(pledge)
    return send("card_health", f"pledge-{pledge.id}-card-health-{notice}", pledge.backer, Email(
        subject=f"Update your card for {campaign.title}",
        greeting=hello(pledge.backer),
        paragraphs=[f"{campaign.title} ends {datetime_filter(campaign.deadline)}, and your "
                    f"{w.noun} is charged then if it reaches its {w.goal}. {reason}",
                    f"Save a card that will work then, so your {w.noun} counts. Nothing is "
                    "charged now."],
        facts=pledge_facts(pledge),
        action=("Update your card", link("pledges.card", pledge_id=pledge.id))))


def question_answered(campaign: Campaign, answer, question) -> bool:
    """The founder replied to someone's question."""
    return send("question_answered", f"comment-{answer.id}-answer", question.author, Email(
        subject=f"{campaign.founder.display_name} answered your question",
        greeting=hello(question.author),
        paragraphs=["You asked:", question.body,
                    f"{campaign.founder.display_name} (the founder) answered:", answer.body],
        facts=[("Campaign", campaign.title)],
        action=("See the conversation", link("campaigns.show", slug=campaign.slug) +
                f"#comment-{question.id}")))


def question_asked(campaign: Campaign, comment) -> bool:
    """A question for the founder: answering in public helps every backer."""
    return send("question", f"comment-{comment.id}-question", campaign.founder, Email(
        subject=f"A question about {campaign.title}",
        greeting=hello(campaign.founder),
        paragraphs=[f"{comment.author.display_name} asked:", comment.body,
                    "Reply on the campaign page: your answer is marked as the founder's."],
        facts=[("Campaign", campaign.title)],
        action=("Answer it", link("campaigns.show", slug=campaign.slug) +
                f"#comment-{comment.id}")))
