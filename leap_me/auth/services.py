"""Sign-in throttling, users and tokens: plain functions, no request object, no commit."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy import orm as so

from leap_me.auth.models import (
    ApiToken,
    LoginAttempt,
    User,
    UserSession,
    hash_token,
    normalise_username,
)
from leap_me.auth.roles import Role
from leap_me.db import utcnow


class AccountError(ValueError):
    """A user-facing problem with an account; the message is already translated.

    ``errors`` maps each form field to its message, so that a form can show it in place
    and the command line can print it."""

    def __init__(self, message: str, errors: dict[str, str] | None = None):
        super().__init__(message)
        self.errors = errors or {"": message}


#: Failures from all addresses together that lock an account, as a multiple of the
#: per-address limit: high enough that a stranger cannot lock a colleague out on purpose,
#: low enough to stop a spread-out guessing attack.
GLOBAL_FACTOR = 10


def is_locked_out(
    session: so.Session,
    username: str,
    remote_addr: str,
    max_failures: int,
    minutes: int,
    max_address_failures: int | None = None,
) -> bool:
    """Too many recent failures for this account from this address, or from everywhere,
    or from this address across every username (someone trying many names).

    Failures before the account's last successful sign-in do not count for the account;
    they do count for the address, or one known password would reset a guessing run.
    The counts live in the database, so every worker and host applies the same limits.
    """
    username = normalise_username(username)
    since = utcnow() - timedelta(minutes=minutes)
    if max_address_failures:
        from_here = session.scalar(
            sa.select(sa.func.count(LoginAttempt.id)).where(
                LoginAttempt.remote_addr == remote_addr[:64],
                LoginAttempt.success.is_(False),
                LoginAttempt.created_dt > since,
            )
        )
        if from_here >= max_address_failures:
            return True
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
    session.add(
        LoginAttempt(
            username=normalise_username(username)[:64],
            remote_addr=remote_addr[:64],
            success=success,
        )
    )


def user_by_name(session: so.Session, username: str) -> User | None:
    return session.scalar(sa.select(User).where(User.username == normalise_username(username)))


def authenticate(session: so.Session, username: str, password: str) -> User | None:
    user = user_by_name(session, username)
    if user is None:
        # Hash anyway so that timing does not reveal which usernames exist.
        User(password_hash="").set_password(password)
        return None
    if not user.check_password(password):
        return None
    return user


USERNAME_RE = re.compile(r"[a-z0-9._-]{2,64}")
MIN_PASSWORD, MAX_PASSWORD = 8, 200


@dataclass
class AccountData:
    """What the new-user form and ``leap-me users create`` both submit."""

    username: str
    role: str
    password: str = ""
    organisation_id: int | None = None
    full_name: str = ""
    email: str = ""


def account_errors(session: so.Session, data: AccountData, user: User | None = None) -> dict:
    """Every rule for an account's fields, in one place: the web form and the command
    line call this and show the same messages. ``user`` is the account being edited
    (None for a new one, where a password is required). Returns {field: message}."""
    from flask_babel import gettext as _

    errors: dict[str, str] = {}
    username = normalise_username(data.username)
    if not USERNAME_RE.fullmatch(username):
        errors["username"] = _(
            "A username has 2 to 64 characters: letters, digits, dots, dashes or underscores only."
        )
    else:
        clash = session.scalar(sa.select(User.id).where(User.username == username))
        if clash and (user is None or clash != user.id):
            errors["username"] = _("The username %(name)s is already taken.", name=username)
    if data.role not in {r.value for r in Role}:
        errors["role"] = _("Unknown role: %(role)s.", role=data.role)
    elif data.role == Role.PARTNER and not data.organisation_id:
        errors["organisation_id"] = _("A partner reporter must belong to an organisation.")
    if user is None and not data.password:
        errors["password"] = _("Give the new user a password.")
    elif data.password and not MIN_PASSWORD <= len(data.password) <= MAX_PASSWORD:
        errors["password"] = _("The password must have at least 8 characters.")
    if len(data.full_name or "") > 120:
        errors["full_name"] = _("The full name may have at most 120 characters.")
    if data.email:
        from email_validator import EmailNotValidError, validate_email

        try:
            validate_email(data.email, check_deliverability=False)
        except EmailNotValidError:
            errors["email"] = _("%(email)s is not a valid email address.", email=data.email)
        if len(data.email) > 120:
            errors["email"] = _("The email address may have at most 120 characters.")
    return errors


def create_user(
    session: so.Session,
    username: str,
    role: str,
    password: str,
    organisation_id: int | None = None,
    full_name: str = "",
    email: str = "",
) -> User:
    data = AccountData(username, role, password, organisation_id, full_name.strip(), email.strip())
    if errors := account_errors(session, data):
        raise AccountError(" ".join(errors.values()), errors)
    user = User(
        username=data.username,
        role=data.role,
        organisation_id=data.organisation_id,
        full_name=data.full_name,
        email=data.email,
    )
    user.set_password(password)
    session.add(user)
    session.flush()
    return user


def active_admins(session: so.Session, excluding: int | None = None) -> int:
    stmt = sa.select(sa.func.count(User.id)).where(
        User.role == Role.ADMIN.value, User.is_enabled.is_(True)
    )
    if excluding is not None:
        stmt = stmt.where(User.id != excluding)
    return session.scalar(stmt)


def admin_change_errors(
    session: so.Session, acting: User, user: User, role: str, enabled: bool
) -> dict[str, str]:
    """The two rules that keep someone able to manage accounts: an administrator cannot
    disable or demote themself, and the last active administrator stays one."""
    from flask_babel import gettext as _

    errors: dict[str, str] = {}
    removes_admin = (
        user.role == Role.ADMIN and user.is_enabled and (role != Role.ADMIN or not enabled)
    )
    if user.id == acting.id:
        if role != Role.ADMIN and user.role == Role.ADMIN:
            errors["role"] = _("You cannot take the administrator role from yourself.")
        if not enabled:
            errors["is_enabled"] = _("You cannot disable your own account.")
    elif removes_admin and active_admins(session, excluding=user.id) == 0:
        field = "role" if role != Role.ADMIN else "is_enabled"
        errors[field] = _(
            "%(name)s is the last active administrator: make someone else an administrator first.",
            name=user.username,
        )
    return errors


# --- Server-side sessions ----------------------------------------------------------

#: How often a session's last_seen is written: once per interval, not on every request.
SEEN_INTERVAL = timedelta(minutes=5)


def start_session(
    session: so.Session, user: User, user_agent: str = "", remote_addr: str = ""
) -> str:
    """Open a session for ``user`` and return its raw id (for the cookie only; the
    database keeps its hash)."""
    raw = secrets.token_urlsafe(32)
    session.add(
        UserSession(
            user=user,
            token_hash=hash_token(raw),
            user_agent=(user_agent or "")[:200],
            remote_addr=(remote_addr or "")[:64],
        )
    )
    session.flush()
    user._session_token = raw
    return raw


def user_for_session(session: so.Session, raw: str, idle_days: int) -> User | None:
    """The user of a live session: not revoked, used within ``idle_days``, account
    enabled. Changes nothing (it may run inside a flush); see :func:`touch_session`."""
    if not raw or len(raw) > 100:
        return None
    row = session.scalar(
        sa.select(UserSession)
        .options(so.joinedload(UserSession.user))
        .where(UserSession.token_hash == hash_token(raw), UserSession.revoked_dt.is_(None))
    )
    if row is None or row.last_seen_dt < utcnow() - timedelta(days=idle_days):
        return None
    if not row.user.is_active:
        return None
    row.user._session_token = raw
    row.user._session_last_seen = row.last_seen_dt
    return row.user


def touch_session(session: so.Session, user: User) -> bool:
    """Record that the session is in use, at most once every few minutes."""
    seen = getattr(user, "_session_last_seen", None)
    now = utcnow()
    if seen is None or seen >= now - SEEN_INTERVAL or not user._session_token:
        return False
    session.execute(
        sa.update(UserSession)
        .where(UserSession.token_hash == hash_token(user._session_token))
        .values(last_seen_dt=now)
    )
    user._session_last_seen = now
    return True


def end_session(session: so.Session, raw: str | None) -> None:
    if raw:
        session.execute(
            sa.update(UserSession)
            .where(UserSession.token_hash == hash_token(raw), UserSession.revoked_dt.is_(None))
            .values(revoked_dt=utcnow())
        )


def revoke_sessions(session: so.Session, user_id: int, keep: str | None = None) -> int:
    """End every session of a user but ``keep`` (a raw id); returns how many ended."""
    stmt = sa.update(UserSession).where(
        UserSession.user_id == user_id, UserSession.revoked_dt.is_(None)
    )
    if keep:
        stmt = stmt.where(UserSession.token_hash != hash_token(keep))
    return session.execute(stmt.values(revoked_dt=utcnow())).rowcount


def revoke_tokens(session: so.Session, user_id: int) -> int:
    return session.execute(
        sa.update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_dt.is_(None))
        .values(revoked_dt=utcnow())
        .execution_options(synchronize_session="fetch")
    ).rowcount


def set_password(
    session: so.Session, user: User, password: str, keep_session: str | None = None
) -> tuple[int, int]:
    """Change a password and end what the old one opened: every other session and every
    API token (a stolen password may have made one). Returns (sessions, tokens) ended."""
    user.set_password(password)
    session.flush()
    return revoke_sessions(session, user.id, keep=keep_session), revoke_tokens(session, user.id)


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
    if not raw or len(raw) > 100:
        return None
    token = session.scalar(
        sa.select(ApiToken)
        .options(so.joinedload(ApiToken.user))
        .where(ApiToken.token_hash == hash_token(raw), ApiToken.revoked_dt.is_(None))
    )
    if token is None or not token.user.is_active:
        return None
    token.last_used_dt = utcnow()
    return token.user


def account_counts(session: so.Session) -> dict:
    """Accounts per role (enabled, disabled) and partner accounts without an organisation,
    for the administrator's dashboard: one grouped query."""
    rows = session.execute(
        sa.select(
            User.role,
            User.is_enabled,
            (User.organisation_id.is_(None)).label("no_org"),
            sa.func.count(),
        ).group_by(User.role, User.is_enabled, (User.organisation_id.is_(None)))
    ).all()
    per_role: dict[str, dict[str, int]] = {}
    partners_without_org = 0
    for role, enabled, no_org, n in rows:
        entry = per_role.setdefault(role, {"enabled": 0, "disabled": 0})
        entry["enabled" if enabled else "disabled"] += n
        if role == "partner" and enabled and no_org:
            partners_without_org += n
    return {
        "per_role": per_role,
        "total": sum(e["enabled"] + e["disabled"] for e in per_role.values()),
        "partners_without_org": partners_without_org,
    }
