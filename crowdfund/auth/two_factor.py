"""Two-factor sign-in: an authenticator app's codes (TOTP, RFC 6238, with pyotp) and ten
single-use recovery codes.

Nothing secret is kept readable: the seed is encrypted (Fernet, with a key derived by HKDF
from TWO_FACTOR_KEY or the app's secret key; seeds written with the former key, a plain
SHA-256 of it, are still read and written again with the new one when next used), the
recovery codes are kept as HMACs. A code is accepted once (the step
of the last one is kept, and moved forward by a conditional UPDATE, so two uses at once
cannot both pass); failures are counted like passwords (``LoginAttempt``), per account.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

import pyotp
import segno
import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from crowdfund.auth import passwords
from crowdfund.auth.models import LoginAttempt, RecoveryCode, TwoFactor, User, UserSession
from crowdfund.auth.services import (
    InvalidCredentials,
    LoginThrottled,
    _token_hash,
    throttle_state,
)
from crowdfund.db import utcnow
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.i18n import _, ngettext
from crowdfund.locking import lock_key

ISSUER = "crowdfund"
RECOVERY_CODES = 10
_STEP = 30


class WrongCode(DomainError):
    pass


class SeedUnreadable(DomainError):
    """The seed was encrypted with a key this app no longer has (SECRET_KEY or
    TWO_FACTOR_KEY changed): only a recovery code or an operator's reset helps."""


#: HKDF's salt and info name what the key is for: no other key made from the same secret
#: (sessions, recovery codes) can equal it.
_SEED_KEY_SALT = b"crowdfund.auth.two_factor"
_SEED_KEY_INFO = b"fernet key for authenticator seeds, v2"


def _key_material() -> bytes:
    """TWO_FACTOR_KEY when set (then SECRET_KEY can be rotated without turning everyone's
    authenticator off), else SECRET_KEY."""
    return (current_app.config.get("TWO_FACTOR_KEY") or current_app.secret_key).encode()


def _fernet() -> Fernet:
    """The seeds' key, derived with HKDF-SHA256: every seed is written with it."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SEED_KEY_SALT,
               info=_SEED_KEY_INFO).derive(_key_material())
    return Fernet(base64.urlsafe_b64encode(key))


def _former_fernet() -> Fernet:
    """The key seeds were written with before HKDF (one SHA-256 of the secret): only read."""
    key = hashlib.sha256(b"two-factor seed:" + _key_material()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def _readers() -> MultiFernet:
    """Reads a seed written with either key; ``rotate`` writes it again with the new one."""
    return MultiFernet([_fernet(), _former_fernet()])


def _code_hash(code: str) -> str:
    return hmac.new(current_app.secret_key.encode(), b"recovery:" + code.encode(),
                    hashlib.sha256).hexdigest()


def _normal(code: str) -> str:
    return "".join(c for c in (code or "").lower() if c.isalnum())[:32]


def _totp(row: TwoFactor) -> pyotp.TOTP:
    try:
        seed = _readers().decrypt(row.secret_encrypted.encode()).decode()
    except InvalidToken:  # the secret key changed: the seed cannot be read any more
        raise SeedUnreadable(_("Your authenticator cannot be checked: use a recovery code, "
                               "or ask us to reset two-factor sign-in.")) from None
    return pyotp.TOTP(seed, issuer=ISSUER)


def of(user: User) -> TwoFactor | None:
    return db.session.scalar(sa.select(TwoFactor).where(TwoFactor.user_id == user.id))


def enabled(user: User) -> bool:
    row = of(user)
    return row is not None and row.confirmed_at is not None


# --- setting it up -----------------------------------------------------------------------


def begin_setup(user: User) -> TwoFactor:
    """A new seed, waiting for its first code (a setup begun earlier is replaced)."""
    row = of(user)
    if row is not None and row.confirmed_at is not None:
        raise DomainError(_("Two-factor sign-in is already on."))
    if row is None:
        row = TwoFactor(user_id=user.id)
        db.session.add(row)
    row.secret_encrypted = _fernet().encrypt(pyotp.random_base32().encode()).decode()
    row.last_step = 0
    db.session.flush()
    return row


def setup_details(user: User) -> tuple[str, str]:
    """What the person adds to their app, for the setup waiting: (the seed to type, the
    QR code as inline SVG). Shown on their own page only."""
    row = of(user)
    if row is None or row.confirmed_at is not None:
        raise DomainError(_("Start the setup first."))
    totp = _totp(row)
    uri = totp.provisioning_uri(name=user.email, issuer_name=ISSUER)
    svg = segno.make(uri, error="m").svg_inline(
        scale=5, title=_("QR code for your authenticator app"))
    return totp.secret, svg


def seed_of(user: User) -> str:
    """The seed of the person's authenticator, readable: only for ``flask demo
    operator-key``, which shows the development demo's operator theirs again."""
    row = of(user)
    if row is None or row.confirmed_at is None:
        raise DomainError(_("Two-factor sign-in is not on."))
    return _totp(row).secret


