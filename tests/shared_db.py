"""A database seeded once per process for test modules that run very often (mutation
testing runs them once per mutant, in processes forked after a first full run).

On SQLite the seeded database lives in memory and is kept as bytes (``serialize``) after
it is first built, so every later build is a copy; on PostgreSQL (DATABASE_URL) it is
seeded in the suite's database as usual. Each test's writes are rolled back after it,
which is enough for services that only flush (the value store, the audit trail).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import sqlalchemy as sa

_SEEDED: dict[str, bytes] = {}
#: On PostgreSQL, the seeded rows per database address and key (see ``restore_rows``).
_PG_ROWS: dict[tuple[str, str], dict[str, list[dict]]] = {}
#: One app per database address and process (creating one costs about a second, which
#: mutation testing would otherwise pay once per mutant).
_APPS: dict[str, object] = {}


def seeded_session(request, key: str, seed: Callable[[object], None]) -> Iterator[object]:
    """Yield the session of an app (its context pushed) on a database seeded by ``seed``."""
    from leap_me import create_app
    from leap_me.extensions import db
    from tests.conftest import empty_all_tables, make_config, read_rows, restore_rows

    postgres = bool(os.environ.get("DATABASE_URL"))
    if postgres:
        request.getfixturevalue("_schema")
        url = request.getfixturevalue("database_url")
        options = {}
    else:
        url = "sqlite://"
        options = {"SQLALCHEMY_ENGINE_OPTIONS": {"poolclass": sa.pool.StaticPool}}
    app = _APPS.get(url)
    if app is None:
        app = _APPS[url] = create_app(make_config(url, **options))
    with app.app_context():
        if postgres:
            if (url, key) in _PG_ROWS:
                restore_rows(_PG_ROWS[(url, key)])
            else:
                empty_all_tables()
                seed(db.session)
                db.session.commit()
                _PG_ROWS[(url, key)] = read_rows()
        else:
            raw = db.engine.raw_connection().driver_connection
            if key in _SEEDED:
                raw.deserialize(_SEEDED[key])
            else:
                db.create_all()
                seed(db.session)
                db.session.commit()
                _SEEDED[key] = raw.serialize()
        try:
            yield db.session
        finally:
            db.session.rollback()
            db.session.remove()
            db.engine.dispose()
