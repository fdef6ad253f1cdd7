"""What backers hear of their survey after funding (the pledge manager,
``crowdfund/fulfilment/``): the invitation to complete it (again, when the founder adds a
required question) and the reminders while it is not answered. Each is queued once per
survey, round and reminder (its dedupe key), in the backer's language and time zone.

The survey is passed in as it is (``fulfilment.models.Survey``: its ``id``, ``round``,
``needs_address``, ``country`` and ``erase_after``), with whether its tier has questions.
"""

from __future__ import annotations

from crowdfund.filters import country_name, date_filter
from crowdfund.i18n import _
from crowdfund.notifications.compose import about, hello, link, send, written_for
from crowdfund.notifications.outbox import Email
from crowdfund.pledges.models import Pledge


def _facts(pledge: Pledge, survey) -> list[tuple[str, str]]:
    facts = [(_("Campaign"), pledge.campaign.title)]
    if pledge.tier is not None:
        facts.append((_("Reward"), pledge.tier.title))
    if survey.needs_address:
        facts.append((_("Ships to"), country_name(survey.country)))
    return facts


def _what_is_asked(pledge: Pledge, survey, questions: bool) -> str:
    values = {"founder": pledge.campaign.founder.display_name,
              "country": country_name(survey.country)}
    if survey.needs_address and questions:
        return _("To send your reward, %(founder)s needs your shipping address in "
                 "%(country)s and your answers to a few questions about it.", **values)
    if survey.needs_address:
        return _("To send your reward, %(founder)s needs your shipping address in "
                 "%(country)s.", **values)
    return _("To prepare your reward, %(founder)s needs your answers to a few questions "
             "about it.", **values)


def _privacy(pledge: Pledge, survey) -> str:
    values = {"founder": pledge.campaign.founder.display_name,
              "date": date_filter(survey.erase_after)}
    if survey.needs_address:
        return _("Only %(founder)s and our team see your address. We erase it once delivery "
                 "no longer needs it, on %(date)s at the latest.", **values)
    return _("Only %(founder)s and our team see your answers. We erase them once delivery "
             "no longer needs them, on %(date)s at the latest.", **values)


def _complete_it(pledge: Pledge) -> tuple[str, str]:
    return _("Complete your survey"), link("pledges.survey", pledge_id=pledge.id)


def survey_invitation(pledge: Pledge, survey, questions: bool) -> bool:
    """The backer's survey is ready (or asked again: the founder added a question)."""
    backer, title = pledge.backer, pledge.campaign.title
    with written_for(backer):
        if survey.round > 1:
            subject = _("%(title)s: a new question about your reward", title=title)
            first = _("%(founder)s added a question to the survey of your reward from "
                      "%(title)s. Please answer it: your earlier answers are kept.",
                      founder=pledge.campaign.founder.display_name, title=title)
        else:
            subject = _("%(title)s: complete your survey so your reward can be sent",
                        title=title)
            first = _what_is_asked(pledge, survey, questions)
        return send("survey_invitation", f"survey-{survey.id}-r{survey.round}-invitation",
                    backer, Email(
                        subject=subject, greeting=hello(backer),
                        paragraphs=[first, _("You can correct your answers until the "
                                             "reward ships."), _privacy(pledge, survey)],
                        facts=_facts(pledge, survey), action=_complete_it(pledge),
                        about=about(pledge.campaign)))


def survey_reminder(pledge: Pledge, survey, questions: bool, number: int, last: bool) -> bool:
    """Reminder ``number`` of a survey still not answered (``last``: no other follows)."""
    backer, title = pledge.backer, pledge.campaign.title
    with written_for(backer):
        text = (_("Your reward from %(title)s cannot be sent until you complete your survey.",
                  title=title) if survey.needs_address else
                _("Your reward from %(title)s cannot be prepared until you complete your "
                  "survey.", title=title))
        paragraphs = [text, _what_is_asked(pledge, survey, questions)]
        if last:
            paragraphs.append(_("This is our last reminder. If something stops you, ask the "
                                "founder on the campaign page (never post your address "
                                "there)."))
        return send("survey_reminder",
                    f"survey-{survey.id}-r{survey.round}-reminder-{number}", backer, Email(
                        subject=_("Reminder: your survey for %(title)s", title=title),
                        greeting=hello(backer), paragraphs=paragraphs,
                        facts=_facts(pledge, survey), action=_complete_it(pledge),
                        about=about(pledge.campaign)))
