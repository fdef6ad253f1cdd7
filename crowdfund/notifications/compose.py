"""What every email is made of, and how it is queued in its recipient's language.

Each message is written in its recipient's language and time zone (``User.locale`` and
``User.timezone``, else DEFAULT_LOCALE and DEFAULT_TIMEZONE), whoever's request or job
sends it: a founder's refund tells an English backer in English, the settle loop writes
each backer's receipt in their own words. A builder makes every text of its message (the
subject, paragraphs, facts, the action's label; dates through the filters, amounts through
``Money.format()``) inside ``written_for(recipient)``, and ``send`` renders the message
there too (the layouts' greeting, footer and unsubscribe line: ``outbox.queue`` renders a
message as it is queued, in a batch too). A lazy text another feature passes in (an
allocation policy, the names of changed terms, a security's name) turns into words inside
it as well.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import replace

from crowdfund.auth import email_choices
from crowdfund.auth.models import User
from crowdfund.campaigns.models import Campaign
from crowdfund.i18n import _, in_language_of, number
from crowdfund.notifications.links import link
from crowdfund.notifications.outbox import Email, queue
from crowdfund.pledges.models import Pledge

__all__ = ["OPTIONAL_KINDS", "Email", "about", "card_fact", "hello", "link", "no_double_stop",
           "pledge_facts", "send", "written_for"]

#: The kinds of message a person may turn off, and their category (``email_choices``);
#: every other kind is transactional and always sent.
OPTIONAL_KINDS = {"campaign_update": "updates", "question_answered": "comments",
                  "question": "comments", "follow_launch": "followed",
                  "follow_ending": "followed", "follow_outcome": "followed"}


def written_for(user: User) -> AbstractContextManager[None]:
    """Texts, dates and amounts made inside are in ``user``'s language and time zone."""
    return in_language_of(user.locale, user.timezone)


def send(kind: str, key: str, to: User, email: Email) -> bool:
    """Queue ``email`` to ``to``: unless it is of a kind they turned off; such a message
    carries its unsubscribe link. False when not queued. ``email`` is made inside
    ``written_for(to)`` by the caller; it is rendered there."""
    with written_for(to):
        category = OPTIONAL_KINDS.get(kind)
        if category is not None:
            if not email_choices.wants(to, category):
                return False
            what = str(email_choices.CATEGORIES[category].label)
            email = replace(email, unsubscribe=(
                what[:1].lower() + what[1:],
                link("auth.unsubscribe", token=email_choices.unsubscribe_token(to, category))))
        return queue(kind, key, to.email, to.display_name, email, recipient_id=to.id)


def about(campaign: Campaign) -> str:
    """What a message about ``campaign`` is about, for its footer (``Email.about``): a
    flexible campaign's never promises all or nothing."""
    if campaign.is_equity:
        return "equity"
    return "flexible" if campaign.is_flexible else "reward"


def hello(user: User) -> str:
    """The greeting of a message to ``user`` (in the language of the place it is made)."""
    return _("Hello %(name)s,", name=user.display_name)


def no_double_stop(text: str, title: str) -> str:
    """``text`` without a doubled full stop where a sentence of it ends with ``title``
    ("Thank you for backing Fernwood Cider Co. Your card...", never "Co.. Your card")."""
    if title.endswith((".", "!", "?")):
        return text.replace(f"{title}.", title)
    return text


def card_fact(pledge: Pledge) -> list[tuple[str, str]]:
    """The card a pledge or investment is paid with, if one is saved."""
    if not pledge.card_last4:
        return []
    if pledge.card_brand_name:
        ending = _("%(brand)s ending %(last4)s", brand=pledge.card_brand_name,
                   last4=pledge.card_last4)
    else:
        ending = _("Card ending %(last4)s", last4=pledge.card_last4)
    return [(_("Card"), ending)]


def pledge_facts(pledge: Pledge) -> list[tuple[str, str]]:
    """What a backer's (or an investor's) message shows of their pledge (investment)."""
    campaign = pledge.campaign
    if campaign.is_equity:
        facts = [(_("Offering"), campaign.title), (_("Investment"), pledge.amount.format())]
        if pledge.shares:
            facts.append((_("Shares"), number(pledge.shares)))
        return facts + card_fact(pledge)
    facts = [(_("Campaign"), campaign.title), (_("Pledge"), pledge.amount.format())]
    if pledge.tier is not None:
        facts.append((_("Reward"), pledge.tier.title))
    if pledge.add_ons:
        facts.append((_("Add-ons"), _(", ").join(
            _("%(quantity)s × %(add_on)s (%(amount)s)", quantity=line.quantity,
              add_on=line.add_on.name, amount=line.price.format())
            for line in pledge.add_ons)))
    if pledge.shipping_minor:
        facts.append((_("Shipping included"), pledge.shipping.format()))
    return facts + card_fact(pledge)
