"""The key investment information sheet (KIIS) of an EU issuer's offering: Regulation (EU)
2020/1503, Article 23 and Annex I (docs/investor-rules.md).

Every offering of an issuer incorporated in an EU member state has one. It is built
whenever it is read, from what the offering and its campaign hold (no second copy of any
figure: change the maximum and the sheet says the new one), in the reader's language:
the headings and the platform's standard texts translated, figures formatted for the
reader (amounts by their locale, moments on their clock), the founder's texts as they
wrote them (sanitised Markdown). It opens with the regulation's disclaimer and risk
warning (Article 23(6)(b), (c)), then Parts A to H of Annex I.

At most 6 A4 pages when printed (Article 23(7)). :func:`length_of` measures the sheet as
drawn up in English, the platform's source language, whoever asks, block by block as it
prints (a heading, a row of figures, a paragraph, a list item): each character counts
one, a Chinese, Japanese or Korean character two (it is twice as wide), and a block takes
whole lines of :data:`LINE_UNITS` (a one-word line takes a line all the same); a picture
takes :data:`IMAGE_UNITS`. One page holds :data:`UNITS_PER_PAGE`: an A4 page at the print
stylesheet's 10 pt type (``static/css/app.css``, ``@media print``) holds about 56 such
lines; headings and the space between blocks take the rest, and Chromium prints a sheet
at the budget on at most 6 pages (``tests/browser/test_kiis_print_browser.py``). A
campaign whose sheet is longer than :data:`MAX_PAGES` is not sent for review
(``equity.subscribers``); the founder's offering page says how long it is and what to
shorten. Services never commit.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import format_decimal, format_percent
from flask import current_app
from markupsafe import Markup, escape

from crowdfund.db import utcnow
from crowdfund.equity.models import (
    ALLOCATION_LABELS,
    DocumentKind,
    Offering,
    OfferingDocument,
    SecurityType,
)
from crowdfund.equity.rulesets import RULE_SETS
from crowdfund.equity.services import documents_of
from crowdfund.filters import country_name, date_filter, datetime_filter, word_list
from crowdfund.i18n import _, _l, in_language_of, ngettext, number, reader_locale
from crowdfund.markdown import render_markdown
from crowdfund.pledges.terms import investor_cancel_until

#: What one printed A4 page holds, in characters (a wide character counts two).
UNITS_PER_PAGE = 3_500
#: One printed line, in characters: a shorter block still takes a whole line.
LINE_UNITS = 100
#: A picture in a founder's text, printed at most 60 mm high (app.css): 13 lines' room.
IMAGE_UNITS = 13 * LINE_UNITS
_BLOCK_END = re.compile(r"</(?:p|li|h[1-6]|tr|blockquote|pre|summary)>|<br\s*/?>|<hr\s*/?>",
                        re.IGNORECASE)
_IMAGE = re.compile(r"<img\b", re.IGNORECASE)
#: Article 23(7): at most six sides of A4 paper when printed.
MAX_PAGES = 6
BUDGET = UNITS_PER_PAGE * MAX_PAGES
#: The acts the sheet names, written as they are in every language.
REGULATION = "(EU) 2020/1503"
DEPOSIT_DIRECTIVE = "2014/49/EU"
COMPENSATION_DIRECTIVE = "97/9/EC"

#: The founder's texts in the sheet, by what the founder edits (named when it is too long).
FOUNDER_TEXTS = {
    "description_md": _l("the story"),
    "risks_md": _l("the risks and challenges"),
    "use_of_proceeds_md": _l("the use of proceeds"),
}


@dataclass(frozen=True)
class Part:
    """One part of Annex I: its letter and heading, then its facts (label, value), the
    founder's texts (heading, sanitised HTML), the platform's paragraphs and a list."""

    letter: str
    title: str
    facts: tuple[tuple[str, str], ...] = ()
    founder: tuple[tuple[str, Markup], ...] = ()
    texts: tuple[str | Markup, ...] = ()
    items: tuple[str, ...] = ()


@dataclass(frozen=True)
class Sheet:
    """The key investment information sheet of one offering, in the reader's language."""

    offering: Offering
    title: str
    intro: Markup
    disclaimer: Markup
    warning: Markup
    parts: tuple[Part, ...]
    #: Annex I, Part A(d): the most recent financial statements, linked from the sheet.
    statements: OfferingDocument | None

    def blocks(self) -> Iterator[str | Markup]:
        """What the printed sheet holds, block by block (a heading, a row, a paragraph; the
        founder's texts as their HTML, split into blocks when measured)."""
        yield from (self.title, self.disclaimer, _("Risk warning"), self.warning, self.intro)
        if self.statements is not None:
            yield self.statements.title
        for part in self.parts:
            yield part.title
            yield from (f"{label} {value}" for label, value in part.facts)
            for heading, html in part.founder:
                yield from (heading, html)
            yield from part.texts
            yield from part.items


