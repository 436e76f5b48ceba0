"""The schedule computed from the database: the tiny hand-worked schedule, the demo
seed, no float anywhere, and a bounded number of queries."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from budget import services
from budget.models import BudgetLine, PlannedAmount, Schedule, Spending
from logframe import services as logframe
from stakeholders.models import Organisation


def walk_for_floats(obj, path="$"):
    """Every float found in nested dicts, lists and tuples, by path."""
    found = []
    if isinstance(obj, float):
        found.append(path)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(k, float):
                found.append(f"{path}[key {k!r}]")
            found.extend(walk_for_floats(v, f"{path}.{k}"))
    elif isinstance(obj, list | tuple | set):
        for i, v in enumerate(obj):
            found.extend(walk_for_floats(v, f"{path}[{i}]"))
    return found


def _year(data, y):
    return next(r for r in data["years_rows"] if r["year"] == y)


def test_tiny_schedule_figures_match_the_hand_worked_example(db, tiny):
    data = services.compute(db.session, tiny)
    assert data["years"] == [2026, 2027]
    y26, y27 = _year(data, 2026), _year(data, 2027)
    # 2026: 500 + 3,000 USD + 4,050,000 KHR / 4,050 = 4,500.00 USD
    assert y26["planned_usd"] == D("4500.00")
    # in KHR: 4,050,000 + 3,500 × 4,050 = 18,225,000
    assert y26["planned_khr"] == D("18225000")
    assert y26["moi_usd"] == D("1500.00")
    assert y26["moi_share"] == D("0.3333")
    assert y26["path_share"] == D("0.2500")
    assert y26["gap_usd"] == D("-375.00")  # the MoI plans more than the path asks
    assert y26["below_path"] is False
    # 2027: path 0.25 + 0.75 × 1/2 = 0.625; gap 0.625 × 3,000 − 1,000 = 875.00
    assert y27["path_share"] == D("0.6250")
    assert y27["gap_usd"] == D("875.00")
    # in KHR at 4,100: 0.625 × 12,300,000 − 4,100,000 = 3,587,500
    assert y27["gap_khr"] == D("3587500")
    assert y27["below_path"] is True
    assert y26["sources"]["UNICEF"]["share"] == D("0.6667")
    assert data["totals"]["gap_to_cover_usd"] == D("875.00")


def test_tiny_schedule_execution_of_a_partial_year(db, tiny):
    data = services.compute(db.session, tiny)
    y26 = _year(data, 2026)
    # Spending up to Q2: planned to date = 4,500 × 2 / 4 = 2,250.00
    assert y26["quarters"] == 2
    assert y26["planned_to_date_usd"] == D("2250.00")
    # actual: 100 + 600 + 150 USD + 1,012,500 KHR / 4,050 (= 250.00) = 1,100.00
    assert y26["actual_usd"] == D("1100.00")
    assert y26["execution_rate"] == D("0.4889")  # 1,100 / 2,250 = 0.48888…
    assert y26["variance_usd"] == D("-1150.00")
    assert y26["actual_moi_share"] == D("0.4545")  # 500 / 1,100
    assert _year(data, 2027)["execution_rate"] is None  # nothing reported yet
    by_source = {e["code"]: e for e in data["execution"]["by_source"]}
    # MOI planned 2026: 500 + 1,000 = 1,500 USD; to date 750; actual 500 → 0.6667
    assert by_source["MOI"]["planned_to_date_usd"] == D("750.00")
    assert by_source["MOI"]["execution_rate"] == D("0.6667")
    # UNICEF: 3,000 × 2/4 = 1,500; actual 600 → 0.40
    assert by_source["UNICEF"]["execution_rate"] == D("0.4000")
    lines = {ln["code"]: ln for ln in data["lines"]}
    assert lines["T-2"]["execution"]["execution_rate"] == D("0.5000")  # 250 / 500
    cells = {
        (e["line"], e["source"], e["year"]): e for e in data["execution"]["by_line_source_year"]
    }
    assert cells[("T-1", "UNICEF", 2026)]["variance_usd"] == D("-900.00")


def test_no_float_touches_money(db, tiny, client, api_token):
    data = services.compute(db.session, tiny)
    assert walk_for_floats(data) == []
    summary = services.schedule_summary(db.session)
    assert walk_for_floats(summary) == []
    token = api_token("viewer")
    body = client.get("/api/v1/budget/schedule", headers={"Authorization": f"Bearer {token}"}).json
    assert walk_for_floats(body) == []
    y26 = body["years"][0]
    assert y26["planned"]["USD"] == {"amount": "4500.00", "currency": "USD"}
    assert y26["planned"]["KHR"] == {"amount": "18225000", "currency": "KHR"}
    assert y26["moiShare"] == "0.3333"


def test_demo_seed_reaches_full_ownership_and_shows_the_gap(seeded):
    db = seeded
    data = services.schedule_summary(db.session)
    assert data["schedule"]["is_demo"] is True
    assert data["years"] == list(range(2026, 2036))
    y26, y28 = _year(data, 2026), _year(data, 2028)
    # BL-01 810,000,000 KHR / 4,050 = 200,000; + MoI USD lines 72,200 = 272,200
    assert y26["moi_usd"] == D("272200.00")
    assert y26["planned_usd"] == D("1360000.00")
    assert y26["moi_share"] == D("0.2001")
    # The UK Embassy leaves after 2027: 2028 stays below the 40 % path.
    assert y28["sources"]["UK-EMB"]["planned_usd"] == D("0.00")
    assert y28["moi_share"] == D("0.3601")
    assert y28["path_share"] == D("0.4000")
    assert y28["gap_usd"] == D("51705.87")
    assert y28["below_path"] is True
    assert _year(data, 2034)["moi_share"] == D("1.0000")
    assert _year(data, 2035)["moi_share"] == D("1.0000")
    # Spending reported for Q1–Q3 2026
    assert y26["quarters"] == 3
    assert y26["planned_to_date_usd"] == D("1020000.00")


def test_seed_is_idempotent(seeded, app):
    from pathlib import Path

    from leap_me import seeding

    db = seeded
    before = db.session.scalar(sa.select(sa.func.count(PlannedAmount.id)))
    counts = seeding.seed_all(db.session, Path(app.config["SEEDS_DIR"]), only=("budget",))
    assert counts["budget"] == 0
    assert db.session.scalar(sa.select(sa.func.count(PlannedAmount.id))) == before
    assert db.session.scalar(sa.select(sa.func.count(Schedule.id))) == 1


def test_schedule_page_query_count_does_not_grow_with_lines(seeded, login, client, count_queries):
    db = seeded
    login("planner")
    client.get("/budget")
    with count_queries() as q1:
        assert client.get("/budget").status_code == 200
    sched = services.approved_schedule(db.session)
    for i in range(5):
        ln = BudgetLine(
            schedule_id=sched.id, code=f"BL-9{i}", category="other", name_en="x", currency="USD"
        )
        db.session.add(ln)
    db.session.commit()
    with count_queries() as q2:
        assert client.get("/budget").status_code == 200
    assert q1.count <= 20, q1.statements

    def domain(statements):  # the signed-in user is loaded once per session, not per line
        return [st for st in statements if "FROM user_account" not in st]

    assert len(domain(q2.statements)) == len(domain(q1.statements))


def test_delete_guard_names_the_lines(seeded):
    db = seeded
    reasons = logframe.delete_blockers(db.session, ["O2.2", "O9.9"])
    assert len(reasons) == 1 and "BL-03" in reasons[0]
    assert logframe.delete_blockers(db.session, ["O9.9"]) == []


def test_spending_follows_the_line_code(db, tiny):
    n = db.session.scalar(sa.select(sa.func.count(Spending.id)).where(Spending.line_code == "T-1"))
    assert n == 3


def test_outputs_and_plan_span_come_from_the_logframe(db, tiny):
    from logframe.models import Plan, PlanVersion, Result

    plan = Plan(code="P", title_en="Plan", start_year=2026, end_year=2028)
    version = PlanVersion(plan=plan, number=1, status="approved")
    output = Result(version=version, key="O1", level="output", code="1.1", statement_en="Out")
    activity = Result(
        version=version, key="A1", level="activity", code="1.1.1", statement_en="Act",
        parent=output,
    )  # fmt: skip
    db.session.add_all([plan, version, output, activity])
    lines = {ln.code: ln for ln in tiny.lines}
    lines["T-1"].result_key = "A1"  # an activity: counts under its output
    lines["T-2"].result_key = "O1"
    db.session.commit()
    data = services.compute(db.session, tiny)
    assert data["years"] == [2026, 2027, 2028]  # the plan's span, not only the budget's
    assert data["path"]["shares"][2028] == D("1.0000")
    by_output = data["execution"]["by_output"]
    assert [(o["code"], o["actual_usd"]) for o in by_output] == [("1.1", D("1100.00"))]
    line = next(ln for ln in data["lines"] if ln["code"] == "T-1")
    assert line["result"]["code"] == "1.1.1" and line["result"]["output_code"] == "1.1"
    assert logframe.delete_blockers(db.session, ["A1"]) == [
        "Budget lines T-1 are linked to this result."
    ]


def test_a_year_without_an_exchange_rate_has_no_share_or_gap(db, tiny, client, login):
    """Its KHR money cannot be added to its USD money, so nothing is computed on half."""
    from budget.models import ExchangeRate

    db.session.execute(sa.delete(ExchangeRate).where(ExchangeRate.year == 2026))
    db.session.commit()
    data = services.compute(db.session, tiny)
    y26 = _year(data, 2026)
    assert y26["missing_rate"] is True
    assert y26["moi_share"] is None and y26["gap_usd"] is None and y26["gap_khr"] is None
    assert y26["execution_rate"] is None
    assert _year(data, 2027)["moi_share"] is not None
    login("planner")
    assert client.get("/budget").status_code == 200


def _line_view(data, code):
    row = next(r for r in data["lines"] if r["code"] == code)
    execution = [e for e in data["execution"]["by_line_source_year"] if e["line"] == code]
    return row, execution


@pytest.mark.parametrize("data", ["seeded", "tiny"])
def test_one_line_alone_matches_the_line_in_the_whole_schedule(db, request, data):
    """The line page reads one line; its row and execution equal the whole schedule's,
    including years where only other lines reported spending."""
    request.getfixturevalue(data)
    if data == "tiny":  # 2027 reported by T-2 alone: T-1's plan to date counts from it too
        moi = db.session.scalar(sa.select(Organisation.id).where(Organisation.code == "MOI"))
        db.session.add(
            Spending(
                line_code="T-2", source_id=moi, year=2027, quarter=1, amount=D("1"), currency="KHR"
            )
        )
        db.session.commit()
    for sched in db.session.scalars(sa.select(Schedule)):
        whole = services.compute(db.session, sched)
        assert whole["lines"], sched.name
        for ln in whole["lines"]:
            alone = services.compute(db.session, sched, line=ln["code"])
            assert [r["code"] for r in alone["lines"]] == [ln["code"]]
            assert _line_view(alone, ln["code"]) == _line_view(whole, ln["code"])
            assert alone["quarters"] == whole["quarters"]
    if data == "tiny":
        t1 = [e for e in _line_view(whole, "T-1")[1] if e["year"] == 2027]
        assert t1 and all(e["actual_usd"] == 0 for e in t1)


def _rows_read(engine, statements):
    """The rows the logged statements read, replayed on a bare connection."""
    with engine.connect() as conn:
        return sum(len(conn.exec_driver_sql(s, p).fetchall()) for s, p in statements)


def test_line_page_reads_its_own_line_and_result_only(app, db, client, login):
    """Issue 8 item 22: the page of one line reads neither the whole schedule nor the
    whole plan. More results and more lines change neither its statements nor the rows
    they read."""
    from pathlib import Path

    from leap_me import seeding
    from logframe.models import Result

    seeding.seed_all(db.session, Path(app.config["SEEDS_DIR"]), only=("plan", "budget"))
    db.session.commit()
    login("planner")
    url = "/budget/lines/BL-03"

    def measure():
        client.get(url)  # the session and compiled caches warm
        log: list[tuple[str, object]] = []

        def on(_c, _cur, statement, parameters, *_a):
            log.append((statement, parameters))

        sa.event.listen(db.engine, "before_cursor_execute", on)
        try:
            response = client.get(url)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", on)
        assert response.status_code == 200
        return log, _rows_read(db.engine, log)

    log1, rows1 = measure()
    assert len(log1) <= 15, [s for s, _p in log1]
    page = client.get(url).get_data(as_text=True)
    result = db.session.scalar(
        sa.select(Result).where(Result.key == sa.select(BudgetLine.result_key)
                                .where(BudgetLine.code == "BL-03").scalar_subquery())
    )  # fmt: skip
    assert result is not None and result.code in page

    output = db.session.scalar(sa.select(Result).where(Result.level == "output"))
    sched = services.approved_schedule(db.session)
    source = db.session.scalar(sa.select(Organisation.id).where(Organisation.code == "MOI"))
    # an approved version refuses new results through the ORM: a bare insert stands in
    # for a bigger plan
    db.session.execute(
        sa.insert(Result.__table__),
        [
            {
                "version_id": output.version_id, "key": f"AX{i}", "level": "activity",
                "code": f"9.9.{i}", "statement_en": f"Extra {i}", "parent_id": output.id,
                "position": 900 + i,
            }
            for i in range(30)
        ],
    )  # fmt: skip
    for i in range(30):
        ln = BudgetLine(
            schedule_id=sched.id, code=f"BL-9{i:02d}", category="other", name_en="x",
            currency="USD", result_key=f"AX{i}",
        )  # fmt: skip
        ln.amounts.append(PlannedAmount(source_id=source, year=2027, amount=D("10")))
        db.session.add(ln)
    db.session.commit()
    log2, rows2 = measure()
    assert len(log2) == len(log1)
    assert rows2 == rows1
