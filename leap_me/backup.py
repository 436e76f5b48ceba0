"""Backup and restore of the whole database as gzipped JSON lines.

The format is database-neutral, so a SQLite backup restores into PostgreSQL and back.
Line 1 is a header; every other line is ``{"t": table, "r": row}``; tables come in
foreign-key order so that a restore can insert them as they arrive.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
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
    if isinstance(value, datetime):
        # Naive values come from SQLite and are UTC (see leap_me.db.UTCDateTime).
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def _decoder(column: sa.Column):
    t = column.type
    if isinstance(t, sa.types.TypeDecorator):
        t = t.impl
    if isinstance(t, sa.DateTime):
        return datetime.fromisoformat
    if isinstance(t, sa.Date):
        return date.fromisoformat
    if isinstance(t, sa.Numeric) and not isinstance(t, sa.Float):
        return Decimal
    if isinstance(t, sa.LargeBinary):
        return base64.b64decode
    if isinstance(t, sa.Integer):
        return _whole
    if isinstance(t, sa.Boolean):
        return _boolean
    return None


def _whole(value: Any) -> int:
    """SQLite would keep "12x" in an integer column: refuse anything but a JSON integer."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(value)
    return value


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(value)
    return value


def _tables() -> list[sa.Table]:
    return list(Base.metadata.sorted_tables)


def _revision(conn: Any) -> str | None:
    """The migration the database is at (None for a schema made without migrations)."""
    bind = (
        conn.connection()
        if hasattr(conn, "connection") and not isinstance(conn, sa.Connection)
        else conn
    )
    if not sa.inspect(bind).has_table("alembic_version"):
        return None
    return conn.scalar(sa.text("SELECT version_num FROM alembic_version"))


def write_backup(session: so.Session, fh: IO[bytes], progress=None) -> dict[str, int]:
    """Write every committed row, read in one snapshot so that the tables agree."""
    engine = session.get_bind()
    options = {"isolation_level": "REPEATABLE READ"} if engine.dialect.name == "postgresql" else {}
    with engine.connect().execution_options(**options) as conn, conn.begin():
        return _write(conn, fh, progress)


def _write(conn: sa.Connection, fh: IO[bytes], progress=None) -> dict[str, int]:
    counts: dict[str, int] = {}
    with gzip.open(fh, "wt", encoding="utf-8") as out:
        header = {
            "format": FORMAT,
            "version": VERSION,
            "created": utcnow().isoformat(),
            "revision": _revision(conn),
            "tables": [t.name for t in _tables()],
        }
        out.write(json.dumps(header) + "\n")
        for table in _tables():
            n = 0
            stmt = sa.select(table).order_by(*table.primary_key.columns)
            for row in conn.execute(stmt.execution_options(yield_per=BATCH)).mappings():
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


