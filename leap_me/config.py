"""Configuration from environment variables, with safe defaults for a single machine."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path


def _secret_key(instance_path: str) -> str:
    """Read SECRET_KEY from the environment, or generate one once into the instance folder.

    A constant in code would let anyone who reads the repository forge sessions.
    """
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def database_url(instance_path: str) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        # Heroku-style URLs name the driver-less scheme; we use psycopg 3.
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url[len("postgres://") :]
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        return url
    return "sqlite:///" + str(Path(instance_path) / "leap_me.sqlite")


def time_zone(name: str) -> str:
    """A time zone name the tz database knows (``Asia/Phnom_Penh``), or a clear error."""
    import pytz

    try:
        pytz.timezone(name)
    except pytz.UnknownTimeZoneError:
        raise ValueError(
            f"LEAP_TIMEZONE={name!r} is not a time zone name such as Asia/Phnom_Penh or UTC."
        ) from None
    return name


def from_environment(instance_path: str) -> dict:
    return {
        "SECRET_KEY": _secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url(instance_path),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "MAX_CONTENT_LENGTH": int(os.environ.get("LEAP_MAX_UPLOAD_MB", "10")) * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("LEAP_HTTPS", "0") == "1",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": os.environ.get("LEAP_HTTPS", "0") == "1",
        "PREFERRED_URL_SCHEME": "https" if os.environ.get("LEAP_HTTPS") == "1" else "http",
        "BABEL_DEFAULT_LOCALE": "en",
        # Times are stored in UTC and shown in Cambodia's time (UTC+7) unless set.
        "BABEL_DEFAULT_TIMEZONE": time_zone(os.environ.get("LEAP_TIMEZONE", "Asia/Phnom_Penh")),
        "LANGUAGES": ("en", "km"),
        "LOGIN_MAX_FAILURES": 5,
        "LOGIN_LOCKOUT_MINUTES": 15,
        # Failed sign-ins from one address across all usernames within the lockout window.
        "LOGIN_MAX_ADDRESS_FAILURES": int(os.environ.get("LEAP_LOGIN_MAX_ADDRESS_FAILURES", "15")),
        # A server-side session unused for this many days ends (see auth.models.UserSession).
        # Reverse proxies in front (nginx: 1) whose X-Forwarded-For/-Proto are trusted;
        # without it every sign-in behind a proxy has the proxy's address.
        "PROXY_COUNT": int(os.environ.get("LEAP_PROXY_COUNT", "0")),
        "SESSION_IDLE_DAYS": int(os.environ.get("LEAP_SESSION_IDLE_DAYS", "30")),
        "REMEMBER_COOKIE_DURATION": timedelta(
            days=int(os.environ.get("LEAP_SESSION_IDLE_DAYS", "30"))
        ),
        "PAGE_SIZE": 25,
        "WTF_CSRF_TIME_LIMIT": None,
        # Email notifications (Flask's usual MAIL_* names); off without MAIL_SERVER.
        "MAIL_SERVER": os.environ.get("MAIL_SERVER") or None,
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "25") or 25),
        "MAIL_USE_TLS": os.environ.get("MAIL_USE_TLS", "0").lower() in ("1", "true", "yes"),
        "MAIL_USE_SSL": os.environ.get("MAIL_USE_SSL", "0").lower() in ("1", "true", "yes"),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER") or "leap-me@localhost",
    }


def secure_sqlite_file(uri: str) -> None:
    """Create a SQLite database file readable by its owner only (0600), before SQLite
    creates it with the umask's 0644: it holds password hashes and personal data.
    SQLite gives its journal and WAL files the database file's mode. A file made
    world-readable by an older version is tightened."""
    import sqlalchemy as sa

    url = sa.engine.make_url(uri)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return
    if url.database.startswith("file:"):
        return
    path = Path(url.database)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        try:
            if path.stat().st_mode & 0o077 and path.owner() == _whoami():
                path.chmod(0o600)
        except (OSError, KeyError):
            pass  # not ours to change; the deployment guide says how to set it
    else:
        os.close(fd)


def _whoami() -> str:
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name
