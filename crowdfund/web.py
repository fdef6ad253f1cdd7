"""Small helpers shared by the views: safe redirects, roles, domain errors on forms."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from functools import wraps
from urllib.parse import urlsplit

from flask import Response, abort, current_app, flash, g, redirect, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.routing import IntegerConverter, PathConverter, UnicodeConverter

from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.forms import MAX_INT
from crowdfund.locking import write_transaction

#: Page numbers past this are not pages anyone reaches by clicking.
MAX_PAGE = 100_000


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` that fits an INTEGER column: a larger id in a path does not match the
    route (404) instead of overflowing the database's integer (a 500)."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002
        super().__init__(url_map, fixed_digits, min, MAX_INT if max is None else max, signed)


#: No control characters in a path segment (PostgreSQL refuses NUL in a query).
_PRINTABLE = r"[^/\x00-\x1f\x7f]"


class PrintableStringConverter(UnicodeConverter):
    """``<slug>``, ``<category>``: like the default converter, without control characters
    (a path with one does not match: 404)."""

    def __init__(self, url_map, minlength=1, maxlength=None, length=None):
        super().__init__(url_map, minlength, maxlength, length)
        self.regex = self.regex.replace("[^/]", _PRINTABLE, 1)


class PrintablePathConverter(PathConverter):
    """``<path:...>`` without control characters."""

    regex = _PRINTABLE + r"[^\x00-\x1f\x7f]*?"


def int_arg(name: str, default: int | None = None, *, low: int = 1,
            high: int = MAX_INT) -> int | None:
    """An integer query-string argument within [low, high]; ``default`` when it is
    missing, not a number, or out of range."""
    raw = request.args.get(name, "")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12:
        return default
    value = int(raw)
    return value if low <= value <= high else default


def text_arg(name: str, limit: int = 100) -> str:
    """A one-line text argument (a search): control characters dropped (PostgreSQL refuses
    NUL), trimmed to ``limit``."""
    raw = request.args.get(name) or ""
    return "".join(c for c in raw if c.isprintable()).strip()[:limit]


def is_safe_next(target: str | None) -> bool:
    """Only a path on this site: no scheme, no host, no protocol-relative tricks."""
    if not target:
        return False
    target = target.strip()
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and not any(ord(c) < 32 for c in target)


def redirect_next(default_endpoint: str, **values):
    target = request.values.get("next")
    if is_safe_next(target):
        return redirect(target)
    return redirect(url_for(default_endpoint, **values))


def client_ip() -> str:
    return (request.remote_addr or "unknown")[:45]


def reads_first(view):
    """A view that reads a good deal (the signed-in user, the campaign, a form to check)
    before it writes a little: on SQLite its transaction takes no write lock until the
    view calls ``locking.write_transaction(...)`` right before the service writes, so
    writers queue only for the writing part, and a form with errors never queues. The
    objects given to ``write_transaction`` are read again under the lock."""
    view.reads_first = True
    return view


def note_reads_first(endpoint: str | None, values) -> None:
    """A url_value_preprocessor: it runs before anything loads the signed-in user."""
    view = current_app.view_functions.get(endpoint or "")
    if getattr(view, "reads_first", False):
        g.db_reads_first = True


def writes_on_get(view):
    """A GET view that writes (it makes a SetupIntent and saves its id, say): its
    transaction takes SQLite's write lock like a POST's (see ``crowdfund.db``)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        write_transaction()
        return view(*args, **kwargs)

    return wrapper


def operator_required(view):
    """Signed-in operators only: others get 403, anonymous users the sign-in page."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_operator:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def form_error(form: FlaskForm, error: DomainError) -> None:
    """Show a domain error next to its field, or as a message at the top of the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def form_status(form) -> int:
    """The status of a page showing ``form``: 400 when it was sent back with errors."""
    return 400 if form.is_submitted() else 200


def csv_response(filename: str, header: list[str], rows: Iterable[Iterable]) -> Response:
    """A CSV download: ``header``, then ``rows`` (user-written cells through
    :func:`csv_cell`), as an attachment named ``filename``."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def csv_cell(value) -> str:
    """Neutralise spreadsheet formulas in user-written text (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def flash_error(error: DomainError) -> None:
    flash(error.message, "error")


def submit_form(form: FlaskForm, action: Callable[[], object],
                success: str | Callable[[object], str]) -> bool:
    """A form's save in one call: run the service, then commit and flash ``success`` (may be
    built from the service's result), or roll back and show the domain error next to its
    field (the caller re-renders the form)."""
    try:
        result = action()
    except DomainError as exc:
        db.session.rollback()
        form_error(form, exc)
        return False
    db.session.commit()
    flash(str(success(result) if callable(success) else success), "success")
    return True


def run_action(action: Callable[[], object], success: str | Callable[[object], str],
               category: str = "success") -> bool:
    """A button's view in one call: run the service, then commit and flash ``success``, or
    roll back and flash the domain error. ``success`` may be built from the service's result.
    """
    try:
        result = action()
    except DomainError as exc:
        db.session.rollback()
        flash_error(exc)
        return False
    db.session.commit()
    flash(str(success(result) if callable(success) else success), category)
    return True
