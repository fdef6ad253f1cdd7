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

_PASSWORD_LENGTH = Length(
    min=MIN_LENGTH, max=MAX_LENGTH,
    message=f"Use at least {MIN_LENGTH} characters (at most {MAX_LENGTH}).",
)


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
    return StringField(label, validators=[DataRequired(message="Type the code."),
                                          Length(max=40)],
                       description=description,
                       render_kw=_RECOVERY_CODE if recovery else _APP_CODE)


def web_link(form, field):
    """Only http(s) links: no javascript:, data: or other schemes."""
    if field.data and not field.data.lower().startswith(("http://", "https://")):
        raise ValidationError("Links must start with http:// or https://.")


class RegisterForm(BaseForm):
    display_name = StringField("Your name", validators=[DataRequired(), Length(max=80)],
                               render_kw=_NAME)
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)],
                       render_kw=_EMAIL)
    password = PasswordField(
        "Password",
        validators=[DataRequired(), _PASSWORD_LENGTH],
        description=f"At least {MIN_LENGTH} characters.", render_kw=_NEW_PASSWORD,
    )
    confirm = PasswordField(
        "Repeat password",
        validators=[DataRequired(), EqualTo("password", message="The passwords do not match.")],
        render_kw=_NEW_PASSWORD,
    )


class EmailForm(BaseForm):
    """An address to send a link to (forgot password)."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=254)],
                       render_kw=_EMAIL)


class NewPasswordForm(BaseForm):
    """A new password chosen with a reset link."""

    password = PasswordField("New password", validators=[DataRequired(), _PASSWORD_LENGTH],
                             description=f"At least {MIN_LENGTH} characters.",
                             render_kw=_NEW_PASSWORD)
    confirm = PasswordField(
        "Repeat new password",
        validators=[DataRequired(), EqualTo("password", message="The passwords do not match.")],
        render_kw=_NEW_PASSWORD,
    )


class ChangeEmailForm(BaseForm):
    email = EmailField("New email address", validators=[DataRequired(), Length(max=254)],
                       render_kw=_EMAIL)
    password = PasswordField("Your password", validators=[DataRequired(),
                                                          Length(max=MAX_LENGTH)],
                             render_kw=_CURRENT_PASSWORD)


class CodeForm(BaseForm):
    """A code from the authenticator app (a recovery code is accepted too)."""

    code = _code_field("Code", "The 6 digits your authenticator app shows.")
    next = HiddenField()


class RecoveryCodeForm(CodeForm):
    """One of the recovery codes, for someone without their phone."""

    code = _code_field("Recovery code", "One of the codes you saved when you turned "
                                        "two-factor sign-in on.", recovery=True)


class TurnOffTwoFactorForm(BaseForm):
    password = PasswordField("Your password", validators=[DataRequired(),
                                                          Length(max=MAX_LENGTH)],
                             render_kw=_CURRENT_PASSWORD)
    code = _code_field("Code", "The 6 digits your authenticator app shows.")


class TurnOffWithRecoveryCodeForm(TurnOffTwoFactorForm):
    """Turning it off without the phone: a recovery code instead."""

    code = _code_field("Recovery code", "One of the codes you saved when you turned "
                                        "two-factor sign-in on.", recovery=True)


class LoginForm(BaseForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)],
                       render_kw=_SIGN_IN_EMAIL)
    password = PasswordField("Password", validators=[DataRequired(), Length(max=MAX_LENGTH)],
                             render_kw=_CURRENT_PASSWORD)
    remember = BooleanField("Keep me signed in")
    next = HiddenField()


class ChangePasswordForm(BaseForm):
    current_password = PasswordField("Current password", validators=[DataRequired()],
                                     render_kw=_CURRENT_PASSWORD)
    password = PasswordField(
        "New password", validators=[DataRequired(), _PASSWORD_LENGTH], render_kw=_NEW_PASSWORD
    )
    confirm = PasswordField(
        "Repeat new password",
        validators=[DataRequired(), EqualTo("password", message="The passwords do not match.")],
        render_kw=_NEW_PASSWORD,
    )


class ProfileForm(BaseForm):
    display_name = StringField("Display name", validators=[DataRequired(), Length(max=80)])
    bio = TextAreaField("About you", validators=[Optional(), Length(max=2000)])
    location = StringField("Location", validators=[Optional(), Length(max=120)])
    links = FieldList(
        StringField(
            "Link",
            validators=[
                Optional(),
                Length(max=300),
                URL(require_tld=True, message="Enter a full web address (https://…)."),
                web_link,
            ],
        ),
        min_entries=4,
        max_entries=4,
    )

