"""SMTP: one connection for many messages (``Mailer``), and an outbox row made into the
exact message that goes out (``build_message``).

A message is built the same way every time it is sent: its Message-ID, MIME boundary and
Date come from its row (id and creation time), so a message sent again after a sender
died between the server's "250" and our commit is the same message, byte for byte, and
receivers that drop duplicates by Message-ID drop it.
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Protocol
from urllib.parse import urlsplit

from crowdfund.notifications.links import expand_links


class Row(Protocol):
    """What a message is built from (an outbox row, or a plain row of its columns)."""

    id: int
    #: The person it is written to (None for an address no account has).
    recipient_id: int | None
    to_email: str
    to_name: str
    subject: str
    text_body: str
    html_body: str
    unsubscribe_url: str | None
    created_at: object


def one_line(text: str) -> str:
    """A header value: control characters (line breaks above all) become spaces. Titles are
    refused with line breaks at input; this keeps a header safe whatever reached the row."""
    return " ".join("".join(c if c.isprintable() else " " for c in text or "").split())


def message_id(row: Row, config: Mapping) -> str:
    """``<outbox-<id>.<created, to the microsecond>@<PUBLIC_URL's host>>``: the same for
    every try of a message, and no other message's (an id given out again after a restore
    from a backup has another creation time; another deployment, another host)."""
    host = urlsplit(config.get("PUBLIC_URL") or "").hostname or "crowdfund.invalid"
    return f"<outbox-{row.id}.{row.created_at:%Y%m%d%H%M%S%f}@{host}>"


def build_message(row: Row, config: Mapping) -> EmailMessage:
    """The message for ``row``, identical on every try (in an app context: account links
    are made as it is built)."""
    message = EmailMessage()
    message["From"] = one_line(config["MAIL_FROM"])
    to_name, to_email = one_line(row.to_name), one_line(row.to_email)
    message["To"] = formataddr((to_name, to_email)) if to_name else to_email
    message["Subject"] = one_line(row.subject)
    message["Date"] = format_datetime(row.created_at, usegmt=True)
    message["Message-ID"] = identity = message_id(row, config)
    if row.unsubscribe_url:  # RFC 2369, and one click without a page (RFC 8058)
        message["List-Unsubscribe"] = f"<{one_line(row.unsubscribe_url)}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(expand_links(row.text_body, row.recipient_id))
    message.add_alternative(expand_links(row.html_body, row.recipient_id), subtype="html")
    message.set_boundary(f"=_{hashlib.sha256(identity.encode()).hexdigest()[:32]}")
    return message


class Mailer:
    """One SMTP connection for a batch of messages (settings SMTP_*)."""

    def __init__(self, config: Mapping) -> None:
        self.config = config
        self.connection: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        cfg = self.config
        security = cfg["SMTP_SECURITY"]
        if security == "ssl":
            self.connection = smtplib.SMTP_SSL(cfg["SMTP_HOST"], cfg["SMTP_PORT"],
                                               timeout=cfg["SMTP_TIMEOUT"],
                                               context=ssl.create_default_context())
        else:
            self.connection = smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"],
                                           timeout=cfg["SMTP_TIMEOUT"])
            if security == "starttls":
                self.connection.starttls(context=ssl.create_default_context())
        if cfg.get("SMTP_USERNAME"):
            self.connection.login(cfg["SMTP_USERNAME"], cfg.get("SMTP_PASSWORD") or "")
        return self

    def send(self, message: EmailMessage) -> None:
        """Returns once the server has accepted the message (its reply to the data)."""
        assert self.connection is not None
        self.connection.send_message(message)

    def __exit__(self, *exc) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (smtplib.SMTPException, OSError):
                self.connection.close()
            self.connection = None
