"""What the messages of a flexible campaign say instead of all or nothing
(docs/domain.md#funding-models): its backers are charged at the deadline whatever the
total, and the founder keeps what is raised. Each function makes the text of one message
(``emails``, ``community_emails``) in the language of the block it is called in (the
recipient's: ``compose.written_for``); the ones that return None leave the message as it
is for every campaign (an all-or-nothing one, or a flexible one that reached its goal).
"""

from __future__ import annotations

from crowdfund.campaigns.models import Campaign
from crowdfund.filters import datetime_filter
from crowdfund.i18n import _, ngettext
from crowdfund.money import Money
from crowdfund.pledges.models import Pledge


def _below_goal(campaign: Campaign, pledged: Money | None = None) -> bool:
    """A flexible campaign that ended below its goal (``pledged``: the total at the
    deadline, when the caller has it)."""
    if pledged is not None:
        return campaign.is_flexible and pledged < campaign.goal
    return campaign.flexible_below_goal


def confirmed(pledge: Pledge) -> str:
    """A backer's pledge confirmation: when the card is charged."""
    campaign = pledge.campaign
    return _("Thank you for backing %(title)s. Your card is saved and will be charged "
             "%(amount)s at the deadline, %(deadline)s, whether or not the campaign reaches "
             "its goal of %(goal)s: it uses flexible funding, so the founder keeps what is "
             "raised.", title=campaign.title, amount=pledge.amount.format(),
             goal=campaign.goal.format(), deadline=datetime_filter(campaign.deadline))


def launched(values: dict) -> str:
    """The founder's launch message (``values``: title, deadline and goal, as written)."""
    return _("%(title)s is live and taking pledges until %(deadline)s. Share it: with "
             "flexible funding, backers are charged at the deadline whatever the total, and "
             "you keep what is raised, whether or not you reach %(goal)s.", **values)


def founder_outcome(campaign: Campaign, pledged: Money,
                    backers: int) -> tuple[str, str] | None:
    """The subject and text of the founder's outcome message when the campaign ended below
    its goal: charged all the same, or nothing pledged (nothing to charge)."""
    if not _below_goal(campaign, pledged):
        return None
    values = {"title": campaign.title, "pledged": pledged.format(),
              "goal": campaign.goal.format()}
    if pledged.amount == 0:
        return (_("%(title)s did not reach its goal", **values),
                _("%(title)s ended with nothing pledged of its %(goal)s goal, so nobody is "
                  "charged.", **values))
    return (_("%(title)s ended below its goal", **values), ngettext(
        "%(title)s ended with %(pledged)s of its %(goal)s goal from %(num)s backer. As a "
        "flexible campaign, you keep what was raised: cards are being charged now; backers "
        "whose payment fails have 7 days to fix it. Your payout follows when the collection "
        "window closes.",
        "%(title)s ended with %(pledged)s of its %(goal)s goal from %(num)s backers. As a "
        "flexible campaign, you keep what was raised: cards are being charged now; backers "
        "whose payment fails have 7 days to fix it. Your payout follows when the collection "
        "window closes.", backers, **values))


def backer_outcome(pledge: Pledge, funded: bool) -> tuple[str, str] | None:
    """The subject and text of a backer's outcome message when the campaign ended below its
    goal and is charged all the same."""
    campaign = pledge.campaign
    if not funded or not _below_goal(campaign):
        return None
    values = {"title": campaign.title, "amount": pledge.amount.format(),
              "goal": campaign.goal.format()}
    return (_("%(title)s ended below its goal: your pledge is charged", **values),
            _("%(title)s did not reach its goal of %(goal)s. As a flexible campaign, the "
              "founder keeps what was raised: your card will be charged %(amount)s now; we "
              "will send a receipt.", **values))


def payment_failed(pledge: Pledge, values: dict) -> str | None:
    """Why a backer's charge was made at all, when the campaign ended below its goal
    (``values``: title and amount, as written)."""
    if not _below_goal(pledge.campaign):
        return None
    return _("%(title)s has ended and, as a flexible campaign, charges its backers whatever "
             "the total, but we could not collect your pledge of %(amount)s.", **values)


def card_health(values: dict) -> str:
    """Before the deadline: when the pledge is charged (``values``: title, deadline and the
    reason the card will not work, as written)."""
    return _("%(title)s ends %(deadline)s, and your pledge is charged then, whatever the "
             "total: it uses flexible funding. %(reason)s", **values)


def follower_launched(values: dict) -> str:
    """A follower told of the launch (``values``: goal and deadline, as written)."""
    return _("It uses flexible funding: the founder keeps what is raised by %(deadline)s, "
             "whether or not it reaches its goal of %(goal)s.", **values)


def follower_outcome(campaign: Campaign, funded: bool) -> tuple[str, str] | None:
    """The subject and text of a follower's outcome message when the campaign ended below
    its goal and its backers are charged all the same."""
    if not funded or not _below_goal(campaign):
        return None
    values = {"title": campaign.title, "goal": campaign.goal.format()}
    return (_("%(title)s ended below its goal", **values),
            _("%(title)s did not reach its goal of %(goal)s; as a flexible campaign, the "
              "founder keeps what was raised.", **values))
