"""``flask users ...``: account administration from the command line."""

from __future__ import annotations

import click

from crowdfund.auth import bp, services
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.i18n import _, ngettext


@bp.cli.command("create-operator")
@click.argument("email")
@click.option("--name", "display_name", default=None, help="Display name for a new account.")
@click.option(
    "--password",
    envvar="OPERATOR_PASSWORD",
    default=None,
    help="Password for a new account (or OPERATOR_PASSWORD); prompted when needed.",
)
def create_operator(email: str, display_name: str | None, password: str | None) -> None:
    """Make EMAIL an operator, creating the account if it does not exist."""
    try:
        normalised = services.normalise_email(email)
        exists = db.session.scalar(
            db.select(services.User.id).where(services.User.email == normalised)
        )
        if exists is None and not password:
            password = click.prompt(_("Password for the new account"), hide_input=True,
                                    confirmation_prompt=True)
        user, created = services.make_operator(email, password, display_name)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(_("Created operator %(email)s (id %(id)s).", email=user.email, id=user.id)
               if created else
               _("Promoted operator %(email)s (id %(id)s).", email=user.email, id=user.id))


@bp.cli.command("end-sessions")
@click.argument("email")
def end_sessions(email: str) -> None:
    """Sign EMAIL out everywhere: every session and "keep me signed in" cookie ends."""
    try:
        normalised = services.normalise_email(email)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    user = db.session.scalar(db.select(services.User).where(services.User.email == normalised))
    if user is None:
        raise click.ClickException(_("No account has %(email)s.", email=normalised))
    ended = services.end_sessions(user, "ended from the command line")
    db.session.commit()
    click.echo(ngettext("Ended %(num)s session of %(email)s.",
                        "Ended %(num)s sessions of %(email)s.", ended, email=user.email))
