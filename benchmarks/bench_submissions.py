"""Saving a whole submission grid through the one write service, against a bare
SQLAlchemy Core bulk upsert of the same rows into the same table (the floor).

Goal (issue 9): a 60-indicator × 25-province grid with the demo disaggregations (sex, age
group) saves in at most 3× the floor, and the number of SQL statements of a save does not
grow with the number of cells (counted at two grid sizes). Opening the grid (the service
behind the grid and the review pages) sends a number of queries that does not grow with
the rows either. Printed: the ratio, the cells per second and the query counts.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.common import Result, bench_app, compare, ratio_result

PROVINCES = 25


def _build(n_ind: int):
    from benchmarks.bench_dhis2 import bench_organisation
    from indicators.models import DisaggCategory, DisaggOption
    from leap_me import seeding
    from leap_me.extensions import db

    app = bench_app(seed=False)
    with app.app_context():
        seeding.seed_all(db.session, Path(app.config["SEEDS_DIR"]), only=seeding.BASE_STEPS)
        # the demo disaggregations (seeds/indicators.yaml): sex and age group
        sex = DisaggCategory(code="sex", name_en="Sex", name_km="ភេទ")
        sex.options = [
            DisaggOption(code=c, name_en=c, name_km=c, position=i) for i, c in enumerate(["F", "M"])
        ]
        age = DisaggCategory(code="age", name_en="Age group", name_km="ក្រុមអាយុ")
        age.options = [
            DisaggOption(code=c, name_en=c, name_km=c, position=i)
            for i, c in enumerate(["age_0_11", "age_12_14", "age_15_17", "age_18_plus"])
        ]
        db.session.add_all([sex, age])
        # a third by sex, a third by age group, a third with the total only
        bench_organisation(db.session, n_ind, lambda i: [[sex], [age], []][i % 3])
    return app


def _cells(app):
    import sqlalchemy as sa

    from indicators.models import ReportingPeriod
    from indicators.services.owed import owed_rows
    from indicators.services.submissions import CellInput
    from leap_me.extensions import db
    from stakeholders.models import Organisation

    with app.app_context():
        org = db.session.scalar(sa.select(Organisation).where(Organisation.code == "BENCH"))
        period = db.session.scalar(sa.select(ReportingPeriod))
        rows = owed_rows(db.session, org, period)
        # parts first, then the total as their sum: no warning is the common case
        cells = []
        for n, r in enumerate(rows):
            cells.append(
                CellInput(
                    r.indicator.id,
                    r.province.id if r.province else None,
                    r.disagg_key,
                    value=str(10 + n % 7),
                )
            )
        return cells


def _fixed_totals(cells):
    """Make each total the sum of its parts, so the grid is clean."""
    from collections import defaultdict

    parts = defaultdict(int)
    for c in cells:
        if c.disagg_key:
            parts[(c.indicator_id, c.province_id)] += int(c.value)
    for c in cells:
        if not c.disagg_key and (c.indicator_id, c.province_id) in parts:
            c.value = str(parts[(c.indicator_id, c.province_id)])
    return cells


def _statements(app, fn) -> int:
    import sqlalchemy as sa

    from leap_me.extensions import db

    with app.app_context():
        engine = db.engine
    count = [0]

    def on_exec(*_a, **_k):
        count[0] += 1

    sa.event.listen(engine, "before_cursor_execute", on_exec)
    try:
        fn()
    finally:
        sa.event.remove(engine, "before_cursor_execute", on_exec)
    return count[0]


def run(quick: bool = False) -> list[Result]:
    import sqlalchemy as sa

    from indicators.models import DataValue, ReportingPeriod, Submission, SubmissionEvent
    from indicators.models.quality import Finding
    from indicators.services import submissions
    from leap_me.audit import AuditEntry
    from leap_me.auth.models import User
    from leap_me.extensions import db
    from stakeholders.models import Organisation

    n_ind = 12 if quick else 60
    app = _build(n_ind)
    cells = _fixed_totals(_cells(app))

    def context():
        org = db.session.scalar(sa.select(Organisation).where(Organisation.code == "BENCH"))
        period = db.session.scalar(sa.select(ReportingPeriod))
        user = db.session.scalar(sa.select(User).where(User.username == "bench-partner"))
        sub = submissions.get_or_create(db.session, org, period, user)
        return sub, user

    def save(these=cells):
        with app.app_context():
            sub, user = context()
            result = submissions.save(
                db.session, sub, these, user=user, expected_version=None, source="grid"
            )
            db.session.commit()
            assert result.counts["new"] == len(these), result.counts

    with app.app_context():
        org_id = db.session.scalar(sa.select(Organisation.id).where(Organisation.code == "BENCH"))
        period_id = db.session.scalar(sa.select(ReportingPeriod.id))
        ver = dict(
            db.session.execute(
                sa.select(sa.literal_column("indicator_id"), sa.literal_column("id")).select_from(
                    sa.table("indicator_version")
                )
            ).all()
        )
    rows = [
        {
            "indicator_id": c.indicator_id,
            "version_id": ver[c.indicator_id],
            "period_id": period_id,
            "organisation_id": org_id,
            "province_id": c.province_id,
            "disagg_key": c.disagg_key,
            "value": c.value,
            "status": "draft",
            "comment": "",
            "reopened": False,
        }
        for c in cells
    ]

    def bare_upsert():
        with app.app_context():
            dv = DataValue.__table__
            dialect = db.engine.dialect.name
            if dialect == "postgresql":
                from sqlalchemy.dialects.postgresql import insert
            else:
                from sqlalchemy.dialects.sqlite import insert
            now = sa.func.current_timestamp()
            stmt = insert(dv).values(created_dt=now, updated_dt=now)
            stmt = stmt.on_conflict_do_update(
                index_elements=[
                    dv.c.indicator_id,
                    dv.c.period_id,
                    dv.c.organisation_id,
                    sa.text("coalesce(province_id, 0)"),
                    dv.c.disagg_key,
                ],
                set_={"value": stmt.excluded.value, "updated_dt": now},
            )
            db.session.execute(stmt, rows)
            db.session.commit()

    def empty():
        with app.app_context():
            for table in (Finding, DataValue, SubmissionEvent, Submission, AuditEntry):
                db.session.execute(sa.delete(table.__table__))
            db.session.commit()

    work, floor = compare(save, bare_upsert, repeats=3 if quick else 5, before_each=empty)

    # statements per save at two sizes: the count must not grow with the cells
    empty()
    small = [c for c in cells if c.indicator_id == cells[0].indicator_id]
    q_small = _statements(app, lambda: save(small))
    empty()
    q_full = _statements(app, save)

    def open_grid():
        with app.app_context():
            sub, _user = context()
            submissions.grid(db.session, sub)

    q_grid = _statements(app, open_grid)
    n = len(cells)
    return [
        ratio_result(
            f"submission save, {n_ind} indicators × {PROVINCES} provinces ({n:,} cells) "
            "vs bare Core upsert",
            work,
            floor,
            3.0,
            cells_per_s=f"{n / work.min:,.0f}",
        ),
        Result(
            f"submission save: statements for {n:,} cells vs {len(small)} cells",
            q_full,
            q_small,
            1.0,
            "queries",
        ),
        Result(f"submission grid ({n:,} rows): queries", q_grid, 1, 40, "queries"),
    ]


if __name__ == "__main__":
    import sys

    from benchmarks.common import print_results

    sys.exit(0 if print_results(run(quick="--quick" in sys.argv)) else 1)