@dataclass(frozen=True)
class Length:
    """How long a sheet is (in characters, a wide one counting two) and how long each of
    the founder's texts in it is (``FOUNDER_TEXTS`` keys, longest first)."""

    units: int
    founder: tuple[tuple[str, int], ...]

    max_pages = MAX_PAGES
    budget = BUDGET

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.units / UNITS_PER_PAGE))

    @property
    def over(self) -> bool:
        return self.units > BUDGET

    @property
    def excess(self) -> int:
        return max(0, self.units - BUDGET)

    def shorten(self) -> str:
        """What the founder is told when the sheet is too long: which of their texts to
        shorten (longest first) and by how much in all."""
        texts = word_list(FOUNDER_TEXTS[key] for key, units in self.founder if units)
        return _("Key investment information sheet within %(max)s pages: yours takes about "
                 "%(pages)s; shorten %(texts)s by %(excess)s characters in all",
                 max=MAX_PAGES, pages=self.pages, texts=texts, excess=number(self.excess))


def applies(offering: Offering | None) -> bool:
    """Whether the offering has a sheet: its issuer is incorporated in the EU."""
    return offering is not None and offering.has_kiis


def _units(text: str) -> int:
    """The room a text takes on a line: a wide (East Asian) character counts two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _block_units(text: str) -> int:
    """A block takes whole lines: a short heading or row takes a line all the same."""
    return max(1, math.ceil(_units(text) / LINE_UNITS)) * LINE_UNITS


def units_of(block: str | Markup) -> int:
    """The room a block takes on paper; HTML (the founder's Markdown) is measured block
    by block, a picture as :data:`IMAGE_UNITS`."""
    if not isinstance(block, Markup):
        return _block_units(block)
    html = str(block)
    pieces = (Markup(piece).striptags() for piece in _BLOCK_END.split(html))  # noqa: S704
    return (len(_IMAGE.findall(html)) * IMAGE_UNITS
            + sum(_block_units(piece) for piece in pieces if piece))


def _code(name: str) -> str:
    """Stands for a legal reference in a translated text, until :func:`_cited` writes it."""
    return f"\ue000{name}\ue001"


def _cited(text: str, **codes: str) -> Markup:
    """A translated text with its legal references written as they are, in every
    language (``translate="no"``: no translation and no reader changes an act's number)."""
    html = str(escape(text))
    for name, code in codes.items():
        html = html.replace(_code(name), f'<span translate="no">{escape(code)}</span>')
    return Markup(html)  # noqa: S704 - escaped above, the references escaped too


def _percent(bps: int) -> str:
    return format_decimal(Decimal(bps) / 100, locale=reader_locale())


def _founder_text(markdown: str) -> Markup:
    return render_markdown(markdown) if markdown.strip() else escape(_("(none)"))


def build(offering: Offering) -> Sheet:
    """The sheet of ``offering``, in the reader's language, from what it holds now."""
    campaign = offering.campaign
    issuer = offering.issuer_legal_name
    statements = [d for d in documents_of(offering)
                  if d.kind is DocumentKind.FINANCIAL_STATEMENTS]
    return Sheet(
        offering=offering, title=_("Key investment information sheet"),
        intro=_cited(_("%(issuer)s raises money for %(project)s through this offering. The "
                       "project owner drew up this sheet under Article 23 of Regulation "
                       "%(regulation)s; its figures are those of the offering on %(day)s.",
                       issuer=issuer, project=campaign.title, regulation=_code("regulation"),
                       day=date_filter(utcnow())),
                     regulation=REGULATION),
        disclaimer=_cited(_(
            "This crowdfunding offer has been neither verified nor approved by competent "
            "authorities or ESMA. The appropriateness of your education and knowledge have "
            "not been assessed before you were granted access to this investment. By making "
            "this investment, you assume full risk of taking this investment, including the "
            "risk of partial or entire loss of the money invested.")),
        warning=_cited(_(
            "Investment in this crowdfunding project entails risks, including the risk of "
            "partial or entire loss of the money invested. Your investment is not covered by "
            "the deposit guarantee schemes established in accordance with Directive "
            "%(deposit)s. Your investment is also not covered by the investor compensation "
            "schemes established in accordance with Directive %(compensation)s. You may not "
            "receive any return on your investment. This is not a saving product and we "
            "advise you not to invest more than 10%% of your net worth in crowdfunding "
            "projects. You may not be able to sell the investment instruments when you "
            "wish. If you are able to sell them, you may nonetheless incur losses.",
            deposit=_code("deposit"), compensation=_code("compensation")),
            deposit=DEPOSIT_DIRECTIVE, compensation=COMPENSATION_DIRECTIVE),
        parts=(_part_a(offering), _part_b(offering), _part_c(offering), _part_d(offering),
               _part_e(offering), _part_f(offering), _part_g(), _part_h()),
        statements=statements[-1] if statements else None)


def _part_a(offering: Offering) -> Part:
    campaign = offering.campaign
    founder = campaign.founder
    if founder.is_verified:
        person = _("%(name)s (identity verified by an operator)",
                   name=founder.verification.legal_name or founder.display_name)
    else:
        person = _("%(name)s (identity not verified yet)", name=founder.display_name)
    return Part(
        "A", _("Information about the project owner and the crowdfunding project"),
        facts=((_("Project owner"), offering.issuer_legal_name),
               (_("Incorporated"), _("in %(place)s on %(day)s",
                                     place=country_name(offering.issuer_jurisdiction),
                                     day=date_filter(offering.incorporated_on))),
               (_("Founder"), person),
               (_("Project"), campaign.title),
               (_("In short"), campaign.blurb)),
        founder=((_("Description of the project"), _founder_text(campaign.description_md)),),
        texts=(_("The project owner declares that, to the best of its knowledge, no "
                 "information has been omitted or is materially misleading or inaccurate. "
                 "The project owner is responsible for the preparation of this key "
                 "investment information sheet."),))


def _part_b(offering: Offering) -> Part:
    campaign = offering.campaign
    if campaign.deadline is not None:
        deadline = datetime_filter(campaign.deadline)
    else:
        deadline = ngettext("%(num)s day after the offering opens",
                            "%(num)s days after the offering opens", campaign.duration_days)
    return Part(
        "B", _("Main features of the crowdfunding process and conditions for the capital "
               "raising"),
        facts=((_("Target"), offering.target.format()),
               (_("Maximum"), offering.maximum.format()),
               (_("Deadline"), deadline),
               (_("Minimum investment"), offering.minimum_investment.format()),
               (_("If more is committed than the maximum"),
                str(ALLOCATION_LABELS[offering.allocation]))),
        texts=(_("All or nothing: investors are charged only if the target is reached by "
                 "the deadline. If it is not, nobody is charged and no securities are "
                 "issued."),))


def _part_c(offering: Offering) -> Part:
    items = [
        _("Project risk: the company may fail, and you may lose all of the money you "
          "invested."),
        _("Illiquidity: there is no market for these securities; you may not be able to "
          "sell them for years, or at all."),
        _("No return: the company may never pay a dividend or interest, and may never be "
          "sold or listed."),
        _("Dilution: when the company issues new shares later, yours become a smaller part "
          "of it."),
        _("Platform risk: if crowdfund stops its business, it may take longer to reach the "
          "issuer about your securities; the issuer remains bound by their terms."),
    ]
    if offering.security is SecurityType.CONVERTIBLE_NOTE:
        items.append(_("Default: the company may be unable to pay the note's interest or to "
                       "repay it at maturity."))
    return Part(
        "C", _("Risk factors"),
        founder=((_("Risks and challenges, as the project owner describes them"),
                  _founder_text(offering.campaign.risks_md)),),
        items=tuple(items))


def _part_d(offering: Offering) -> Part:
    facts = [(_("Security"), str(offering.security.label))]
    if offering.price_per_share is not None:
        facts += [(_("Price per share"), offering.price_per_share.format()),
                  (_("Pre-money valuation"), offering.pre_money_valuation.format()),
                  (_("Shares offered"), ngettext("up to %(num)s share",
                                                 "up to %(num)s shares",
                                                 offering.shares_offered))]
    if offering.valuation_cap is not None:
        facts.append((_("Valuation cap"), offering.valuation_cap.format()))
    if offering.discount_bps:
        facts.append((_("Discount"), format_percent(Decimal(offering.discount_bps) / 10_000,
                                                    "#,##0.##%", locale=reader_locale())))
    if offering.interest_rate_bps is not None:
        facts.append((_("Interest"), _("%(rate)s%% a year, maturing %(day)s",
                                       rate=_percent(offering.interest_rate_bps),
                                       day=date_filter(offering.maturity_on))))
    return Part(
        "D", _("Information on the offer of securities"), facts=tuple(facts),
        founder=((_("Use of proceeds"), _founder_text(offering.use_of_proceeds_md)),),
        texts=(_("Your securities are issued when the offering closes, if it reached its "
                 "target and your payment went through. They are recorded in the issuer's "
                 "register of holders, and you can download a confirmation of them."),))


def _part_e(offering: Offering) -> Part:
    return Part("E", _("Information on the special purpose vehicle"),
                texts=(_("No special purpose vehicle is used: %(issuer)s issues the "
                         "securities to you directly.", issuer=offering.issuer_legal_name),))


def _part_f(offering: Offering) -> Part:
    days = RULE_SETS["EU-ECSPR"].reflection_days
    cutoff = current_app.config["INVESTOR_CANCEL_CUTOFF"]
    hours = int(cutoff.total_seconds() // 3600)
    deadline = offering.campaign.deadline
    if deadline is not None:
        cancel = ngettext(
            "You may also cancel your investment for any reason until %(num)s hour before "
            "the deadline (%(until)s); after that it stands.",
            "You may also cancel your investment for any reason until %(num)s hours before "
            "the deadline (%(until)s); after that it stands.", hours,
            until=datetime_filter(investor_cancel_until(deadline)))
    else:
        cancel = ngettext(
            "You may also cancel your investment for any reason until %(num)s hour before "
            "the deadline; after that it stands.",
            "You may also cancel your investment for any reason until %(num)s hours before "
            "the deadline; after that it stands.", hours)
    return Part("F", _("Investor rights"), texts=(
        ngettext("Pre-contractual reflection period: if you are a non-sophisticated investor, "
                 "you may revoke each offer to invest within %(num)s calendar day of making "
                 "it, without giving a reason and without any penalty, even after the "
                 "deadline. A revoked offer is never charged.",
                 "Pre-contractual reflection period: if you are a non-sophisticated investor, "
                 "you may revoke each offer to invest within %(num)s calendar days of making "
                 "it, without giving a reason and without any penalty, even after the "
                 "deadline. A revoked offer is never charged.", days),
        _("To revoke or cancel it, open your investment under Pledges in the menu and "
          "choose Revoke my investment or Cancel investment."),
        cancel))


def _part_g() -> Part:
    return Part("G", _("Disclosure related to loans"),
                texts=(_("Not applicable: this offering is not a loan."),))


def _part_h() -> Part:
    rate = _percent(current_app.config["PLATFORM_FEE_BPS"])
    return Part(
        "H", _("Fees, information and legal redress"),
        facts=((_("What you pay"), _("Only the amount you invest: no fee is charged to "
                                     "investors.")),
               (_("What the issuer pays"),
                _("A platform fee of %(rate)s%% of the money collected, and the card "
                  "processing fees, out of the money raised.", rate=rate))),
        texts=(_("More information about the project and the project owner is on the "
                 "offering's page, free of charge: ask the founder your questions there."),
               _("To complain, write to us through the Contact page at the foot of every "
                 "page.")))


def length_of(offering: Offering) -> Length:
    """How long the sheet is when printed: measured as drawn up in English (the same for
    every reader and every founder), with the length of each of the founder's texts."""
    with in_language_of("en", "UTC"):
        units = sum(units_of(block) for block in build(offering).blocks())
    founder = {key: units_of(render_markdown(getattr(
        offering if key == "use_of_proceeds_md" else offering.campaign, key)))
        for key in FOUNDER_TEXTS}
    return Length(units, tuple(sorted(founder.items(), key=lambda item: -item[1])))
