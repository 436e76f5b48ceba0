"""Importing a 100,000-row submission workbook (guarded, validated and written as the
organisation's draft) against python-calamine's bare parse of the same file (the floor);
peak memory of the import; peak memory of refusing each bomb of issue 10 item 3.

Goals (issue 10): at most 3× the floor, under 500 MB for the import, under 100 MB for
each refusal. The bombs run first, in forked children of a still-small process.

Printed beside the ratio: a bare Core insert of the same rows against the same parse
(``bare_insert_vs_parse``), and the import against the parse plus that insert
(``vs_parse_plus_bare_insert``): the least any import that reads and writes the rows can
take. On SQLite the insert alone is about 2× the parse, so 3× leaves under one parse
for the guards, validation, owed lookups, findings and report (docs/architecture.md).
"""

from __future__ import annotations

import io

try:  # as benchmarks/run.py loads it (a Result of another module would not count)
    from common import Result, compare, in_subprocess, ratio_result
except ImportError:  # python -m benchmarks.bench_workbooks_import
    from benchmarks.common import Result, compare, in_subprocess, ratio_result


def _bombs() -> dict[str, bytes]:
    from tests.leap_me import test_workbook_guard as g

    return {
        "zip bomb": g._bomb(),
        "XFD1048576": g.xlsx(g.FAR),
        "26 M shared strings": g._shared_bomb(26_000_000),
        "damaged deflate": g._damaged(),
    }


def _refuse(data: bytes) -> str:
    from leap_me.exchange import imports

    try:
        imports.open_workbook(data)
    except imports.ImportRefused as exc:
        return exc.code
    return "accepted"


def _filled(app, org, period, lang="en") -> bytes:
    """The organisation's template with every value filled (written by the template
    writer itself, as if the unit had typed them)."""
    from leap_me.exchange import template as tpl
    from leap_me.extensions import db

    rows = tpl.rows_for(db.session, org, period, lang)
    for i, row in enumerate(rows):
        row.value = (i * 7) % 97 + (1000 if not row.disagg or row.disagg == "Total" else 0)
    return tpl.build(db.session, org, period, lang, rows=rows)


def run(quick: bool = False) -> list[Result]:
    import sqlalchemy as sa

    from benchmarks.bench_dhis2 import _build, core_insert, core_rows
    from indicators.models import DataValue, ReportingPeriod, Submission, SubmissionEvent
    from leap_me.auth.models import User
    from leap_me.exchange import imports
    from leap_me.exchange import template as tpl
    from leap_me.extensions import db
    from stakeholders.models import Organisation

    results: list[Result] = []
    app0, *_rest = _build(True)  # a small app for the refusals (Flask-Babel needs one)
    for name, data in _bombs().items():
        with app0.test_request_context():
            code, peak = in_subprocess(_refuse, data)
        assert code != "accepted", name
        results.append(
            Result(
                f"workbook import: refusing the {name} (MB peak)",
                peak,
                1,
                100,
                "MB",
                extra={"refused_as": code},
            )  # fmt: skip
        )

    app, _token, _body, values, org_id, ids = _build(quick)
    with app.test_request_context():
        org = db.session.scalar(sa.select(Organisation).where(Organisation.code == "BENCH"))
        period = db.session.scalar(
            sa.select(ReportingPeriod).where(ReportingPeriod.code == "2026Q4")
        )
        data = _filled(app, org, period)
        user_id = db.session.scalar(sa.select(User.id).where(User.username == "bench-partner"))
    n = len(values)
    sheet = tpl.sheet_names("en")[1]

    def work():
        with app.test_request_context():
            user = db.session.get(User, user_id)
            report = imports.run(db.session, data, user=user, dry_run=False)
            assert report.clean and report.written, report.problems[:3]
            assert report.counts["new"] == n, report.counts
            db.session.commit()

    def floor():
        from python_calamine import CalamineWorkbook

        rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name(sheet).to_python()
        assert len(rows) == n + 1

    def empty():
        with app.app_context():
            db.session.execute(sa.delete(DataValue.__table__))
            db.session.execute(sa.delete(SubmissionEvent.__table__))
            db.session.execute(sa.delete(Submission.__table__))
            db.session.commit()

    repeats = 2 if quick else 3
    timed_work, timed_floor = compare(work, floor, repeats=repeats, before_each=empty)
    # what no import that writes can beat: the parse, then a bare Core insert of the same
    # rows (the DHIS2 benchmark's floor); printed beside the goal, to read it by
    bare = [core_rows(values, ids, org_id)]  # emptied before the peak is measured
    timed_insert, timed_parse = compare(
        lambda: core_insert(app, bare[0]), floor, repeats=repeats, before_each=empty
    )
    bare.clear()
    least = timed_parse.min + timed_insert.min
    empty()
    with app.test_request_context():
        _none, peak = in_subprocess(work)
    results.append(
        ratio_result(
            f"workbook import, {n:,} rows written vs bare calamine parse",
            timed_work,
            timed_floor,
            3.0,
            rows_per_s=f"{n / timed_work.min:,.0f}",
            bare_insert_vs_parse=f"{timed_insert.min / timed_parse.min:.2f}",
            vs_parse_plus_bare_insert=f"{timed_work.min / least:.2f}",
            file_mb=f"{len(data) / 2**20:.1f}",
            peak_mb=f"{peak:,.0f}",
        )
    )
    results.append(Result(f"workbook import, {n:,} rows: peak memory (MB)", peak, 1, 500, "MB"))
    return results


if __name__ == "__main__":
    import sys

    from benchmarks.common import print_results

    sys.exit(0 if print_results(run(quick="--quick" in sys.argv)) else 1)
