"""Writing the donor workbook's tidy data sheet (100,000 approved values) against a bare
XlsxWriter ``constant_memory`` write of the same cells (the floor).

The figure is what the export does after its one query: the columns built with pandas
(names in the language, disaggregations split into columns, formula-safe text formats)
and the streamed sheet, closed into a file. The floor writes the same cells — the same
values with the same number and date formats, text without a format (as the English
sheet writes it, but for the quote-prefixed cells) — from ready Python lists in a bare
loop. Goal (issue 10): at most
1.5× the floor; the whole donor workbook (query included) under 500 MB of peak memory.
Printed: each ratio, rows per second and the peaks.
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import datetime
from pathlib import Path

from common import Result, Timing, compare, in_subprocess, ratio_result

PROVINCES = 25
PERIODS = ("2026Q1", "2026Q2", "2026Q3", "2026Q4")
GROUPS = 24  # keys: total, sex:F, and grp × sex (48): 50 per indicator × province × period


def _build(quick: bool):
    import sqlalchemy as sa

    from indicators.models import (
        DataValue,
        DisaggCategory,
        DisaggOption,
        Indicator,
        IndicatorVersion,
        ReportingPeriod,
        Submission,
    )
    from indicators.services import calendar
    from leap_me import create_app, seeding
    from leap_me.auth.models import User
    from leap_me.extensions import db
    from stakeholders.models import Organisation, Province

    n_ind = 4 if quick else 20  # 20 × 4 periods × 25 provinces × 50 keys = 100,000
    tmp = tempfile.mkdtemp()
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL")
            or f"sqlite:///{tmp}/bench.sqlite",
            "WTF_CSRF_ENABLED": False,
        }
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
        seeding.seed_all(db.session, Path(app.config["SEEDS_DIR"]), only=seeding.BASE_STEPS)
        provinces = list(db.session.scalars(sa.select(Province).order_by(Province.code)))
        org = db.session.scalar(sa.select(Organisation).order_by(Organisation.code).limit(1))
        reviewer = db.session.scalar(sa.select(User).where(User.role == "reviewer").limit(1))
        sex = DisaggCategory(code="sex", name_en="Sex", name_km="ភេទ")
        sex.options = [
            DisaggOption(code="F", name_en="Female", name_km="ស្រី", position=0),
            DisaggOption(code="M", name_en="Male", name_km="ប្រុស", position=1),
        ]
        grp = DisaggCategory(code="grp", name_en="Group", name_km="ក្រុម")
        grp.options = [
            DisaggOption(code=f"g{i:02d}", name_en=f"Group {i}", name_km=f"ក្រុម {i}", position=i)
            for i in range(GROUPS)
        ]
        db.session.add_all([sex, grp])
        versions = []
        for i in range(n_ind):
            ind = Indicator(code=f"B-{i:03d}", result_key="G")
            version = IndicatorVersion(
                indicator=ind,
                name_en=f"Bench indicator {i}" if i % 5 else f"=Bench {i} (formula-like)",
                name_km=f"សូចនាករ {i}",
                unit_en="cases",
                unit_km="ករណី",
                measure="number",
                frequency="quarterly",
                by_province=True,
            )
            version.categories = [sex, grp]
            ind.current_version = version
            db.session.add(ind)
            versions.append(version)
        periods = []
        for code in PERIODS:
            spec = calendar.parse(code)
            periods.append(
                ReportingPeriod(
                    code=code,
                    frequency="quarterly",
                    year=spec.year,
                    start_date=spec.start,
                    end_date=spec.end,
                    deadline=spec.default_deadline,
                    status="closed",
                )
            )
        db.session.add_all(periods)
        db.session.flush()
        subs = [
            Submission(
                organisation_id=org.id,
                period_id=p.id,
                status="approved",
                decided_at=datetime(p.end_date.year, p.end_date.month, 28, 10, 0),
                decided_by_id=reviewer.id,
            )
            for p in periods
        ]
        db.session.add_all(subs)
        db.session.flush()
        keys = ["", "sex:F"] + [f"grp:g{g:02d}|sex:{s}" for g in range(GROUPS) for s in "FM"]
        now = sa.func.current_timestamp()
        rows = [
            {
                "indicator_id": v.indicator_id,
                "version_id": v.id,
                "period_id": p.id,
                "organisation_id": org.id,
                "province_id": prov.id,
                "disagg_key": key,
                "value": (i * 7 + k) % 97,
                "status": "approved",
                "comment": "",
                "submission_id": sub.id,
            }
            for i, v in enumerate(versions)
            for p, sub in zip(periods, subs, strict=True)
            for prov in provinces[:PROVINCES]
            for k, key in enumerate(keys)
        ]
        # set-based: one executemany of Core inserts
        db.session.execute(
            sa.insert(DataValue.__table__).values(created_dt=now, updated_dt=now), rows
        )
        db.session.commit()
    return app, len(rows)


def compare_cpu(work, floor, *, repeats: int) -> tuple[Timing, Timing]:
    """``common.compare`` on this process's CPU time: both sides are single-threaded work
    in this process, and on a 2-core machine shared with other jobs the wall clock mostly
    measures the neighbours. Interleaved, min and median, like the wall-clock figure."""
    work_runs: list[float] = []
    floor_runs: list[float] = []
    for _ in range(repeats):
        for fn, runs in ((work, work_runs), (floor, floor_runs)):
            start = time.process_time()
            fn()
            runs.append(time.process_time() - start)
    return Timing(tuple(work_runs)), Timing(tuple(floor_runs))


def run(quick: bool = False) -> list[Result]:
    import xlsxwriter

    from indicators.services import tidy as tidy_reading
    from indicators.services.disaggregations import categories
    from leap_me.exchange import donor
    from leap_me.extensions import db

    app, n = _build(quick)
    out_dir = Path(tempfile.mkdtemp())

    def whole_workbook() -> int:
        with app.test_request_context():
            donor.build(db.session, str(out_dir / "donor.xlsx"), lang="km", period="2026Q4")
        return (out_dir / "donor.xlsx").stat().st_size

    # first, in a child forked before this process holds any of the floor's data
    size, peak = in_subprocess(whole_workbook)
    with app.app_context():
        frame = tidy_reading.approved_values(db.session)
        cats = categories(db.session)
        assert len(frame) == n

        def write_tidy() -> None:
            wb = xlsxwriter.Workbook(str(out_dir / "tidy.xlsx"), donor.WORKBOOK_OPTIONS)
            st = donor._styles(wb, "en")
            columns = donor.tidy_frame(frame, cats, "en")
            assert donor.write_tidy(wb.add_worksheet("Data"), st, columns) == n
            wb.close()

        # The floor's cells: exactly what the sheet holds, as ready Python values.
        with app.test_request_context():
            columns = donor.tidy_frame(frame, cats, "en")
        titles = [c.title for c in columns]
        kinds = [c.kind for c in columns]
        cells = list(zip(*[c.values for c in columns], strict=True))

        def bare() -> None:
            wb = xlsxwriter.Workbook(str(out_dir / "bare.xlsx"), {"constant_memory": True})
            ws = wb.add_worksheet("Data")
            number = wb.add_format({"num_format": donor.TIDY_FORMATS["number"]})
            day = wb.add_format({"num_format": donor.TIDY_FORMATS["date"]})
            stamp = wb.add_format({"num_format": donor.TIDY_FORMATS["datetime"]})
            head = wb.add_format({"bold": True, "bg_color": "#D6EAF8", "text_wrap": True})
            fmts = [None, number, day, stamp]
            codes = [("text", "number", "date", "datetime").index(k) for k in kinds]
            for c, title in enumerate(titles):
                ws.write_string(0, c, title, head)
            ws_string, ws_number, ws_datetime = ws.write_string, ws.write_number, ws.write_datetime
            for r, row in enumerate(cells, start=1):
                for c, v in enumerate(row):
                    if v is None:
                        continue
                    kind = codes[c]
                    if kind == 0:
                        ws_string(r, c, v)
                    elif kind == 1:
                        ws_number(r, c, v, fmts[1])
                    else:
                        ws_datetime(r, c, v, fmts[kind])
            wb.close()

        def figure() -> None:
            with app.test_request_context():
                write_tidy()

        repeats = 3 if quick else 5
        work, floor = compare(figure, bare, repeats=repeats)  # wall clock
        cpu_work, cpu_floor = compare_cpu(figure, bare, repeats=repeats)

    return [
        ratio_result(
            f"donor workbook tidy sheet, {n:,} rows vs bare XlsxWriter (wall)",
            work,
            floor,
            1.5,
            rows_per_s=f"{n / work.min:,.0f}",
        ),
        ratio_result(
            f"donor workbook tidy sheet, {n:,} rows vs bare XlsxWriter (CPU)",
            cpu_work,
            cpu_floor,
            1.5,
        ),
        Result(
            f"donor workbook (query + all sheets, {n:,} values): peak memory (MB)",
            peak,
            1,
            500,
            "MB",
            extra={"bytes": f"{size:,}"},
        ),
    ]


if __name__ == "__main__":
    import sys

    from common import print_results

    sys.exit(0 if print_results(run(quick="--quick" in sys.argv)) else 1)
