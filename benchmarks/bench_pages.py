"""The pages of issue 8 item 22 at 10× the demo data.

Each page is measured three ways (see ``common.page_results``): against its own SQL
replayed bare, against the bare SQL of what it shows (written here by hand: the rows on
the screen and nothing more), and by its number of SQL statements.
"""

from __future__ import annotations

from typing import Any

from common import Result, bare_sql, bench_app, page_results, signed_in

LINE = "BL-03-X5"


def _ids(conn: Any) -> dict[str, Any]:
    import sqlalchemy as sa

    one = lambda q, **p: conn.execute(sa.text(q), p).scalar()  # noqa: E731
    version = one(
        "SELECT id FROM plan_version WHERE status = 'approved' ORDER BY number DESC LIMIT 1"
    ) or one("SELECT id FROM plan_version ORDER BY number DESC LIMIT 1")
    line = conn.execute(
        sa.text("SELECT id, schedule_id, result_key FROM budget_line WHERE code = :c"), {"c": LINE}
    ).one()
    return {
        "version": version,
        "line": line.id,
        "schedule": line.schedule_id,
        "result_key": line.result_key,
    }


def floors(engine: Any) -> dict[str, Any]:
    with engine.connect() as conn:
        ids = _ids(conn)
    v, t = {"v": ids["version"]}, {"t": True}
    shown = "SELECT \"key\" FROM result WHERE version_id = :v AND level <> 'activity'"
    return {
        "indicators": bare_sql(
            engine,
            ("SELECT count(*) FROM indicator", {}),
            (
                "SELECT i.id, i.code, i.result_key, i.status, iv.name_en, iv.name_km, iv.measure,"
                " iv.frequency, iv.unit_en, iv.unit_km FROM indicator i JOIN indicator_version iv"
                " ON iv.indicator_id = i.id AND iv.is_current = :t ORDER BY i.code LIMIT 25",
                t,
            ),
            (
                'SELECT "key", code, level, statement_en, statement_km FROM result WHERE'
                " version_id = :v AND level IN ('outcome', 'output') ORDER BY position",
                v,
            ),
        ),
        "line": bare_sql(
            engine,
            ("SELECT * FROM budget_schedule WHERE id = :s", {"s": ids["schedule"]}),
            ("SELECT * FROM budget_line WHERE id = :l", {"l": ids["line"]}),
            (
                "SELECT p.source_id, p.year, p.amount, o.code, o.name_en, o.name_km FROM"
                " budget_planned p JOIN organisation o ON o.id = p.source_id"
                " WHERE p.line_id = :l ORDER BY o.code, p.year",
                {"l": ids["line"]},
            ),
            (
                "SELECT s.source_id, s.year, s.quarter, s.amount, s.currency, s.note, o.code FROM"
                " budget_spending s JOIN organisation o ON o.id = s.source_id"
                " WHERE s.line_code = :c ORDER BY s.year, s.quarter",
                {"c": LINE},
            ),
            ("SELECT year, khr_per_usd FROM budget_exchange_rate", {}),
            (
                "SELECT o.id, o.code, o.name_en, o.name_km FROM organisation o JOIN"
                " budget_funding_source f ON f.organisation_id = o.id ORDER BY f.position",
                {},
            ),
            ("SELECT * FROM budget_path_point WHERE schedule_id = :s", {"s": ids["schedule"]}),
            (
                'SELECT "key", code, statement_en, statement_km FROM result'
                ' WHERE version_id = :v AND "key" = :k',
                {**v, "k": ids["result_key"] or ""},
            ),
        ),
        "matrix": bare_sql(
            engine,
            ("SELECT * FROM plan_version WHERE id = :v", v),
            (
                'SELECT id, "key", parent_id, level, position, code, statement_en,'
                " statement_km, assumptions_en, assumptions_km, risks_en, risks_km,"
                " verification_en, verification_km FROM result"
                " WHERE version_id = :v AND level <> 'activity' ORDER BY position",
                v,
            ),
            (
                "SELECT i.id, i.code, i.result_key, iv.name_en, iv.name_km, iv.unit_en,"  # noqa: S608
                " iv.unit_km, iv.measure, iv.baseline_value, iv.baseline_date FROM indicator i"
                " JOIN indicator_version iv ON iv.indicator_id = i.id AND iv.is_current = :t"
                f" WHERE i.result_key IN ({shown}) ORDER BY i.code",
                {**v, **t},
            ),
            (
                "SELECT t.indicator_id, t.period_code, t.province_id, t.value FROM"  # noqa: S608
                " indicator_target t JOIN indicator i ON i.id = t.indicator_id"
                f" WHERE i.result_key IN ({shown})",
                v,
            ),
        ),
    }


PAGES = [
    # (name, url, floor, ratio to own SQL, to needed SQL, rows read / needed, statements)
    ("indicators list (10×)", "/indicators", "indicators", 12.0, 80.0, 2.0, 8),
    # The line page's own SQL is about 1 ms (8 small reads), while a signed-in page with
    # no data of its own (/notifications) takes about 5 ms and the line's figures go
    # through the same pandas reductions as the whole schedule's (about 1.5 ms each,
    # whatever the size): 12x its SQL cannot be met, so it is held at 40x here, and what
    # issue 8 item 22 asks (read one line, not the schedule) by the two lines after.
    ("budget line page (10×)", f"/budget/lines/{LINE}", "line", 40.0, 80.0, 2.0, 15),
    ("logframe matrix (10×)", "/plan/matrix", "matrix", 12.0, 15.0, 1.2, 12),
]


def run(quick: bool = False) -> list[Result]:
    from leap_me.extensions import db

    app = bench_app(10)
    out: list[Result] = []
    with app.app_context():
        client = signed_in(app, "planner")
        needs = floors(db.engine)
        for name, url, floor, goal, needs_goal, rows_goal, bound in PAGES:
            out += page_results(
                name,
                client,
                db.engine,
                url,
                goal=goal,
                max_queries=bound,
                needs=needs[floor],
                needs_goal=needs_goal,
                rows_goal=rows_goal,
                repeats=3 if quick else 5,
            )
    return out
