from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy import orm as so
from werkzeug.security import check_password_hash, generate_password_hash

from leap_me.audit import Audited
from leap_me.auth.roles import Role
from leap_me.db import Base, TimestampMixin, utcnow
from leap_me.locking import Versioned


def normalise_username(value: str | None) -> str:
    """Usernames are case-insensitive: stored and compared stripped and in lower case."""
    return (value or "").strip().lower()


class User(Audited, Versioned, TimestampMixin, UserMixin, Base):
    __tablename__ = "user_account"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    username: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    full_name: so.Mapped[str] = so.mapped_column(sa.String(120), default="")
    email: so.Mapped[str] = so.mapped_column(sa.String(120), default="")
    role: so.Mapped[str] = so.mapped_column(sa.String(20))
    organisation_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("organisation.id", ondelete="RESTRICT"), index=True
    )
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(255))
    locale: so.Mapped[str | None] = so.mapped_column(sa.String(5))
    is_enabled: so.Mapped[bool] = so.mapped_column(default=True)
    last_login_dt: so.Mapped[datetime | None]

    organisation = so.relationship("Organisation", lazy="joined")
    tokens: so.Mapped[list[ApiToken]] = so.relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="ApiToken.created_dt.desc()"
    )

    __table_args__ = (
        sa.CheckConstraint(
            "role IN ('admin', 'planner', 'partner', 'reviewer', 'viewer')", name="role"
        ),
        sa.CheckConstraint("role <> 'partner' OR organisation_id IS NOT NULL", name="partner_org"),
    )

    #: The random id of the server-side session this object was loaded for (see
    #: :class:`UserSession`); set by the sign-in and by the session loader.
    _session_token = None
    _session_last_seen = None

    @so.validates("username")
    def _normalise_username(self, _key: str, value: str) -> str:
        return normalise_username(value)

    def __repr__(self) -> str:
        return f"<User {self.username} ({self.role})>"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses disabled accounts
        return bool(self.is_enabled)

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and remember-me cookies: the random id of
        a server-side :class:`UserSession`, never the user id or any part of the password
        hash. Revoking the row (logout, password change) ends the cookie everywhere."""
        if not self._session_token:
            raise RuntimeError("start a UserSession (auth.services.start_session) first")
        return self._session_token

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    def has_role(self, *roles: Role | str) -> bool:
        return self.role in {str(r) for r in roles}

    def set_password(self, password: str) -> None:
        from flask import current_app, has_app_context

        method = "scrypt"
        if has_app_context():
            method = current_app.config.get("PASSWORD_HASH_METHOD", method)
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


# Usernames are stored in lower case (see ``User._normalise_username``); this index makes
# the database itself refuse "Admin" beside "admin", whatever wrote the row.
sa.Index("uq_user_account_username_ci", sa.func.lower(User.username), unique=True)


def hash_token(raw: str) -> str:
    """Tokens are long random strings, so a fast unsalted hash is enough and allows lookup."""
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(Base):
    __tablename__ = "api_token"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    name: so.Mapped[str] = so.mapped_column(sa.String(80))
    prefix: so.Mapped[str] = so.mapped_column(sa.String(12))
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    created_dt: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    last_used_dt: so.Mapped[datetime | None]
    revoked_dt: so.Mapped[datetime | None]

    user: so.Mapped[User] = so.relationship(back_populates="tokens")

    def __repr__(self) -> str:
        return f"<ApiToken {self.prefix}… of user {self.user_id}>"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_dt is not None

    @staticmethod
    def generate() -> str:
        return "leap_" + secrets.token_urlsafe(32)


class UserSession(Base):
    """A signed-in browser. The cookie carries only a random id whose hash is kept here, so
    every worker and host sees the same sessions, and logout or a password change ends
    them at once."""

    __tablename__ = "user_session"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    created_dt: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    last_seen_dt: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    revoked_dt: so.Mapped[datetime | None]
    user_agent: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    remote_addr: so.Mapped[str] = so.mapped_column(sa.String(64), default="")

    user: so.Mapped[User] = so.relationship()

    def __repr__(self) -> str:
        return f"<UserSession {self.id} of user {self.user_id}>"


class LoginAttempt(Base):
    """Failed and successful sign-ins, kept to slow down password guessing."""

    __tablename__ = "login_attempt"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    username: so.Mapped[str] = so.mapped_column(sa.String(64), index=True)
    remote_addr: so.Mapped[str] = so.mapped_column(sa.String(64), default="")
    success: so.Mapped[bool]
    created_dt: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)

    # Failures from one address across every username (see services.is_locked_out).
    __table_args__ = (
        sa.Index("ix_login_attempt_remote_addr_created", "remote_addr", "created_dt"),
    )

    def __repr__(self) -> str:
        return f"<LoginAttempt {self.username} {'ok' if self.success else 'failed'}>"
