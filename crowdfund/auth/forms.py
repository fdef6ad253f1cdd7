"""Forms for accounts and founder profiles."""


from wtforms import BooleanField, FieldList, HiddenField, PasswordField, StringField, TextAreaField
from wtforms.validators import URL, DataRequired, EqualTo, Length, Optional, ValidationError

from crowdfund.auth.passwords import MAX_LENGTH, MIN_LENGTH
from crowdfund.forms import BaseForm

_PASSWORD_LENGTH = Length(
    min=MIN_LENGTH, max=MAX_LENGTH,
    message=f"Use at least {MIN_LENGTH} characters (at most {MAX_LENGTH}).",
)


def web_link(form, field):
    """Only http(s) links: no javascript:, data: or other schemes."""
    if field.data and not field.data.lower().startswith(("http://", "https://")):
        raise ValidationError("Links must start with http:// or https://.")


class RegisterForm(BaseForm):
    display_name = StringField("Your name", validators=[DataRequired(), Length(max=80)])
    email = StringField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField(
        "Password",
        validators=[DataRequired(), _PASSWORD_LENGTH],
        description=f"At least {MIN_LENGTH} characters.",
    )
    confirm = PasswordField(
        "Repeat password",
        validators=[DataRequired(), EqualTo("password", message="The passwords do not match.")],
    )


class EmailForm(BaseForm):
    """An address to send a link to (forgot password)."""

    email = StringField("Email", validators=[DataRequired(), Length(max=254)])


class NewPasswordForm(BaseForm):
    """A new password chosen with a reset link."""

    password = PasswordField("New password", validators=[DataRequired(), _PASSWORD_LENGTH],
                             description=f"At least {MIN_LENGTH} characters.")
    confirm = PasswordField(
        "Repeat new password",
        validators=[DataRequired(), EqualTo("password", message="The passwords do not match.")],
    )


class ChangeEmailForm(BaseForm):
    email = StringField("New email address", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Your password", validators=[DataRequired(),
                                                          Length(max=MAX_LENGTH)])


class CodeForm(BaseForm):
    """A code from the authenticator app, or a recovery code."""

    code = StringField("Code", validators=[DataRequired(message="Type the code."),
                                           Length(max=40)],
                       description="The 6 digits your authenticator app shows, or one of "
                                   "your recovery codes.")
    next = HiddenField()


class TurnOffTwoFactorForm(BaseForm):
    password = PasswordField("Your password", validators=[DataRequired(),
                                                          Length(max=MAX_LENGTH)])
    code = StringField("Code", validators=[DataRequired(message="Type the code."),
                                           Length(max=40)])


class LoginForm(BaseForm):
    email = StringField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=MAX_LENGTH)])
    remember = BooleanField("Keep me signed in")
    next = HiddenField()


class ChangePasswordForm(BaseForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    password = PasswordField(
        "New password", validators=[DataRequired(), _PASSWORD_LENGTH]
    )
    confirm = PasswordField(
        "Repeat new password",
        validators=[DataRequired(), EqualTo("password", message="The passwords do not match.")],
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

