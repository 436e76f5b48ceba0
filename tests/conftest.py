"""Fixtures in the style of the Flask tutorial: a fresh app per test, a clean database,
a client, a CLI runner, and sign-in helpers for each role.

The suite runs on SQLite by default and on PostgreSQL when DATABASE_URL says so. The
schema is created once per run; after each test every table is emptied.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from leap_me import create_app, seeding
from leap_me.config import database_url as normalise_url
from leap_me.extensions import db as _db

ROLES = ("admin", "planner", "partner", "reviewer", "viewer")
PASSWORD = "leap-demo-2026"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    if os.environ.get("DATABASE_URL"):
        return normalise_url("")
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite")


def make_config(database_url: str, **extra) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast in tests; scrypt in production
        "SERVER_NAME": None,
        **extra,
    }


@pytest.fixture(scope="session")
def _schema(database_url):
    app = create_app(make_config(database_url))
    with app.app_context():
        _db.drop_all()
        _db.create_all()
    yield
    with app.app_context():
        _db.drop_all()
        _db.engine.dispose()


def empty_all_tables() -> None:
    tables = list(reversed(_db.metadata.sorted_tables))
    if _db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        _db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for t in tables:
            _db.session.execute(t.delete())
    _db.session.commit()


#: One application per database for the whole run: building one compiles some 750 URL
#: rules (a tenth of a second), which ~2,000 tests would otherwise pay each. Every test
#: still gets a clean database, and its changes to the configuration are undone after it.
_APPS: dict[str, object] = {}


@pytest.fixture
def app(database_url, _schema):
    app = _APPS.get(database_url)
    if app is None:
        app = _APPS[database_url] = create_app(make_config(database_url))
    config = dict(app.config)
    with app.app_context():
        empty_all_tables()
        seeding.seed_all(_db.session, Path(app.config["SEEDS_DIR"]), only=seeding.BASE_STEPS)
        _db.session.commit()
    try:
        yield app
    finally:
        with app.app_context():
            _db.session.rollback()
            empty_all_tables()
            _db.session.remove()
            _db.engine.dispose()
        app.config.clear()
        app.config.update(config)


@pytest.fixture
def db(app):
    with app.app_context():
        yield _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, username: str = "planner", password: str = PASSWORD):
        return self._client.post("/login", data={"username": username, "password": password})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def login(client, auth):
    """``login('reviewer')`` signs the test client in as the demo user of that role."""

    def _login(username: str):
        response = auth.login(username)
        assert response.status_code == 302, f"could not sign in as {username}"
        return client

    return _login


@pytest.fixture
def api_token(app):
    """``api_token('viewer')`` returns a fresh raw token for the demo user of that role."""
    from leap_me.auth.models import User
    from leap_me.auth.services import create_token

    def _token(username: str) -> str:
        with app.app_context():
            user = _db.session.scalar(sa.select(User).where(User.username == username))
            _t, raw = create_token(_db.session, user, "test")
            _db.session.commit()
            return raw

    return _token


class QueryCounter:
    def __init__(self, engine):
        self.engine = engine
        self.count = 0
        self.statements: list[str] = []

    def _on(self, _conn, _cursor, statement, *_args):
        self.count += 1
        self.statements.append(statement)

    def __enter__(self):
        sa.event.listen(self.engine, "before_cursor_execute", self._on)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._on)


@pytest.fixture
def count_queries(app):
    """``with count_queries() as q: ...; q.count`` counts SQL statements sent."""

    def _counter():
        with app.app_context():
            return QueryCounter(_db.engine)

    return _counter
