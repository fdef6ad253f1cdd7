"""Forms for accounts and founder profiles."""


from wtforms import (
    BooleanField,
    EmailField,
    FieldList,
    HiddenField,
    PasswordField,
    StringField,
    TextAreaField,
)
from wtforms.validators import URL, DataRequired, EqualTo, Length, Optional, ValidationError

from crowdfund.auth.passwords import MAX_LENGTH, MIN_LENGTH
from crowdfund.forms import BaseForm
from crowdfund.i18n import _, _l

_PASSWORD_LENGTH = Length(
    min=MIN_LENGTH, max=MAX_LENGTH,
    message=_l("Use at least %(least)s characters (at most %(most)s).", least=MIN_LENGTH,
               most=MAX_LENGTH),
)
_PASSWORD_HINT = _l("At least %(num)s characters.", num=MIN_LENGTH)
_PASSWORDS_DIFFER = _l("The passwords do not match.")
_APP_CODE_HINT = _l("The 6 digits your authenticator app shows.")
_RECOVERY_CODE_HINT = _l("One of the codes you saved when you turned two-factor sign-in on.")


#: What phones and password managers need to fill a field in (``autocomplete``) and which
#: keyboard to show (``type=email``, ``inputmode``).
_NAME = {"autocomplete": "name"}
_EMAIL = {"autocomplete": "email"}
_SIGN_IN_EMAIL = {"autocomplete": "username"}  # the account's name for password managers
_CURRENT_PASSWORD = {"autocomplete": "current-password"}
_NEW_PASSWORD = {"autocomplete": "new-password"}
_APP_CODE = {"inputmode": "numeric", "autocomplete": "one-time-code"}
#: Recovery codes have letters: a full keyboard, nothing corrected or capitalised.
_RECOVERY_CODE = {"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}


def _code_field(label: str, description: str | None = None, *,
                recovery: bool = False) -> StringField:
    """A code from the authenticator app (a number pad on phones), or a recovery code. The
    server accepts either in either field."""
    return StringField(label, validators=[DataRequired(message=_l("Type the code.")),
                                          Length(max=40)],
                       description=description,
                       render_kw=_RECOVERY_CODE if recovery else _APP_CODE)


def web_link(form, field):
    """Only http(s) links: no javascript:, data: or other schemes."""
    if field.data and not field.data.lower().startswith(("http://", "https://")):
        raise ValidationError(_("Links must start with http:// or https://."))


class RegisterForm(BaseForm):
    display_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=80)],
                               render_kw=_NAME)
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)],
                       render_kw=_EMAIL)
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), _PASSWORD_LENGTH],
        description=_PASSWORD_HINT, render_kw=_NEW_PASSWORD,
    )
    confirm = PasswordField(
        _l("Repeat password"),
        validators=[DataRequired(), EqualTo("password", message=_PASSWORDS_DIFFER)],
        render_kw=_NEW_PASSWORD,
    )


class EmailForm(BaseForm):
    """An address to send a link to (forgot password)."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)],
                       render_kw=_EMAIL)


class NewPasswordForm(BaseForm):
    """A new password chosen with a reset link."""

    password = PasswordField(_l("New password"), validators=[DataRequired(), _PASSWORD_LENGTH],
                             description=_PASSWORD_HINT, render_kw=_NEW_PASSWORD)
    confirm = PasswordField(
        _l("Repeat new password"),
        validators=[DataRequired(), EqualTo("password", message=_PASSWORDS_DIFFER)],
        render_kw=_NEW_PASSWORD,
    )


class ChangeEmailForm(BaseForm):
    email = EmailField(_l("New email address"), validators=[DataRequired(), Length(max=254)],
                       render_kw=_EMAIL)
    password = PasswordField(_l("Your password"), validators=[DataRequired(),
                                                              Length(max=MAX_LENGTH)],
                             render_kw=_CURRENT_PASSWORD)


class CodeForm(BaseForm):
    """A code from the authenticator app (a recovery code is accepted too)."""

    code = _code_field(_l("Code"), _APP_CODE_HINT)
    next = HiddenField()


class RecoveryCodeForm(CodeForm):
    """One of the recovery codes, for someone without their phone."""

    code = _code_field(_l("Recovery code"), _RECOVERY_CODE_HINT, recovery=True)


class TurnOffTwoFactorForm(BaseForm):
    password = PasswordField(_l("Your password"), validators=[DataRequired(),
                                                              Length(max=MAX_LENGTH)],
                             render_kw=_CURRENT_PASSWORD)
    code = _code_field(_l("Code"), _APP_CODE_HINT)


class TurnOffWithRecoveryCodeForm(TurnOffTwoFactorForm):
    """Turning it off without the phone: a recovery code instead."""

    code = _code_field(_l("Recovery code"), _RECOVERY_CODE_HINT, recovery=True)


class LoginForm(BaseForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)],
                       render_kw=_SIGN_IN_EMAIL)
    password = PasswordField(_l("Password"),
                             validators=[DataRequired(), Length(max=MAX_LENGTH)],
                             render_kw=_CURRENT_PASSWORD)
    remember = BooleanField(_l("Keep me signed in"))
    next = HiddenField()


class ChangePasswordForm(BaseForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()],
                                     render_kw=_CURRENT_PASSWORD)
    password = PasswordField(
        _l("New password"), validators=[DataRequired(), _PASSWORD_LENGTH],
        render_kw=_NEW_PASSWORD
    )
    confirm = PasswordField(
        _l("Repeat new password"),
        validators=[DataRequired(), EqualTo("password", message=_PASSWORDS_DIFFER)],
        render_kw=_NEW_PASSWORD,
    )


class ProfileForm(BaseForm):
    display_name = StringField(_l("Display name"),
                               validators=[DataRequired(), Length(max=80)])
    bio = TextAreaField(_l("About you"), validators=[Optional(), Length(max=2000)])
    location = StringField(_l("Location"), validators=[Optional(), Length(max=120)])
    links = FieldList(
        StringField(
            _l("Link"),
            validators=[
                Optional(),
                Length(max=300),
                URL(require_tld=True, message=_l("Enter a full web address (https://…).")),
                web_link,
            ],
        ),
        min_entries=4,
        max_entries=4,
    )

