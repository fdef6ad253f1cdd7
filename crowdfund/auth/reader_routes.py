"""A person's language and time zone: the account page, and the footer's switch for a
signed-in person (saved on the account; visitors get a cookie: ``main.choose_language``)."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import SelectField

from crowdfund import i18n
from crowdfund.auth import bp, reader
from crowdfund.forms import BaseForm
from crowdfund.i18n import _, _l, refresh
from crowdfund.web import form_status, redirect_next, run_action, submit_form


class ReaderForm(BaseForm):
    """Language and time zone; empty: as the browser says."""

    locale = SelectField(_l("Language"), validate_choice=False)
    timezone = SelectField(_l("Time zone"), validate_choice=False)


def _in_the_new_language(text) -> str:
    """A (lazy) message after a change, in the language (and zone) just chosen."""
    refresh()
    return str(text)


def _form() -> ReaderForm:
    data = ({"locale": current_user.locale or "", "timezone": current_user.timezone or ""}
            if request.method == "GET" else None)
    form = ReaderForm(data=data)
    form.locale.choices = [("", _("As my browser says")), *i18n.LANGUAGES.items()]
    form.timezone.choices = [("", _("As my browser says")), *i18n.timezone_choices()]
    return form


@bp.route("/account/language", methods=["GET", "POST"])
@login_required
def language():
    form = _form()
    if form.validate_on_submit() and submit_form(
            form, lambda: reader.choose(current_user, locale=form.locale.data,
                                        timezone=form.timezone.data),
            lambda _result: _in_the_new_language(_l("Your language and time zone are saved."))):
        return redirect(url_for("auth.language"))
    browser_zone = i18n.valid_timezone(request.cookies.get(i18n.TIMEZONE_COOKIE))
    return render_template("auth/language.html", form=form, browser_zone=browser_zone), \
        form_status(form)


@bp.post("/account/language/<code>")
@login_required
def choose_language(code: str):
    """The footer's switch for a signed-in person."""
    run_action(lambda: reader.choose_language(current_user, code),
               lambda _result: _in_the_new_language(_l("Language changed.")))
    return redirect_next("main.index")
