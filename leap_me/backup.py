"""Backup and restore of the whole database as gzipped JSON lines.

The format is database-neutral, so a SQLite backup restores into PostgreSQL and back.
Line 1 is a header; every other line is ``{"t": table, "r": row}``; tables come in
foreign-key order so that a restore can insert them as they arrive.
"""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy import orm as so

from leap_me.db import Base, utcnow

FORMAT = "leap-me-backup"
VERSION = 1
BATCH = 1000


class RestoreError(RuntimeError):
    pass


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def _decoder(column: sa.Column):
    t = column.type
    if isinstance(t, sa.DateTime):
        return datetime.fromisoformat
    if isinstance(t, sa.Date):
        return date.fromisoformat
    if isinstance(t, sa.Numeric) and not isinstance(t, sa.Float):
        return Decimal
    if isinstance(t, sa.LargeBinary):
        return base64.b64decode
    return None


def _tables() -> list[sa.Table]:
    return list(Base.metadata.sorted_tables)


def _revision(session: so.Session) -> str | None:
    try:
        return session.scalar(sa.text("SELECT version_num FROM alembic_version"))
    except sa.exc.DBAPIError:
        session.rollback()
        return None


def write_backup(session: so.Session, fh: IO[bytes], progress=None) -> dict[str, int]:
    counts: dict[str, int] = {}
    with gzip.open(fh, "wt", encoding="utf-8") as out:
        header = {
            "format": FORMAT,
            "version": VERSION,
            "created": utcnow().isoformat(),
            "revision": _revision(session),
            "tables": [t.name for t in _tables()],
        }
        out.write(json.dumps(header) + "\n")
        for table in _tables():
            n = 0
            stmt = sa.select(table).order_by(*table.primary_key.columns)
            for row in session.execute(stmt.execution_options(yield_per=BATCH)).mappings():
                out.write(
                    json.dumps(
                        {"t": table.name, "r": {k: _encode(v) for k, v in row.items()}},
                        ensure_ascii=False,
                    )
                    + "\n"
                )
                n += 1
            counts[table.name] = n
            if progress:
                progress(table.name)
    return counts


def _lines(path: Path) -> Iterator[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise RestoreError(f"line {number}: not valid JSON ({exc.msg})") from exc


def is_database_empty(session: so.Session) -> bool:
    for table in _tables():
        if session.scalar(sa.select(sa.func.count()).select_from(table)):
            return False
    return True


def restore(session: so.Session, path: Path) -> dict[str, int]:
    """Load a backup into an empty, migrated database; all or nothing."""
    try:
        lines = _lines(path)
        header = next(lines)
    except (OSError, EOFError, StopIteration) as exc:
        raise RestoreError(f"{path} is not a LEAP M&E backup ({exc})") from exc
    if header.get("format") != FORMAT or header.get("version") != VERSION:
        raise RestoreError(f"{path} is not a LEAP M&E backup of version {VERSION}")
    here = _revision(session)
    if header.get("revision") and here and header["revision"] != here:
        raise RestoreError(
            f"the backup was made at migration {header['revision']} but this database is at "
            f"{here}: restore into a database migrated to the same revision"
        )
    if not is_database_empty(session):
        raise RestoreError("the database is not empty: restore only into an empty database")
    tables = {t.name: t for t in _tables()}
    decoders = {
        name: {c.name: d for c in t.columns if (d := _decoder(c)) is not None}
        for name, t in tables.items()
    }
    counts: dict[str, int] = {}
    batch: list[dict] = []
    current: str | None = None

    def flush() -> None:
        if batch and current:
            session.execute(sa.insert(tables[current]), batch)
            counts[current] = counts.get(current, 0) + len(batch)
            batch.clear()

    for item in lines:
        name, row = item["t"], item["r"]
        if name not in tables:
            raise RestoreError(f"unknown table {name!r} in the backup")
        if name != current or len(batch) >= BATCH:
            flush()
            current = name
        dec = decoders[name]
        batch.append({k: (dec[k](v) if v is not None and k in dec else v) for k, v in row.items()})
    flush()
    _reset_sequences(session)
    return counts


def _reset_sequences(session: so.Session) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in _tables():
        pk = list(table.primary_key.columns)
        if (
            len(pk) == 1
            and isinstance(pk[0].type, sa.Integer)
            and pk[0].autoincrement in (True, "auto")
        ):
            session.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', '{pk[0].name}'), "  # noqa: S608 - names from metadata
                    f"COALESCE((SELECT MAX({pk[0].name}) FROM {table.name}), 0) + 1, false)"
                )
            )
