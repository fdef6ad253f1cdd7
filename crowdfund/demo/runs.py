"""What ``make run`` checks and says besides seeding: the first run starts the local Stripe
sandbox afresh with the database; a later one warns when the sandbox does not know the
demo's saved cards, and says how to see the operator's two-factor key again
(``flask demo operator-key``, development only: elsewhere a key is never shown twice)."""

from __future__ import annotations

import click
import pyotp
import sqlalchemy as sa
from flask import current_app

from crowdfund.auth import two_factor
from crowdfund.auth.models import User
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.payments import gateway
from crowdfund.payments.gateway import InvalidRequest
from crowdfund.payments.sandbox_client import forget_everything
from crowdfund.pledges.models import Pledge, PledgeStatus

#: How a later ``make run`` says where the operator's key is.
KEY_HINT = "`make operator-key` prints it again (development only)"

SANDBOX_FORGOT = (
    "Warning: the local Stripe sandbox does not know this demo's saved cards (it started "
    "without instance/sandbox-state.pickle, or that file belongs to another database), so "
    "its charges and refunds would fail with 'Not Found'. Stop, delete instance/ and "
    "`make run` again for a fresh demo.")


def fresh_sandbox() -> None:
    """Before seeding an empty database: the sandbox forgets what an earlier database made
    (its ids, and idempotency keys built from ids that start again at 1)."""
    gw = gateway()
    if gw.api_base:
        forget_everything(gw.api_base)


def sandbox_knows_the_cards() -> bool:
    """Whether the sandbox still has the card of the demo's first open pledge (True when
    there is no sandbox, or no such pledge)."""
    gw = gateway()
    if not gw.api_base:
        return True
    method = db.session.scalar(
        sa.select(Pledge.payment_method_id)
        .where(Pledge.status == PledgeStatus.ACTIVE, Pledge.payment_method_id.is_not(None))
        .order_by(Pledge.id).limit(1))
    if method is None:
        return True
    try:
        gw.card(method)
    except InvalidRequest:  # 404: the sandbox has never heard of it
        return False
    return True


def show_operator_key(email: str, *, new_codes: bool) -> None:
    """Print the key of the demo operator ``email`` and the code of the moment; with
    ``new_codes``, make new recovery codes and print five (the caller commits)."""
    env = current_app.config["ENV_NAME"]
    if env != "development":
        raise click.ClickException(
            f"Only in development (this is {env}): elsewhere an operator's two-factor key is "
            "never shown again; an operator who lost theirs uses a recovery code.")
    operator = db.session.scalar(sa.select(User).where(User.email == email,
                                                       User.is_operator.is_(True)))
    if operator is None or not two_factor.enabled(operator):
        raise click.ClickException(f"No demo operator {email} with two-factor sign-in here: "
                                   "is the demo seeded (make run)?")
    try:
        seed = two_factor.seed_of(operator)
    except DomainError as error:  # the secret key changed since the seed: unreadable
        raise click.ClickException(str(error)) from None
    click.echo(f"The demo operator {email} signs in with two-factor: add this key to an "
               f"authenticator app: {seed}")
    click.echo(f"  or type the code of this moment: {pyotp.TOTP(seed).now()} (good for 30 "
               "seconds, once)")
    if new_codes:
        codes = two_factor.new_recovery_codes(operator)
        click.echo("  new recovery codes (each works once; the earlier ones no longer do): "
                   + ", ".join(codes[:5]))
    else:
        click.echo(f"  recovery codes are kept hashed, never shown again: "
                   f"{two_factor.recovery_codes_left(operator)} left "
                   "(--new-recovery-codes makes new ones)")
