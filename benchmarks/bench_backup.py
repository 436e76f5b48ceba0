"""Backup and restore of the demo data against the bare database work they consist of.

Backup's floor: the same rows read with a bare ``SELECT *`` per table and dumped as JSON
lines into gzip. Restore's floor: the same rows (already decoded) written with one Core
``insert()`` executemany per table into the emptied database.
"""

from __future__ import annotations

import gzip
import io
import json
import tempfile
from pathlib import Path

from common import Result, bench_app, compare, empty_tables, ratio_result


def run(quick: bool = False) -> list[Result]:
    import sqlalchemy as sa

    from leap_me.backup import _encode, _tables, restore, write_backup
    from leap_me.extensions import db

    app = bench_app(1)
    repeats = 3
    out: list[Result] = []
    with app.app_context():
        engine = db.engine
        buf = io.BytesIO()
        counts = write_backup(db.session, buf)
        rows = sum(counts.values())

        def backup() -> None:
            write_backup(db.session, io.BytesIO())

        def bare_dump() -> None:
            with engine.connect() as conn, gzip.open(io.BytesIO(), "wt", encoding="utf-8") as fh:
                for table in _tables():
                    result = conn.exec_driver_sql(f'SELECT * FROM "{table.name}"')  # noqa: S608
                    keys = list(result.keys())
                    for row in result:
                        fh.write(json.dumps(dict(zip(keys, map(_encode, row), strict=True))) + "\n")

        work_t, floor_t = compare(backup, bare_dump, repeats=repeats)
        out.append(
            ratio_result(f"backup ({rows:,} rows) vs SELECT * + JSON dump", work_t, floor_t, 2.5)
        )

        # The rows as Python values, read once, for the restore floor.
        with engine.connect() as conn:
            data = {
                t.name: [dict(r) for r in conn.execute(sa.select(t)).mappings()] for t in _tables()
            }
        path = Path(tempfile.mkdtemp()) / "bench.jsonl.gz"
        path.write_bytes(buf.getvalue())

        def empty() -> None:
            db.session.rollback()
            empty_tables(engine)

        def do_restore() -> None:
            restore(db.session, path)
            db.session.commit()

        def bare_insert() -> None:
            with engine.begin() as conn:
                for table in _tables():
                    if data[table.name]:
                        conn.execute(sa.insert(table), data[table.name])

        work_t, floor_t = compare(do_restore, bare_insert, repeats=repeats, before_each=empty)
        out.append(
            ratio_result(
                f"restore ({rows:,} rows) vs Core insert() executemany", work_t, floor_t, 3.0
            )
        )
    return out
