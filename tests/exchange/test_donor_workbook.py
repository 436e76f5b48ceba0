"""The donor workbook: its sheets and figures (read back with openpyxl and
python-calamine), frozen headers and filters, formula-safe user text, Khmer, the CLI,
who may download it, a fixed number of queries, and LibreOffice opening it."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from leap_me.reports import variance
from tests.conftest import QueryCounter
from tests.exchange.conftest import APPROVED_AT, RISKY_NAME, convert, soffice
from tests.reports import factories as f

URL = "/reports/donor-workbook.xlsx?period=2026Q2"
EN_SHEETS = [
    "Read me",
    "Progress report",
    "Logframe",
    "Tracking",
    "By period",
    "Data",
    "Budget",
    "Funding sources",
    "Budget lines",
]


def _get(client, url=URL):
    r = client.get(url)
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    assert r.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in r.headers["Content-Disposition"]
    return r.data


def _open(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def _table(ws) -> list[dict]:
    rows = list(ws.iter_rows(values_only=True))
    head = rows[0]
    return [dict(zip(head, row, strict=False)) for row in rows[1:]]


def test_sheets_headers_frozen_and_filtered(donor_data, login):
    wb = _open(_get(login("viewer")))
    assert wb.sheetnames == EN_SHEETS
    for name in EN_SHEETS[1:]:
        ws = wb[name]
        assert ws.freeze_panes in ("A2", "D2"), name
        assert all(c.font.b for c in ws[1] if c.value), name
        if name != "Progress report":  # a document of several tables: no one filter
            assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), name
    assert wb["Tracking"].freeze_panes == "D2"
    assert wb["Data"].column_dimensions["B"].width >= len(RISKY_NAME)


def test_tracking_table_is_the_variance_engine(donor_data, login, db):
    wb = _open(_get(login("viewer")))
    rows = {r["Code"]: r for r in _table(wb["Tracking"])}
    assert set(rows) == {"T-SUM", "T-PCT"}
    engine = {
        span: {r["code"]: r for r in variance.variance(db.session, "2026Q2", span)}
        for span in ("period", "ytd", "plan")
    }
    t = rows["T-SUM"]
    # 2026Q2: 12 + 8 approved (WVC's 50 is only submitted); target 25: 80 % → behind
    assert t["Period: Actual"] == 20 == engine["period"]["T-SUM"]["actual"]
    assert t["Period: Target"] == 25
    assert t["Period: Variance"] == -5
    assert t["Period: Progress"] == pytest.approx(0.8)
    assert t["Period: Status"] == "Behind" and engine["period"]["T-SUM"]["status"] == "amber"
    assert t["Year to date: Actual"] == 42 and t["Year to date: Target"] == 45
    assert t["Plan to date: Actual"] == engine["plan"]["T-SUM"]["actual"]
    assert t["Baseline"] == 104
    assert t["Indicator"] == RISKY_NAME
    p = rows["T-PCT"]
    assert p["Period: Actual"] == pytest.approx(25) and p["Period: Target"] == 80
    assert p["Period: Status"] == "Off track"
    cell = next(c for c in wb["Tracking"]["F"] if c.row == 2)
    progress = [c for c in wb["Tracking"][1] if c.value == "Period: Progress"][0].column
    assert wb["Tracking"].cell(2, progress).number_format == "0.0%"
    assert cell.number_format == "#,##0.##"
    by_period = _table(wb["By period"])
    q = {(r["Code"], r["Period"]): r for r in by_period}
    assert q[("T-SUM", "2026Q1")]["Actual"] == 22 and q[("T-SUM", "2026Q1")]["Target"] == 20
    assert q[("T-SUM", "2026Q2")]["Cumulative actual"] == 42


def test_tidy_sheet_has_one_row_per_approved_value(donor_data, login):
    data = _get(login("viewer"))
    rows = _table(_open(data)["Data"])
    # 3 (Q1) + 4 (Q2 totals and the two sexes) + 1 percentage; the submitted value is left out
    assert len(rows) == 8
    assert list(rows[0])[:9] == [
        "Indicator code", "Indicator", "Unit", "Period", "Period end", "Organisation code",
        "Organisation", "Province code", "Province",
    ]  # fmt: skip
    assert "Sex" in rows[0] and list(rows[0])[-7:] == [
        "Value", "Numerator", "Denominator", "Text value", "Status", "Approved by",
        "Approved at (UTC)",
    ]  # fmt: skip
    female = [r for r in rows if r["Sex"] == "Female"]
    assert len(female) == 1 and female[0]["Value"] == 7
    assert female[0]["Organisation code"] == "AHTJP-PNP"
    assert female[0]["Province code"] == "KH-12"
    srp = [r for r in rows if r["Organisation code"] == "AHTJP-SRP" and r["Period"] == "2026Q2"]
    assert srp[0]["Approved at (UTC)"] == APPROVED_AT
    assert srp[0]["Approved by"] == (donor_data["reviewer"].full_name or "reviewer")
    assert srp[0]["Status"] == "Approved"
    assert all(r["Approved by"] is None for r in rows if r["Organisation code"] == "WVC")
    pct = [r for r in rows if r["Indicator code"] == "T-PCT"][0]
    assert (pct["Numerator"], pct["Denominator"], pct["Value"]) == (1, 4, 25)
    assert srp[0]["Period end"] == datetime(2026, 6, 30)
    # python-calamine reads the same cells
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name("Data")
    grid = sheet.to_python()
    assert grid[0][:4] == ["Indicator code", "Indicator", "Unit", "Period"]
    assert len(grid) == 9
    assert [r[0] for r in grid[1:]].count("T-SUM") == 7
    assert RISKY_NAME in [r[1] for r in grid[1:]]


def test_budget_and_logframe_sheets(donor_data, login, db):
    from logframe.models import Result

    res = db.session.query(Result).filter(Result.key == "O1").first()
    res.verification_km = "+ របាយការណ៍"
    res.verification_en = "@Police records"
    res.assumptions_en = "-Stable funding"
    db.session.commit()
    wb = _open(_get(login("viewer")))
    budget = _table(wb["Budget"])
    assert budget[0]["Year"] == 2026 and budget[0]["Planned (USD)"] == 4500
    assert budget[0]["Planned (KHR)"] == 18225000
    assert wb["Budget"].cell(2, 3).number_format == "#,##0.00"
    sources = _table(wb["Funding sources"])
    assert sources[0]["UNICEF planned (USD)"] == 3000
    lines = {r["Line code"]: r for r in _table(wb["Budget lines"])}
    assert lines["T-1"]["Name"] == "Courses"
    frame = _table(wb["Logframe"])
    o1 = next(r for r in frame if r["Means of verification"] == "@Police records")
    assert o1["Assumptions"] == "-Stable funding"
    assert any("T-SUM" in (r["Indicators"] or "") for r in frame)
    ws = wb["Logframe"]
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if cell.value and str(cell.value)[0] in "=+-@":
                assert cell.data_type == "s" and cell.quotePrefix, cell.value
    readme = [r for r in wb["Read me"].iter_rows(values_only=True)]
    flat = [str(c) for row in readme for c in row if c]
    assert "LEAP M&E: donor workbook" in flat
    assert "2026Q2" in flat and "Tiny" in flat and "Plan version 1 (Draft)" in flat
    assert any("8 approved values" in t for t in flat)
    assert all(name in flat for name in EN_SHEETS[1:])


def test_user_text_that_looks_like_a_formula_is_inert(donor_data, login):
    wb = _open(_get(login("viewer")))
    for name in ("Tracking", "By period", "Data"):
        cells = [c for row in wb[name].iter_rows() for c in row if c.value == RISKY_NAME]
        assert cells, name
        assert all(c.data_type == "s" and c.quotePrefix for c in cells), name
    ordinary = wb["Data"]["A2"]
    assert ordinary.value == "T-PCT" or ordinary.value == "T-SUM"
    assert not ordinary.quotePrefix


def test_khmer_workbook(donor_data, login):
    wb = _open(_get(login("viewer"), URL + "&lang=km"))
    assert "Read me" not in wb.sheetnames and len(wb.sheetnames) == len(EN_SHEETS)
    data = wb[wb.sheetnames[5]]
    rows = list(data.iter_rows(values_only=True))
    assert "សូចនាករ T-PCT" in [r[1] for r in rows]  # names in Khmer
    assert "ស្រី" in [c for r in rows for c in r]  # the option's Khmer name
    assert "ភេទ" in rows[0]
    assert all(c.font.name == "Noto Sans Khmer" for c in data[1])
    assert data["B2"].font.name == "Noto Sans Khmer"
    tracking = wb[wb.sheetnames[3]]
    assert any(c.value == "ករណី" for row in tracking.iter_rows() for c in row)
    head = [c.value for c in tracking[1]]
    assert not any(h in ("Code", "Indicator", "Baseline") for h in head)


def test_cli_writes_the_workbook_and_refuses_a_bad_period(donor_data, runner, tmp_path):
    out = tmp_path / "donor.xlsx"
    result = runner.invoke(
        args=["export", "donor-workbook", "-o", str(out), "--lang", "km", "--period", "2026Q2"]
    )
    assert result.exit_code == 0, result.output
    assert "Wrote" in result.output and out.exists()
    wb = openpyxl.load_workbook(out)
    assert len(wb.sheetnames) == len(EN_SHEETS)
    out.unlink()
    result = runner.invoke(args=["export", "donor-workbook", "-o", str(out), "--period", "2099Q9"])
    assert result.exit_code != 0 and "2099Q9" in result.output
    result = runner.invoke(args=["export", "donor-workbook", "-o", str(out), "--period", "2031Q1"])
    assert result.exit_code != 0 and "There is no reporting period 2031Q1." in result.output
    assert list(tmp_path.iterdir()) == []  # a refused export leaves no file behind


def test_bad_questions_get_a_clear_error(donor_data, login):
    client = login("viewer")
    r = client.get("/reports/donor-workbook.xlsx?period=nonsense")
    assert r.status_code == 400 and "is not a period code" in r.get_data(as_text=True)
    r = client.get("/reports/donor-workbook.xlsx?period=2031Q1")
    assert r.status_code == 404
    r = client.get("/reports/donor-workbook.xlsx?period=2026Q2&lang=fr")
    assert r.status_code == 400 and "use en or km" in r.get_data(as_text=True)


@pytest.mark.parametrize(
    ("role", "status"),
    [("viewer", 200), ("reviewer", 200), ("planner", 200), ("admin", 200), ("partner", 403)],
)
def test_who_may_download(donor_data, login, role, status):
    assert login(role).get(URL).status_code == status


def test_anonymous_is_sent_to_sign_in(donor_data, client):
    r = client.get(URL)
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert client.get("/api/v1/donor-workbook").status_code == 401


def test_api_download(donor_data, api_token, client):
    token = api_token("viewer")
    r = client.get(
        "/api/v1/donor-workbook?period=2026Q2&lang=en",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 200 and _open(r.data).sheetnames == EN_SHEETS
    r = client.get(
        "/api/v1/donor-workbook?period=bad", headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 400 and r.json["error"]["message"]


def test_the_page_links_to_the_download(donor_data, login):
    client = login("viewer")
    page = client.get("/variance?period=2026Q2").get_data(as_text=True)
    assert "/reports/donor-workbook.xlsx?period=2026Q2&amp;lang=en" in page
    assert "/reports/donor-workbook.xlsx?lang=en" in client.get("/budget").get_data(as_text=True)
    client.post("/logout")
    page = login("partner").get("/variance?period=2026Q2").get_data(as_text=True)
    assert "donor-workbook" not in page


def _count(app, client) -> int:
    from leap_me.extensions import db

    with app.app_context():
        counter = QueryCounter(db.engine)
        with counter:
            _get(client)
    return counter.count


def test_query_count_does_not_grow_with_the_data(app, donor_data, login, plan):
    """The whole download, the progress report sheet included: more indicators, values,
    explanations, findings, narratives and de-duplication adjustments, same queries."""
    import sqlalchemy as sa

    from indicators.models import DataValue, Finding, ReportingPeriod
    from leap_me.reports import dedup, narratives

    client = login("viewer")
    before = _count(app, client)
    q2 = plan.scalar(sa.select(ReportingPeriod).where(ReportingPeriod.code == "2026Q2"))
    reviewer = donor_data["reviewer"]
    for i in range(5):
        ind = f.indicator(plan, f"T-X{i}", result_key=f"O{i % 3 + 1}.1")
        f.target(plan, ind, "2026Q2", 10)
        for org, prov in (("AHTJP-PNP", "KH-12"), ("AHTJP-SRP", "KH-17"), ("IOM", "KH-1")):
            f.value(plan, ind, "2026Q1", org, prov, 3)
            f.value(plan, ind, "2026Q2", org, prov, 4)
            f.value(plan, ind, "2026Q2", org, prov, 2, disagg="sex:F")
        value = plan.scalar(
            sa.select(DataValue)
            .where(DataValue.indicator_id == ind.id, DataValue.period_id == q2.id)
            .limit(1)
        )
        value.explanation = f"Explanation {i}"
        plan.add(
            Finding(
                key=f"grow-{i}",
                kind="outlier",
                indicator_id=ind.id,
                period_id=q2.id,
                organisation_id=value.organisation_id,
                province_id=value.province_id,
                value_id=value.id,
                detail={},
            )
        )
        dedup.record_adjustment(
            plan,
            indicator=ind,
            period=q2,
            province=f.province(plan, "KH-12"),
            value="-1",
            reason=f"Counted twice {i}",
            user=reviewer,
        )
        narratives.save(
            plan, period=q2, outcome_key=f"O{i + 1}", text_en=f"N{i}", text_km="", user=reviewer
        )
    plan.commit()
    assert _count(app, client) == before


@pytest.mark.skipif(soffice() is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_opens_it_without_repair_and_the_values_survive(donor_data, login, tmp_path):
    path = tmp_path / "donor.xlsx"
    path.write_bytes(_get(login("viewer")))
    again = convert(path, "xlsx", tmp_path / "lo")
    wb = openpyxl.load_workbook(again)
    assert wb.sheetnames == EN_SHEETS
    rows = _table(wb["Data"])
    assert len(rows) == 8 and any(r["Sex"] == "Female" and r["Value"] == 7 for r in rows)
    names = [c.value for c in wb["Tracking"]["C"]]
    assert RISKY_NAME in names
    cell = next(c for c in wb["Tracking"]["C"] if c.value == RISKY_NAME)
    assert cell.data_type == "s"
    assert _table(wb["Budget"])[0]["Planned (USD)"] == 4500
    progress_rows = list(wb["Progress report"].iter_rows(values_only=True))
    assert progress_rows[0][0] == "Sector-wide progress report 2026Q2"
    cells = [c for row in progress_rows for c in row if c is not None]
    assert RISKY_NAME in cells and 20 in cells  # T-SUM's 12 + 8 of 2026Q2
    made = convert(path, "csv", tmp_path / "csv", sheet=6)
    rows = list(csv.DictReader(io.StringIO(made.read_text(encoding="utf-8"), newline="")))
    assert len(rows) == 8
    assert {r["Indicator"] for r in rows} == {RISKY_NAME, "Indicator T-PCT"}
    female = next(r for r in rows if r["Sex"] == "Female")
    assert female["Value"] == "7" and female["Period"] == "2026Q2"
