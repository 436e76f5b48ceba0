"""Fixtures in the style of the Flask tutorial: a fresh app per test, a clean database,
a client, a CLI runner, and sign-in helpers for each role.

The suite runs on SQLite by default and on PostgreSQL when DATABASE_URL says so. The
schema is created once per run; after each test every table is emptied.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Callable
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


#: The tests' instance folder (evidence files, uploads), one per run, never the
#: developer's own ``instance/``; two runs at once (SQLite and PostgreSQL) do not share it.
INSTANCE = tempfile.mkdtemp(prefix="leap-test-instance-")
atexit.register(shutil.rmtree, INSTANCE, True)


def make_config(database_url: str, **extra) -> dict:
    return {
        "INSTANCE_PATH": INSTANCE,
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


#: The rows the base seed writes, read once per database: {table name: rows}.
_SEED_ROWS: dict[str, dict[str, list[dict]]] = {}


def _touched_tables(conn) -> list[sa.Table]:
    """The tables a test may have written: those with rows and, on PostgreSQL, those
    whose id sequence has moved (a rolled-back insert leaves the table empty but the
    sequence advanced). One query each, whatever the number of tables."""
    tables = _db.metadata.sorted_tables
    probe = " UNION ALL ".join(
        f'SELECT {i} AS i WHERE EXISTS (SELECT 1 FROM "{t.name}")' for i, t in enumerate(tables)
    )
    touched = {tables[i].name for (i,) in conn.execute(sa.text(probe))}
    if conn.dialect.name == "postgresql":
        used = conn.execute(
            sa.text(
                "SELECT sequencename FROM pg_sequences "
                "WHERE schemaname = current_schema() AND last_value IS NOT NULL"
            )
        ).scalars()
        touched |= {name.removesuffix("_id_seq") for name in used}
    return [t for t in tables if t.name in touched]


def _sequence_after_rows(conn, t: sa.Table) -> None:
    """On PostgreSQL, set the table's id sequence after the ids written explicitly."""
    if conn.dialect.name == "postgresql" and "id" in t.c:
        conn.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('\"{t.name}\"', 'id'), "
                f'(SELECT max(id) FROM "{t.name}"))'
            )
        )


def reset_database(url: str, seeds: Path) -> None:
    """Bring the database back to the base seed, as ``empty_all_tables`` and a fresh
    ``seed_all(only=BASE_STEPS)`` would, in a few statements: only the tables a test
    touched are emptied, and the seed's rows (read once) are written back as they were,
    ids included, with each id sequence set after them."""
    if url not in _SEED_ROWS:
        empty_all_tables()
        seeding.seed_all(_db.session, seeds, only=seeding.BASE_STEPS)
        _db.session.commit()
        _SEED_ROWS[url] = read_rows()
        return
    restore_rows(_SEED_ROWS[url])


def read_rows() -> dict[str, list[dict]]:
    """Every row of every table that has rows: {table name: rows}, for ``restore_rows``."""
    with _db.engine.connect() as conn:
        out = {
            t.name: [dict(r._mapping) for r in conn.execute(sa.select(t))]
            for t in _db.metadata.sorted_tables
        }
    return {k: v for k, v in out.items() if v}


def restore_rows(rows: dict[str, list[dict]]) -> None:
    """Bring the database back to ``rows`` (from ``read_rows``) in a few statements: only
    the tables a test touched are emptied, and the rows are written back as they were, ids
    included, with each id sequence set after them (or, for an empty table, as new)."""
    with _db.engine.begin() as conn:
        touched = _touched_tables(conn)
        # DELETE, children first, not TRUNCATE: on a table of a few rows PostgreSQL's
        # TRUNCATE (a new file per table) costs far more than deleting them
        for t in reversed(touched):
            conn.execute(t.delete())
        for t in _db.metadata.sorted_tables:
            if t.name in rows:
                conn.execute(t.insert(), rows[t.name])
                _sequence_after_rows(conn, t)
            elif t in touched and conn.dialect.name == "postgresql" and "id" in t.c:
                # as new: the next id is 1 and the sequence reads as never used
                seq = f"pg_get_serial_sequence('\"{t.name}\"', 'id')"
                conn.execute(sa.text(f"SELECT setval({seq}, 1, false)"))


#: Databases built by slow steps, read once per run: {(url, key): rows}.
_BUILT_ROWS: dict[tuple[str, tuple], dict[str, list[dict]]] = {}


def restore_or_build(url: str, key: tuple, build: Callable[[], None]) -> None:
    """The database as ``build()`` leaves it: built the first time (and its rows read),
    then written back with ``restore_rows`` — a few statements instead of seed steps that
    go through the services one record at a time. ``build`` must write only rows (no
    files): the key names what it built, on top of the base seed."""
    rows = _BUILT_ROWS.get((url, key))
    if rows is None:
        build()
        _db.session.commit()
        _BUILT_ROWS[(url, key)] = read_rows()
    else:
        restore_rows(rows)


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
        reset_database(database_url, Path(app.config["SEEDS_DIR"]))
    try:
        yield app
    finally:
        with app.app_context():
            _db.session.rollback()
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