def write_backup_file(session: so.Session, path: Path, progress=None) -> dict[str, int]:
    """Write a backup to ``path``, readable by its owner only (it holds password hashes
    and personal data).

    The rows go to a new 0600 file beside the target, which then replaces the target
    by a rename: an existing file's mode is not kept, a symbolic link at ``path`` is
    replaced rather than followed, and a failed backup leaves the old file as it was.
    Raises OSError with a readable message (missing folder, no permission)."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(f"the folder {folder} does not exist; create it first")
    if path.is_dir() and not path.is_symlink():
        raise IsADirectoryError(f"{path} is a folder; give a file name")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as fh:
            counts = write_backup(session, fh, progress)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with _suppress_oserror():
            os.unlink(tmp)
        raise
    return counts


class _suppress_oserror:
    def __enter__(self):
        return self

    def __exit__(self, exc_type, *_):
        return exc_type is not None and issubclass(exc_type, OSError)


def _lines(path: Path) -> Iterator[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise RestoreError(f"line {number}: not valid JSON ({exc.msg})") from exc
            if number > 1 and not (
                isinstance(item, dict)
                and isinstance(item.get("t"), str)
                and isinstance(item.get("r"), dict)
            ):
                raise RestoreError(
                    f'line {number}: not a row (expected {{"t": table, "r": {{column: value}}}})'
                )
            yield item


def is_database_empty(session: so.Session) -> bool:
    for table in _tables():
        if session.scalar(sa.select(sa.func.count()).select_from(table)):
            return False
    return True


def _deferred_columns() -> dict[str, list[str]]:
    """Nullable foreign keys to the same table or to a table restored later.

    Rows arrive in primary-key order, so a unit whose parent has a higher id, or a plan
    that points at its newest version, would break a foreign key. Such columns are
    written as NULL first and filled in once every row is in.
    """
    order = {t.name: i for i, t in enumerate(_tables())}
    out: dict[str, list[str]] = {}
    for table in _tables():
        for fk in table.foreign_keys:
            target = fk.column.table.name
            if fk.parent.nullable and order.get(target, -1) >= order[table.name]:
                out.setdefault(table.name, []).append(fk.parent.name)
    return out


def restore(session: so.Session, path: Path) -> dict[str, int]:
    """Load a backup into an empty, migrated database; all or nothing."""
    try:
        return _restore(session, path)
    except RestoreError:
        session.rollback()
        raise
    except (
        sa.exc.DBAPIError,
        sa.exc.StatementError,
        EOFError,
        OSError,
        KeyError,
        TypeError,
        ValueError,
        ArithmeticError,
        gzip.BadGzipFile,
    ) as exc:
        session.rollback()
        detail = str(getattr(exc, "orig", exc)).splitlines()[0][:300]
        raise RestoreError(
            f"the backup could not be loaded ({type(exc).__name__}: {detail})"
        ) from exc


def _restore(session: so.Session, path: Path) -> dict[str, int]:
    try:
        lines = _lines(path)
        header = next(lines)
    except (OSError, EOFError, StopIteration) as exc:
        raise RestoreError(f"{path} is not a LEAP M&E backup ({exc})") from exc
    if (
        not isinstance(header, dict)
        or header.get("format") != FORMAT
        or header.get("version") != VERSION
    ):
        raise RestoreError(f"{path} is not a LEAP M&E backup of version {VERSION}")
    here = _revision(session)
    theirs = header.get("revision")
    if theirs is None and here is not None:
        raise RestoreError(
            f"{path} does not say which migration its database was at, so it cannot be "
            f"checked against this database (at {here})"
        )
    if theirs != here:
        raise RestoreError(
            f"the backup was made at migration {theirs} but this database is at "
            f"{here or 'no migration'}: restore into a database migrated to the same revision"
        )
    if not is_database_empty(session):
        raise RestoreError("the database is not empty: restore only into an empty database")
    tables = {t.name: t for t in _tables()}
    decoders = {
        name: {c.name: d for c in t.columns if (d := _decoder(c)) is not None}
        for name, t in tables.items()
    }
    deferred = _deferred_columns()
    later: dict[str, list[dict]] = {}
    counts: dict[str, int] = {}
    batch: list[dict] = []
    current: str | None = None

    def flush() -> None:
        if batch and current:
            session.execute(sa.insert(tables[current]), batch)
            counts[current] = counts.get(current, 0) + len(batch)
            batch.clear()

    for number, item in enumerate(lines, start=2):
        name, row = item["t"], item["r"]
        if name not in tables:
            raise RestoreError(f"line {number}: unknown table {name!r} in the backup")
        if unknown := set(row) - set(tables[name].columns.keys()):
            raise RestoreError(
                f"line {number}: table {name} has no column {', '.join(sorted(unknown))}"
            )
        if name != current or len(batch) >= BATCH:
            flush()
            current = name
        row = _decode_row(decoders[name], row, number, name)
        held = {c: row[c] for c in deferred.get(name, ()) if row.get(c) is not None}
        if held:
            # Columns with an onupdate default keep their restored value on the update.
            kept = {c.name: row.get(c.name) for c in tables[name].columns if c.onupdate}
            later.setdefault(name, []).append(
                {
                    **{f"pk_{c.name}": row[c.name] for c in tables[name].primary_key.columns},
                    **kept,
                    **held,
                }
            )
            row.update(dict.fromkeys(held))
        batch.append(row)
    flush()
    if not counts:
        raise RestoreError(f"{path} holds no rows: it is not a complete backup")
    for name, updates in later.items():
        table = tables[name]
        for values in updates:
            where = [c == values[f"pk_{c.name}"] for c in table.primary_key.columns]
            session.execute(
                table.update()
                .where(*where)
                .values({k: v for k, v in values.items() if not k.startswith("pk_")})
            )
    _reset_sequences(session)
    return counts


def _decode_row(dec: dict, row: dict, number: int, table: str) -> dict:
    out = {}
    for key, value in row.items():
        if value is None or key not in dec:
            out[key] = value
            continue
        try:
            out[key] = dec[key](value)
            if isinstance(out[key], Decimal) and not out[key].is_finite():
                raise ValueError(value)
        except (ValueError, TypeError, ArithmeticError, binascii.Error) as exc:
            raise RestoreError(
                f"line {number}: {table}.{key} holds {str(value)[:40]!r}, which is not a "
                f"valid {_kind(dec[key])}"
            ) from exc
    return out


def _kind(decoder) -> str:
    return {
        datetime.fromisoformat: "date and time",
        date.fromisoformat: "date",
        Decimal: "number",
        base64.b64decode: "base64 value",
        _whole: "whole number",
        _boolean: "true or false",
    }.get(decoder, "value")


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
