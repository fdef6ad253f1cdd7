"""Reports to operators: of a campaign ("Report this campaign" on its page), beside the
reports of comments (``comments.report``); both land in the operators' Community queue and
both are limited per person (REPORT_RATE_LIMIT). An operator closes a campaign's open
reports with a note of what was done: each row keeps who reported, why and when, and who
decided what. Services never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from crowdfund.auth.models import User
from crowdfund.campaigns.models import Campaign
from crowdfund.community.models import CampaignReport, CommentReport
from crowdfund.community.text import clean_text
from crowdfund.db import utcnow
from crowdfund.errors import DomainError, NotAllowed
from crowdfund.extensions import db
from crowdfund.i18n import _, ngettext
from crowdfund.locking import lock

REASON_LENGTH = 300


class TooManyReports(DomainError):
    status_code = 429


def check_report_rate(reporter: User, now: datetime) -> None:
    """At most REPORT_RATE_LIMIT reports (of comments and campaigns together) per person in
    the window; the reporter's row is locked so that reports sent at once are counted one
    after the other."""
    limit, window = current_app.config["REPORT_RATE_LIMIT"]
    lock(reporter)
    since = now - window
    recent = sum(db.session.scalar(sa.select(sa.func.count()).select_from(model).where(
        model.reporter_id == reporter.id, model.created_at > since)) or 0
        for model in (CommentReport, CampaignReport))
    if recent >= limit:
        minutes = max(1, int(window.total_seconds() // 60))
        raise TooManyReports(ngettext(
            "You have sent %(num)s report in the last %(window)s. Please wait a little before "
            "sending another.",
            "You have sent %(num)s reports in the last %(window)s. Please wait a little before "
            "sending another.", limit,
            window=ngettext("%(num)s minute", "%(num)s minutes", minutes)), field="reason")


def _open_report(campaign: Campaign, reporter: User) -> CampaignReport | None:
    return db.session.scalar(sa.select(CampaignReport).where(
        CampaignReport.campaign_id == campaign.id, CampaignReport.reporter_id == reporter.id,
        CampaignReport.resolved_at.is_(None)))


def report_campaign(campaign: Campaign, reporter: User, reason: str, *,
                    now: datetime | None = None) -> CampaignReport:
    """Tell operators something is wrong with a public campaign. One open report per
    person and campaign: reporting again while it is open changes nothing."""
    now = now or utcnow()
    if not campaign.is_public:
        raise DomainError(_("Only a public campaign can be reported."))
    if campaign.founder_id == reporter.id:
        raise DomainError(_("You cannot report your own campaign."))
    reason = clean_text(reason)[:REASON_LENGTH]
    if not reason:
        raise DomainError(_("Tell us what is wrong with the campaign."), field="reason")
    existing = _open_report(campaign, reporter)
    if existing is not None:
        return existing
    check_report_rate(reporter, now)
    row = CampaignReport(campaign_id=campaign.id, reporter_id=reporter.id, reason=reason,
                         created_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:  # the same person reported it at the same instant: a no-op
        return _open_report(campaign, reporter)
    return row


def resolve_campaign_reports(campaign: Campaign, operator: User, note: str) -> int:
    """Operators close a campaign's open reports, saying what was done (suspended it, asked
    the founder, nothing wrong found). Returns how many were closed."""
    if not operator.is_operator:
        raise NotAllowed(_("Only operators decide on reports."))
    note = clean_text(note)[:500]
    if not note:
        raise DomainError(_("Say what was done about it (kept with the reports)."),
                          field="reason")
    rows = db.session.scalars(sa.select(CampaignReport).where(
        CampaignReport.campaign_id == campaign.id, CampaignReport.resolved_at.is_(None))
        .with_for_update()).all()
    now = utcnow()
    for row in rows:
        row.resolved_at, row.resolved_by_id, row.resolution = now, operator.id, note
    return len(rows)


@dataclass
class ReportedCampaign:
    campaign: Campaign
    reports: list[CampaignReport]

    @property
    def open(self) -> bool:
        return any(r.resolved_at is None for r in self.reports)


def campaign_queue(include_resolved: bool = False) -> list[ReportedCampaign]:
    """Reported campaigns, most reported first (open reports only by default), each with
    its reports oldest first."""
    stmt = (sa.select(CampaignReport).order_by(CampaignReport.created_at, CampaignReport.id)
            .options(joinedload(CampaignReport.campaign),
                     joinedload(CampaignReport.reporter).lazyload(User.verification),
                     joinedload(CampaignReport.resolved_by).lazyload(User.verification)))
    if not include_resolved:
        stmt = stmt.where(CampaignReport.resolved_at.is_(None))
    grouped: dict[int, ReportedCampaign] = {}
    for row in db.session.scalars(stmt):
        grouped.setdefault(row.campaign_id, ReportedCampaign(row.campaign, [])).reports.append(
            row)
    return sorted(grouped.values(), key=lambda r: (-len(r.reports), r.reports[0].created_at))


@dataclass(frozen=True)
class OpenReports:
    """What waits in the operators' Community queue."""

    comments: int
    campaigns: int


def open_reports() -> OpenReports:
    """Comments and campaigns with an open report (the operators' home counts them)."""
    def distinct(column, resolved) -> int:
        return db.session.scalar(sa.select(sa.func.count(sa.distinct(column)))
                                 .where(resolved.is_(None))) or 0
    return OpenReports(distinct(CommentReport.comment_id, CommentReport.resolved_at),
                       distinct(CampaignReport.campaign_id, CampaignReport.resolved_at))
