"""What a backer (an investor) is told when they change or cancel their pledge
(investment): every change is confirmed by email, saying what it was, what it is now and
what happens next (``events.pledge_changed``, ``pledge_card_replaced``,
``pledge_cancelled``, ``investment_reconfirmed``; docs/domain.md#changing-and-cancelling).

Each message is queued in the transaction of the change (a change rolled back sends
nothing) under a key naming that change: a second change makes a second message, the same
change heard twice (a webhook and the browser) one.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from crowdfund.db import utcnow
from crowdfund.filters import country_name, datetime_filter
from crowdfund.i18n import _, number
from crowdfund.notifications.compose import (
    about,
    hello,
    link,
    no_double_stop,
    pledge_facts,
    send,
    written_for,
)
from crowdfund.notifications.outbox import Email
from crowdfund.pledges.models import Pledge
from crowdfund.pledges.snapshot import PledgeTerms, terms_of
from crowdfund.pledges.terms import investor_cancel_until


def _see(pledge: Pledge) -> tuple[str, str]:
    label = _("See your investment") if pledge.campaign.is_equity else _("See your pledge")
    return label, link("pledges.show", pledge_id=pledge.id)


def _see_campaign(pledge: Pledge) -> tuple[str, str]:
    campaign = pledge.campaign
    label = _("See the offering") if campaign.is_equity else _("See the campaign")
    return label, link("campaigns.show", slug=campaign.slug)


def _what_next(pledge: Pledge) -> str:
    """When the card is charged, and until when the backer may still change their mind."""
    campaign = pledge.campaign
    values = {"title": campaign.title, "amount": pledge.amount.format(),
              "goal": campaign.goal.format(), "deadline": datetime_filter(campaign.deadline)}
    if campaign.is_equity:
        return _("Your card will be charged %(amount)s only if the offering reaches its "
                 "target of %(goal)s by %(deadline)s. You can cancel your investment until "
                 "%(until)s (48 hours before the deadline).", **values,
                 until=datetime_filter(investor_cancel_until(campaign.deadline)))
    if campaign.is_flexible:
        return _("Your card will be charged %(amount)s at the deadline, %(deadline)s, "
                 "whatever the total: %(title)s uses flexible funding, so the founder keeps "
                 "what is raised. You can change or cancel your pledge until then.", **values)
    return no_double_stop(_(
        "Your card will be charged %(amount)s only if %(title)s reaches its goal of %(goal)s "
        "by %(deadline)s. You can change or cancel your pledge until the deadline.",
        **values), campaign.title)


def _add_ons(terms: PledgeTerms) -> str:
    if not terms.add_ons:
        return _("None")
    return _(", ").join(_("%(quantity)s × %(add_on)s (%(amount)s)", quantity=quantity,
                          add_on=name, amount=price.format())
                        for quantity, name, price in terms.add_ons)


def _card(card: tuple[str | None, str | None]) -> str:
    brand, last4 = card
    if not last4:
        return _("None")
    if brand:
        return _("%(brand)s ending %(last4)s", brand=brand, last4=last4)
    return _("Card ending %(last4)s", last4=last4)


def _was_now(label: str, before: str, after: str) -> tuple[str, str]:
    return label, _("%(before)s → %(after)s", before=before, after=after)


def _changes(before: PledgeTerms, after: PledgeTerms) -> list[tuple[str, str]]:
    """One fact per term that changed: what it was and what it is now."""
    facts = []
    if before.amount != after.amount:
        facts.append(_was_now(_("Pledge"), before.amount.format(), after.amount.format()))
    if before.tier_title != after.tier_title:
        facts.append(_was_now(_("Reward"), before.tier_title or _("No reward"),
                              after.tier_title or _("No reward")))
    if before.add_ons != after.add_ons:
        facts.append(_was_now(_("Add-ons"), _add_ons(before), _add_ons(after)))
    if before.destination != after.destination:
        facts.append(_was_now(_("Ships to"), country_name(before.destination) or _("None"),
                              country_name(after.destination) or _("None")))
    if before.shipping != after.shipping:
        facts.append(_was_now(_("Shipping included"), before.shipping.format(),
                              after.shipping.format()))
    return facts


def _with_changes(changes: list[tuple[str, str]], pledge: Pledge) -> list[tuple[str, str]]:
    """The campaign (offering), the changes, then what the pledge is now of the rest."""
    changed = {label for label, _value in changes}
    campaign, *rest = pledge_facts(pledge)
    return [campaign, *changes, *(fact for fact in rest if fact[0] not in changed)]


def _key_of(pledge: Pledge, what: str) -> str:
    """A change's key: the pledge, the moment and the terms it left (a change is made once,
    under the pledge's lock; the same terms twice at one moment are one change)."""
    terms = repr(terms_of(pledge)).encode()
    return (f"pledge-{pledge.id}-{what}-{utcnow():%Y%m%d%H%M%S%f}-"
            f"{hashlib.sha256(terms).hexdigest()[:12]}")


