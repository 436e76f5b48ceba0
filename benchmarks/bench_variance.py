"""Variance at scale: plan-to-date variance for every indicator against the bare SQL
GROUP BY over the same rows, and the query counts of the dashboard and the variance page
against data size.

The generator builds a realistic dataset with Core bulk inserts (one ``executemany`` per
indicator): 10 years of quarters, 25 provinces, 60 indicators of every measure and
aggregation rule (half of them split by sex, so each of their values comes with its
female and male parts), 8 reporting organisations — 960,000 approved values
(``quick=True``: 2 years and 5 provinces, 38,400 values).

Lines printed:

* ``variance plan-to-date`` — ``load(...).variance("plan")`` for all indicators against
  the bare SQL ``GROUP BY`` over the same rows, interleaved, min (median); goal ≤ 3×;
* ``… SQL statements, large / small`` — the dashboard (as the planner and the reviewer)
  and the variance page send as many statements on the large dataset as on a tiny one
  (1 year, 2 provinces, 6 indicators, 2 organisations): goal ratio ≤ 1.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from common import Result, compare

MEASURES = ("number",) * 6 + ("percentage", "ratio", "yesno")


def _app(db_path: Path):
    from leap_me import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}",
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )


def build(session, years: int, provinces: int, indicators: int = 60, orgs: int = 8) -> int:
    """Plan, periods, indicators, targets and approved values; returns the value count."""
    from indicators.models import DataValue, Indicator, IndicatorVersion, Target
    from indicators.services import calendar
    from indicators.services.periods import generate_periods
    from logframe.models import Plan, PlanVersion
    from logframe.models import Result as LfResult
    from stakeholders.models import Organisation, Province

    first = 2026
    plan = Plan(code="BENCH", title_en="Bench plan", start_year=first, end_year=first + years - 1)
    version = PlanVersion(plan=plan, number=1)
    outcome = LfResult(version=version, key="O1", level="outcome", code="1", statement_en="O1")
    session.add_all([plan, version, outcome])
    for year in range(first, first + years):
        generate_periods(session, year, ["quarterly"])
    session.flush()
    prov_ids = [p.id for p in session.scalars(sa.select(Province).order_by(Province.id))][
        :provinces
    ]
    org_ids = [o.id for o in session.scalars(sa.select(Organisation).order_by(Organisation.id))][
        :orgs
    ]
    periods = session.execute(
        sa.text("SELECT id, code FROM reporting_period WHERE frequency = 'quarterly'")
    ).all()
    now = datetime.now(UTC)
    rng = np.random.default_rng(7)
    inds = []
    for i in range(indicators):
        measure = MEASURES[i % len(MEASURES)]
        ind = Indicator(code=f"B-{i:02d}", result_key="O1")
        v = IndicatorVersion(
            indicator=ind,
            name_en=f"Bench {i}",
            measure=measure,
            agg_space=("sum", "average", "max", "min")[i % 4] if measure == "number" else "sum",
            agg_time=("sum", "latest", "average", "max")[i % 4]
            if measure == "number"
            else "latest",
            frequency="quarterly",
            by_province=True,
            baseline_value=10,
        )
        session.add_all([ind, v])
        inds.append((ind, v, measure, i % 2 == 0))
    session.flush()
    targets = [
        {
            "indicator_id": ind.id,
            "period_code": spec.code,
            "year": spec.year,
            "province_id": None,
            "value": 50,
            "created_dt": now,
            "updated_dt": now,
        }
        for ind, _v, _m, _s in inds
        for spec in calendar.periods_of_span("quarterly", first, first + years - 1)
    ]
    session.execute(sa.insert(Target.__table__), targets)
    table = DataValue.__table__
    total = 0
    for ind, v, measure, by_sex in inds:
        rows = []
        for period_id, _code in periods:
            for prov in prov_ids:
                for org in org_ids:
                    keys = ["", "sex:F", "sex:M"] if by_sex else [""]
                    for key in keys:
                        value = float(rng.integers(0, 20))
                        row = {
                            "indicator_id": ind.id,
                            "version_id": v.id,
                            "period_id": period_id,
                            "organisation_id": org,
                            "province_id": prov,
                            "disagg_key": key,
                            "status": "approved",
                            "comment": "",
                            "created_dt": now,
                            "updated_dt": now,
                            "value": value if measure != "yesno" else float(value > 9),
                            "numerator": value if measure in ("percentage", "ratio") else None,
                            "denominator": 20.0 if measure in ("percentage", "ratio") else None,
                        }
                        rows.append(row)
        session.execute(sa.insert(table), rows)
        total += len(rows)
    session.commit()
    return total


#: The pages whose SQL statements are counted on the small and the large dataset.
PAGES = (
    ("dashboard (planner)", "planner", "/"),
    ("dashboard (reviewer)", "reviewer", "/"),
    ("variance page (plan)", "planner", "/variance?period={last}&span=plan"),
)


def _statements(app, username: str, url: str) -> int:
    """SQL statements one request of ``url`` sends, signed in as ``username`` (warm)."""
    from common import QueryLog

    from leap_me.extensions import db

    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": "leap-demo-2026"})
    if response.status_code != 302:
        raise RuntimeError(f"could not sign in as {username}")
    if client.get(url).status_code != 200:
        raise RuntimeError(f"{url} failed")
    with app.app_context(), QueryLog(db.engine) as log:
        if client.get(url).status_code != 200:
            raise RuntimeError(f"{url} failed")
    return log.count


def _page_counts(app) -> dict[str, int]:
    from leap_me.extensions import db

    with app.app_context():
        last = db.session.scalar(
            sa.text("SELECT code FROM reporting_period ORDER BY end_date DESC LIMIT 1")
        )
    return {name: _statements(app, user, url.format(last=last)) for name, user, url in PAGES}


def _prepared(db_path: Path, **size) -> tuple[object, int]:
    from leap_me import seeding
    from leap_me.extensions import db

    app = _app(db_path)
    with app.app_context():
        db.create_all()
        seeding.seed_all(db.session, Path(app.config["SEEDS_DIR"]), only=seeding.BASE_STEPS)
        db.session.commit()
        count = build(db.session, **size)
    return app, count


def run(quick: bool = False) -> list[Result]:
    import time

    from leap_me.extensions import db
    from leap_me.reports.variance import load

    years, provinces = (2, 5) if quick else (10, 25)
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        small_app, small_count = _prepared(
            Path(tmp) / "small.sqlite", years=1, provinces=2, indicators=6, orgs=2
        )
        small = _page_counts(small_app)
        with small_app.app_context():
            db.engine.dispose()
        started = time.perf_counter()
        app, count = _prepared(Path(tmp) / "bench.sqlite", years=years, provinces=provinces)
        print(
            f"  generated {count:,} approved values in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        with app.app_context():
            last = db.session.scalar(
                sa.text("SELECT code FROM reporting_period ORDER BY end_date DESC LIMIT 1")
            )
            floor_sql = sa.text(
                "SELECT indicator_id, period_id, organisation_id, province_id, SUM(value) "
                "FROM data_value WHERE status = 'approved' AND disagg_key = '' "
                "GROUP BY indicator_id, period_id, organisation_id, province_id"
            )
            work, floor = compare(
                lambda: load(db.session, last).variance("plan"),
                lambda: db.session.execute(floor_sql).all(),
                repeats=3,
            )
            results.append(
                Result(
                    f"variance plan-to-date, {count:,} values",
                    work.min,
                    floor.min,
                    3.0,
                    figure_median=work.median,
                    floor_median=floor.median,
                )
            )
        large = _page_counts(app)
        for name, n in large.items():
            results.append(
                Result(
                    f"{name}: SQL statements, {count:,} / {small_count:,} values",
                    float(n),
                    float(small[name]),
                    1.0,
                    "queries",
                )
            )
    return results


if __name__ == "__main__":
    for r in run(quick=True):
        print(r.name, f"{r.figure:.3f}s / {r.floor:.3f}s = {r.ratio:.2f} (goal {r.goal})")
