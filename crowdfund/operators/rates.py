"""Exchange rates (docs/exchange-rates.md): the rates in force today, their history, who
loaded what, and loading more: a CSV file or one rate typed by hand. A refused load is
answered next to its field, with each bad line; nothing of it is written."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.utils import secure_filename

from crowdfund.auth.guards import recent_second_factor
from crowdfund.db import utcnow
from crowdfund.equity import rates
from crowdfund.equity.rate_loading import RateRow, RatesRefused, load, read_csv
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.i18n import _, ngettext
from crowdfund.operators import bp
from crowdfund.operators.forms import AddRateForm, UploadRatesForm
from crowdfund.web import form_error

#: The largest rates file taken (a year of daily rates of every pair is far less).
MAX_FILE_BYTES = 2 * 1024 * 1024
#: The problems of a refused file shown next to its field (the command lists them all).
SHOWN_PROBLEMS = 50
#: The form field each problem of a rate typed by hand is shown next to.
_ADD_FIELDS = {"date": "effective_on", "base": "base", "quote": "quote", "rate": "rate",
               "source": "source"}


def _upload_form() -> UploadRatesForm:
    return UploadRatesForm(prefix="upload")


def _add_form() -> AddRateForm:
    return AddRateForm(prefix="add")


def _page(upload: UploadRatesForm | None = None, add: AddRateForm | None = None,
          status: int = 200):
    today = utcnow().date()
    if add is None:
        add = _add_form()
        add.effective_on.data = today
    return render_template(
        "operators/rates.html", upload=upload or _upload_form(), add=add, today=today,
        in_force=rates.in_force(today), history=rates.history(), loads=rates.loads(),
        max_age=rates.max_age_days()), status


@bp.get("/rates")
def rates_page():
    return _page()


def _file_refused(form: UploadRatesForm, exc: DomainError) -> None:
    """The refusal next to the file field: what it is, then each problem with its line."""
    if not isinstance(exc, RatesRefused):
        form_error(form, exc)
        return
    shown = [str(problem) for problem in exc.problems[:SHOWN_PROBLEMS]]
    hidden = len(exc.problems) - len(shown)
    if hidden:
        shown.append(ngettext("%(num)s more problem is not shown: the command %(command)s "
                              "lists them all.", "%(num)s more problems are not shown: the "
                              "command %(command)s lists them all.", hidden,
                              command="flask rates load"))
    form.file.errors = [*form.file.errors, exc.message, *shown]


def _read(form: UploadRatesForm) -> bytes | None:
    data = form.file.data.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        form.file.errors = [*form.file.errors, _("The file is larger than 2 MB: split it.")]
        return None
    return data


@bp.post("/rates/upload")
@recent_second_factor
def upload_rates():
    """Load a CSV file of rates, all or nothing."""
    form = _upload_form()
    if not form.validate_on_submit() or (data := _read(form)) is None:
        return _page(upload=form, status=400)
    rows, problems = read_csv(data)
    name = secure_filename(form.file.data.filename or "") or None
    try:
        done = load(rows, current_user, form.source.data, file_name=name, problems=problems)
    except DomainError as exc:
        db.session.rollback()
        _file_refused(form, exc)
        return _page(upload=form, status=exc.status_code)
    db.session.commit()
    flash(ngettext("%(file)s: %(num)s rate added, %(unchanged)s loaded already.",
                   "%(file)s: %(num)s rates added, %(unchanged)s loaded already.",
                   done.added, file=name or "", unchanged=done.unchanged), "success")
    return redirect(url_for("operators.rates_page"))


def _add_refused(form: AddRateForm, exc: DomainError) -> None:
    """Each problem of the typed rate next to its field."""
    if not isinstance(exc, RatesRefused):
        form_error(form, exc)
        return
    for problem in exc.problems:
        field = getattr(form, _ADD_FIELDS.get(problem.field, ""), None)
        if field is None:
            form.form_errors.append(str(problem))
        else:
            field.errors = [*field.errors, str(problem)]


@bp.post("/rates/add")
@recent_second_factor
def add_rate():
    """Add one rate typed by hand."""
    form = _add_form()
    if not form.validate_on_submit():
        return _page(add=form, status=400)
    row = RateRow(None, form.effective_on.data.isoformat(), form.base.data, form.quote.data,
                  form.rate.data)
    try:
        done = load([row], current_user, form.source.data)
    except DomainError as exc:
        db.session.rollback()
        _add_refused(form, exc)
        return _page(add=form, status=exc.status_code)
    db.session.commit()
    flash(_("Rate added: 1 %(base)s = %(rate)s %(quote)s from %(day)s.", base=row.base,
            rate=row.rate.strip(), quote=row.quote, day=row.day) if done.added else
          _("This rate was loaded already: nothing changed."), "success")
    return redirect(url_for("operators.rates_page"))
