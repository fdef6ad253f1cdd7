"""Development only: the email the platform wrote, readable without signing in, so that a
person trying it with ``make run`` (no SMTP server) can open their confirmation link.
Every other environment answers 404."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, render_template

from crowdfund.extensions import db
from crowdfund.main import bp
from crowdfund.notifications.links import expand_links
from crowdfund.notifications.models import OutboxMessage


def dev_mail_open() -> bool:
    cfg = current_app.config
    return cfg["ENV_NAME"] == "development" and not cfg.get("SMTP_HOST")


@bp.get("/dev/mail")
def dev_mail():
    if not dev_mail_open():
        abort(404)
    messages = list(db.session.scalars(sa.select(OutboxMessage)
                                       .order_by(OutboxMessage.id.desc()).limit(50)))
    return render_template("main/dev_mail.html", messages=messages, expand=expand_links)


@bp.app_context_processor
def _dev_mail_link() -> dict:
    return {"dev_mail_open": dev_mail_open}