def pledge_changed(pledge: Pledge, before: PledgeTerms) -> bool:
    """The backer changed the reward, add-ons, amount or destination of their pledge."""
    campaign, backer = pledge.campaign, pledge.backer
    with written_for(backer):
        text = no_double_stop(_("You changed your pledge to %(title)s. Here is what changed "
                                "and what your pledge is now.", title=campaign.title),
                              campaign.title)
        return send("pledge_changed", _key_of(pledge, "changed"), backer, Email(
            subject=_("Your pledge to %(title)s is changed", title=campaign.title),
            greeting=hello(backer), paragraphs=[text, _what_next(pledge)],
            facts=_with_changes(_changes(before, terms_of(pledge)), pledge),
            action=_see(pledge), about=about(campaign)))


def card_replaced(pledge: Pledge, before: PledgeTerms) -> bool:
    """The backer (investor) saved another card for their active pledge (investment)."""
    campaign, backer = pledge.campaign, pledge.backer
    with written_for(backer):
        values = {"title": campaign.title, "card": _card(terms_of(pledge).card)}
        text = (_("Your investment in %(title)s will now be paid with %(card)s. The card "
                  "saved before is no longer used for it.", **values)
                if campaign.is_equity else
                _("Your pledge to %(title)s will now be paid with %(card)s. The card saved "
                  "before is no longer used for it.", **values))
        return send("card_replaced", f"pledge-{pledge.id}-card-{pledge.payment_method_id}",
                    backer, Email(
                        subject=_("Your card for %(title)s is replaced", title=campaign.title),
                        greeting=hello(backer), paragraphs=[text, _what_next(pledge)],
                        facts=_with_changes(
                            [_was_now(_("Card"), _card(before.card), values["card"])], pledge),
                        action=_see(pledge), about=about(campaign)))


def pledge_cancelled(pledge: Pledge, *, revoked: bool = False) -> bool:
    """The backer cancelled their pledge, or the investor their investment (within the 48
    hours before the deadline rule; ``revoked``: within their reflection period)."""
    campaign, backer = pledge.campaign, pledge.backer
    with written_for(backer):
        values = {"title": campaign.title, "amount": pledge.amount.format(),
                  "deadline": datetime_filter(campaign.deadline)}
        if not campaign.is_equity:
            subject = _("Your pledge to %(title)s is cancelled", **values)
            texts = [_("You cancelled your pledge of %(amount)s to %(title)s. Your card will "
                       "not be charged for it.", **values),
                     _("You can back the campaign again until %(deadline)s.", **values)]
        elif revoked:
            subject = _("Your investment in %(title)s is revoked", **values)
            texts = [_("You revoked your investment of %(amount)s in %(title)s within your "
                       "reflection period. It is cancelled and your card will not be "
                       "charged for it.", **values)]
        else:
            subject = _("Your investment in %(title)s is cancelled", **values)
            texts = [_("You cancelled your investment of %(amount)s in %(title)s. Your card "
                       "will not be charged for it.", **values),
                     _("You can invest again while the offering is open, until %(deadline)s.",
                       **values)]
        return send("pledge_cancelled", f"pledge-{pledge.id}-cancelled", backer, Email(
            subject=subject, greeting=hello(backer),
            paragraphs=[no_double_stop(text, campaign.title) for text in texts],
            facts=pledge_facts(pledge), action=_see_campaign(pledge),
            about=about(campaign)))