def confirm_setup(user: User, code: str) -> list[str]:
    """The first code from the app turns it on; returns the recovery codes (shown once)."""
    row = of(user)
    if row is None or row.confirmed_at is not None:
        raise DomainError(_("Start the setup first."))
    if not _accept_totp(row, code):
        raise WrongCode(_("That code is not right: check the time on your phone and type "
                          "the 6 digits the app shows now."), field="code")
    row.confirmed_at = utcnow()
    return new_recovery_codes(user)


def new_recovery_codes(user: User) -> list[str]:
    """Ten new codes (the earlier ones stop working)."""
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _number in range(RECOVERY_CODES):
        raw = base64.b32encode(secrets.token_bytes(10)).decode().lower()  # 80 bits
        codes.append(f"{raw[:4]}-{raw[4:8]}-{raw[8:12]}-{raw[12:16]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_code_hash(_normal(raw))))
    return codes


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


def turn_off(user: User, password: str, code: str, ip: str) -> None:
    if current_app.config["OPERATOR_TWO_FACTOR_REQUIRED"] and user.is_operator:
        raise DomainError(_("Operators keep two-factor sign-in on."))
    if not passwords.verify_password(user.password_hash, password):
        raise InvalidCredentials(_("Your password is incorrect."), field="password")
    check(user, code, ip)
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(sa.delete(TwoFactor).where(TwoFactor.user_id == user.id))


# --- checking a code ---------------------------------------------------------------------


def _accept_totp(row: TwoFactor, code: str) -> bool:
    """A code of the step before, now or after (clocks drift), never one of a step already
    used: the step is moved forward by one conditional UPDATE (two uses at once: one)."""
    code = _normal(code)
    if not (len(code) == 6 and code.isdigit()):
        return False
    totp, now_step = _totp(row), int(time.time()) // _STEP
    for step in (now_step - 1, now_step, now_step + 1):
        if step <= row.last_step or not hmac.compare_digest(totp.at(step * _STEP), code):
            continue
        moved = db.session.execute(
            sa.update(TwoFactor).where(TwoFactor.id == row.id, TwoFactor.last_step < step)
            .values(last_step=step).execution_options(synchronize_session=False)).rowcount
        if moved:
            row.last_step = step
            _rewrite_with_new_key(row)
            return True
    return False


def _rewrite_with_new_key(row: TwoFactor) -> None:
    """A seed still under the former key is encrypted again with the new one (written with
    the caller's commit), so that the former key's seeds wear out as people sign in."""
    token = row.secret_encrypted.encode()
    try:
        _fernet().decrypt(token)
    except InvalidToken:
        row.secret_encrypted = _readers().rotate(token).decode()


def _accept_recovery(user: User, code: str) -> bool:
    used = db.session.execute(
        sa.update(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                      RecoveryCode.code_hash == _code_hash(_normal(code)),
                                      RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow()).execution_options(synchronize_session=False)).rowcount
    return used == 1


def check(user: User, code: str, ip: str) -> str:
    """Accept a code from the app or a recovery code, or raise; throttled per account like
    passwords (the attempt is recorded: the caller commits either way). Returns which kind
    was used ("app" or "recovery code")."""
    cfg = current_app.config
    key = f"2fa:{user.email}"
    lock_key("second factor", key)  # one attempt after the other per account
    state = throttle_state(key, f"2fa:{ip}")
    if state.account_failures >= cfg["LOGIN_MAX_FAILURES_PER_ACCOUNT"]:
        minutes = int(cfg["LOGIN_WINDOW"].total_seconds() // 60)
        raise LoginThrottled(ngettext(
            "Too many wrong codes. Please wait %(num)s minute and try again.",
            "Too many wrong codes. Please wait %(num)s minutes and try again.", minutes))
    row = of(user)
    kind = None
    if row is not None and row.confirmed_at is not None:
        if _accept_totp(row, code):
            kind = "app"
        elif _accept_recovery(user, code):
            kind = "recovery code"
    db.session.add(LoginAttempt(email=key, user_id=user.id, ip=f"2fa:{ip}"[:45],
                                succeeded=kind is not None))
    if kind is None:
        raise WrongCode(_("That code is not right."), field="code")
    return kind


# --- the session that passed it ------------------------------------------------------------


def mark_session(user: User) -> None:
    """This browser's session passed the second factor now."""
    if user.session_token:
        db.session.execute(sa.update(UserSession).where(
            UserSession.token_hash == _token_hash(user.session_token))
            .values(second_factor_at=utcnow()))


def session_passed(user: User, within=None) -> bool:
    """Did this browser's session pass the second factor (``within`` a while, if given)?"""
    if not user.session_token:
        return False
    at = db.session.scalar(sa.select(UserSession.second_factor_at).where(
        UserSession.token_hash == _token_hash(user.session_token)))
    return at is not None and (within is None or at >= utcnow() - within)
