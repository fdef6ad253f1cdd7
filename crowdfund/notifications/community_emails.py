"""What people hear of campaigns' conversations and of what they follow: an update, a
question to the founder and its answer, a followed founder's launch, a followed campaign
ending soon, and its outcome. Each may be turned off (``compose.OPTIONAL_KINDS``) and is
written in its recipient's language and time zone (``compose.written_for``). What a
follower hears of an equity offering is said in its own sentences (an investment, a
target), never a reward campaign's."""

from __future__ import annotations

from crowdfund.auth.models import User
from crowdfund.campaigns.models import Campaign
from crowdfund.filters import datetime_filter
from crowdfund.i18n import _
from crowdfund.notifications import flexible_emails as flexible
from crowdfund.notifications.compose import about, hello, link, send, written_for
from crowdfund.notifications.outbox import Email


def _campaign_page(campaign: Campaign, anchor: str = "") -> str:
    return link("campaigns.show", slug=campaign.slug) + anchor


def campaign_update(campaign: Campaign, update, to: User) -> bool:
    """An update, to a backer or an investor (who may read backers-only ones) or, public
    ones only, to a follower. The founder's Markdown is rendered as on the update's page
    (sanitised HTML) in the HTML part, as plain text in the other."""
    with written_for(to):
        values = {"number": update.number, "title": campaign.title, "update": update.title}
        if not update.backers_only:
            subject = _("Update #%(number)s from %(title)s: %(update)s", **values)
        elif campaign.is_equity:
            subject = _("Investors-only update #%(number)s from %(title)s: %(update)s",
                        **values)
        else:
            subject = _("Backers-only update #%(number)s from %(title)s: %(update)s", **values)
        return send("campaign_update", f"update-{update.id}-user-{to.id}", to, Email(
            subject=subject, greeting=hello(to), paragraphs=[update.title],
            markdown=update.body_md, facts=_campaign_facts(campaign)[:1],
            action=(_("Read it and its comments"),
                    link("community.update_page", slug=campaign.slug, update_id=update.id)),
            about=about(campaign)))


def _unfollow_note() -> str:
    return _("You get this because you follow it; unfollow from its page at any time.")


def _campaign_facts(campaign: Campaign) -> list[tuple[str, str]]:
    if campaign.is_equity:
        return [(_("Offering"), campaign.title), (_("Target"), campaign.goal.format()),
                (_("Deadline"), datetime_filter(campaign.deadline))]
    return [(_("Campaign"), campaign.title), (_("Goal"), campaign.goal.format()),
            (_("Deadline"), datetime_filter(campaign.deadline))]


def _see_it(campaign: Campaign) -> tuple[str, str]:
    label = _("See the offering") if campaign.is_equity else _("See the campaign")
    return label, _campaign_page(campaign)


def followed_founder_launched(campaign: Campaign, to: User) -> bool:
    founder = campaign.founder
    with written_for(to):
        values = {"founder": founder.display_name, "title": campaign.title,
                  "blurb": campaign.blurb, "goal": campaign.goal.format(),
                  "deadline": datetime_filter(campaign.deadline)}
        return send("follow_launch", f"campaign-{campaign.id}-launched-user-{to.id}", to, Email(
            subject=_("%(founder)s launched %(title)s", **values),
            greeting=hello(to),
            paragraphs=[_("%(founder)s, whom you follow, launched %(title)s: %(blurb)s",
                          **values),
                        _("It is an equity offering: investors are charged only if it reaches "
                          "its target of %(goal)s by %(deadline)s.", **values)
                        if campaign.is_equity else flexible.follower_launched(values)
                        if campaign.is_flexible else
                        _("It is all or nothing: it needs %(goal)s by %(deadline)s.", **values),
                        _unfollow_note()],
            facts=_campaign_facts(campaign), action=_see_it(campaign),
            about=about(campaign)))


def followed_campaign_ending(campaign: Campaign, to: User) -> bool:
    with written_for(to):
        values = {"title": campaign.title, "deadline": datetime_filter(campaign.deadline)}
        return send("follow_ending", f"campaign-{campaign.id}-ending-user-{to.id}", to, Email(
            subject=_("%(title)s ends soon", **values),
            greeting=hello(to),
            paragraphs=[_("%(title)s ends %(deadline)s. If you want to invest, now is the "
                          "time.", **values)
                        if campaign.is_equity else
                        _("%(title)s ends %(deadline)s. If you want to back it, now is the "
                          "time.", **values), _unfollow_note()],
            facts=_campaign_facts(campaign), action=_see_it(campaign),
            about=about(campaign)))


def _outcome(campaign: Campaign, funded: bool) -> tuple[str, str]:
    """The subject and the text of a follower's outcome message."""
    values = {"title": campaign.title, "goal": campaign.goal.format()}
    if campaign.is_equity and funded:
        return (_("%(title)s reached its target", **values),
                _("%(title)s reached its target of %(goal)s.", **values))
    if campaign.is_equity:
        return (_("%(title)s did not reach its target", **values),
                _("%(title)s did not reach its target of %(goal)s; no investor was charged.",
                  **values))
    if funded:
        return (_("%(title)s is funded", **values),
                _("%(title)s reached its goal of %(goal)s.", **values))
    return (_("%(title)s is not funded", **values),
            _("%(title)s did not reach its goal of %(goal)s; nobody was charged.", **values))


def followed_campaign_outcome(campaign: Campaign, to: User, funded: bool) -> bool:
    with written_for(to):
        subject, text = flexible.follower_outcome(campaign, funded) or _outcome(campaign,
                                                                                funded)
        return send("follow_outcome", f"campaign-{campaign.id}-outcome-user-{to.id}", to, Email(
            subject=subject, greeting=hello(to), paragraphs=[text, _unfollow_note()],
            facts=_campaign_facts(campaign)[:1], action=_see_it(campaign),
            about=about(campaign)))


def question_answered(campaign: Campaign, answer, question) -> bool:
    """The founder replied to someone's question."""
    to, founder = question.author, campaign.founder.display_name
    with written_for(to):
        return send("question_answered", f"comment-{answer.id}-answer", to, Email(
            subject=_("%(founder)s answered your question", founder=founder),
            greeting=hello(to),
            paragraphs=[_("You asked:"), question.body,
                        _("%(founder)s (the founder) answered:", founder=founder),
                        answer.body],
            facts=_campaign_facts(campaign)[:1],
            action=(_("See the conversation"),
                    _campaign_page(campaign, f"#comment-{question.id}")),
            about=about(campaign)))


def question_asked(campaign: Campaign, comment) -> bool:
    """A question for the founder: answering in public helps every backer."""
    founder = campaign.founder
    with written_for(founder):
        return send("question", f"comment-{comment.id}-question", founder, Email(
            subject=_("A question about %(title)s", title=campaign.title),
            greeting=hello(founder),
            paragraphs=[_("%(name)s asked:", name=comment.author.display_name), comment.body,
                        _("Reply on the offering's page: your answer is marked as the "
                          "founder's.") if campaign.is_equity else
                        _("Reply on the campaign page: your answer is marked as the "
                          "founder's.")],
            facts=_campaign_facts(campaign)[:1],
            action=(_("Answer it"), _campaign_page(campaign, f"#comment-{comment.id}")),
            about=about(campaign)))