def investment_reconfirmed(pledge: Pledge, before: PledgeTerms,
                           reconfirm_by: datetime) -> bool:
    """The investor reconfirmed after a material change: the amount and shares they hold
    now, on the new terms."""
    campaign, investor = pledge.campaign, pledge.backer
    with written_for(investor):
        facts = []
        if before.amount != pledge.amount:
            facts.append(_was_now(_("Investment"), before.amount.format(),
                                  pledge.amount.format()))
        if before.shares != pledge.shares and before.shares and pledge.shares:
            facts.append(_was_now(_("Shares"), number(before.shares), number(pledge.shares)))
        text = no_double_stop(_("You reconfirmed your investment in %(title)s on its changed "
                                "terms. It stands at %(amount)s.", title=campaign.title,
                                amount=pledge.amount.format()), campaign.title)
        return send("investment_reconfirmed",
                    f"pledge-{pledge.id}-reconfirmed-{reconfirm_by:%Y%m%d%H%M%S}", investor,
                    Email(subject=_("Your investment in %(title)s is reconfirmed",
                                    title=campaign.title),
                          greeting=hello(investor), paragraphs=[text, _what_next(pledge)],
                          facts=_with_changes(facts, pledge), action=_see(pledge),
                          about=about(campaign)))


def released_with_campaign(pledge: Pledge, *, by_founder: bool) -> bool:
    """The campaign (offering) was stopped by its founder (``by_founder``) or by our team
    (suspended while live, or cancelled once funded): the backer's active pledge
    (investment) is released, nothing charged."""
    campaign, backer = pledge.campaign, pledge.backer
    with written_for(backer):
        values = {"title": campaign.title, "amount": pledge.amount.format()}
        if campaign.is_equity:
            subject = _("Your investment in %(title)s is released", **values)
            text = (_("%(title)s was cancelled by its founder, so your investment of "
                      "%(amount)s is released. Your card will not be charged.", **values)
                    if by_founder else
                    _("%(title)s was stopped by our team, so your investment of %(amount)s "
                      "is released. Your card will not be charged.", **values))
        else:
            subject = _("Your pledge to %(title)s is released", **values)
            text = (_("%(title)s was cancelled by its founder, so your pledge of %(amount)s "
                      "is released. Your card will not be charged.", **values)
                    if by_founder else
                    _("%(title)s was stopped by our team, so your pledge of %(amount)s is "
                      "released. Your card will not be charged.", **values))
        return send("pledge_released", f"pledge-{pledge.id}-released", backer, Email(
            subject=subject, greeting=hello(backer),
            paragraphs=[no_double_stop(text, campaign.title)], facts=pledge_facts(pledge),
            action=_see_campaign(pledge), about=about(campaign)))


def dropped_with_campaign(pledge: Pledge) -> bool:
    """Our team cancelled the funded campaign (offering) while the backer's payment had
    not gone through: the pledge (investment) is dropped, nothing will be charged (those
    who paid are refunded, and told so by ``emails.refund_issued``)."""
    campaign, backer = pledge.campaign, pledge.backer
    with written_for(backer):
        values = {"title": campaign.title, "amount": pledge.amount.format()}
        if campaign.is_equity:
            subject = _("Your investment in %(title)s is cancelled", **values)
            text = _("%(title)s was cancelled by our team. Your investment of %(amount)s had "
                     "not been paid yet, so it is cancelled and you will not be charged.",
                     **values)
        else:
            subject = _("Your pledge to %(title)s is cancelled", **values)
            text = _("%(title)s was cancelled by our team. Your pledge of %(amount)s had not "
                     "been paid yet, so it is cancelled and you will not be charged.", **values)
        return send("pledge_dropped", f"pledge-{pledge.id}-dropped", backer, Email(
            subject=subject, greeting=hello(backer),
            paragraphs=[no_double_stop(text, campaign.title)], facts=pledge_facts(pledge),
            action=_see_campaign(pledge), about=about(campaign)))
