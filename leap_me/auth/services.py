"""Sign-in throttling, users and tokens: plain functions, no request object, no commit."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy import orm as so

from leap_me.auth.models import ApiToken, LoginAttempt, User, hash_token
from leap_me.auth.roles import Role
from leap_me.db import utcnow


class AccountError(ValueError):
    """A user-facing problem with an account; the message is already translated."""


#: Failures from all addresses together that lock an account, as a multiple of the
#: per-address limit: high enough that a stranger cannot lock a colleague out on purpose,
#: low enough to stop a spread-out guessing attack.
GLOBAL_FACTOR = 10


def is_locked_out(
    session: so.Session, username: str, remote_addr: str, max_failures: int, minutes: int
) -> bool:
    """Too many recent failures for this account from this address, or from everywhere.

    Failures before the account's last successful sign-in do not count.
    """
    since = utcnow() - timedelta(minutes=minutes)
    last_success = session.scalar(
        sa.select(sa.func.max(LoginAttempt.created_dt)).where(
            LoginAttempt.username == username, LoginAttempt.success.is_(True)
        )
    )
    if last_success is not None and last_success > since:
        since = last_success
    here = sa.func.count(LoginAttempt.id).filter(LoginAttempt.remote_addr == remote_addr[:64])
    row = session.execute(
        sa.select(here, sa.func.count(LoginAttempt.id)).where(
            LoginAttempt.username == username,
            LoginAttempt.success.is_(False),
            LoginAttempt.created_dt > since,
        )
    ).one()
    return row[0] >= max_failures or row[1] >= max_failures * GLOBAL_FACTOR


def record_attempt(session: so.Session, username: str, remote_addr: str, success: bool) -> None:
    session.add(LoginAttempt(username=username[:64], remote_addr=remote_addr[:64], success=success))


def authenticate(session: so.Session, username: str, password: str) -> User | None:
    user = session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        # Hash anyway so that timing does not reveal which usernames exist.
        User(password_hash="").set_password(password)
        return None
    if not user.check_password(password):
        return None
    return user


def create_user(
    session: so.Session,
    username: str,
    role: str,
    password: str,
    organisation_id: int | None = None,
    full_name: str = "",
    email: str = "",
) -> User:
    from flask_babel import gettext as _

    if role not in {r.value for r in Role}:
        raise AccountError(_("Unknown role: %(role)s.", role=role))
    if role == Role.PARTNER and organisation_id is None:
        raise AccountError(_("A partner reporter must belong to an organisation."))
    if len(password) < 8:
        raise AccountError(_("The password must have at least 8 characters."))
    if session.scalar(sa.select(User.id).where(User.username == username)):
        raise AccountError(_("The username %(name)s is already taken.", name=username))
    user = User(
        username=username,
        role=role,
        organisation_id=organisation_id,
        full_name=full_name,
        email=email,
    )
    user.set_password(password)
    session.add(user)
    session.flush()
    return user


def create_token(session: so.Session, user: User, name: str) -> tuple[ApiToken, str]:
    """Return the token row and the raw token, which is shown once and never stored."""
    raw = ApiToken.generate()
    token = ApiToken(
        user=user, name=name[:80] or "token", prefix=raw[:12], token_hash=hash_token(raw)
    )
    session.add(token)
    session.flush()
    return token, raw


def user_for_token(session: so.Session, raw: str) -> User | None:
    token = session.scalar(
        sa.select(ApiToken)
        .options(so.joinedload(ApiToken.user))
        .where(ApiToken.token_hash == hash_token(raw), ApiToken.revoked_dt.is_(None))
    )
    if token is None or not token.user.is_active:
        return None
    token.last_used_dt = utcnow()
    return token.user
