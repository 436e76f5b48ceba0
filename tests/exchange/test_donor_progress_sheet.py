"""The donor workbook's "Progress report" sheet (issue 12 §3): the progress report of the
workbook's period, read back with openpyxl and python-calamine, its figures worked out by
hand from the seeded values and checked against the variance engine, the narratives in
both languages, formula-looking text kept inert, the period it reports on (asked for or
the latest with approved values) and its publication state."""

from __future__ import annotations

import io
from datetime import datetime

import openpyxl
import pytest
import sqlalchemy as sa
from python_calamine import CalamineWorkbook

from indicators.models import DataValue, Finding, ReportingPeriod
from leap_me.auth.models import User
from leap_me.reports import dedup, narratives, progress, variance
from leap_me.reports.models import PublishedReport
from tests.exchange.conftest import RISKY_NAME
from tests.reports import factories as f

URL = "/reports/donor-workbook.xlsx?period=2026Q2"
SHEET = "Progress report"
KM_SHEET = "របាយការណ៍វឌ្ឍនភាព"

RISKY_NARRATIVE = "=SUM(A1:A9) rescued children were counted twice, then corrected."
RISKY_REASON = "-Police and WVC counted the same children in Phnom Penh."
SUMMARY_EN = "+Cases rose in Q2; the percentage of shelters fell."
KM_NARRATIVE = "ការជួញដូរមនុស្សបានថយចុះនៅខេត្តសៀមរាប"
EXPLANATION = "Only one of four shelters reported in time."


@pytest.fixture
def report_data(donor_data, plan):
    """donor_data (tests/exchange/conftest.py) plus what the report shows besides figures:
    a de-duplication adjustment, a partner's explanation, a finding and narratives.

    By hand, 2026Q2 (approved values only; WVC's 50 is only submitted):
    * T-SUM: 12 (PNP, KH-12) + 8 (SRP, KH-17) = 20, less the adjustment of −2 in KH-12 =
      18 against 25: variance −7, relative −28 %, progress 72 % → Behind (amber, 60–90);
      year to date 22 + 18 = 40 against 20 + 25 = 45.
    * T-PCT: 1 of 4 = 25 % against 80 %: variance −55, relative −68.75 %, progress
      31.25 % → Off track (red, under 60).
    """
    s = plan
    reviewer, ind = donor_data["reviewer"], donor_data["indicator"]
    q2 = s.scalar(sa.select(ReportingPeriod).where(ReportingPeriod.code == "2026Q2"))
    dedup.record_adjustment(
        s,
        indicator=ind,
        period=q2,
        province=f.province(s, "KH-12"),
        value="-2",
        reason=RISKY_REASON,
        user=reviewer,
    )
    pct = s.scalar(
        sa.select(DataValue).where(DataValue.period_id == q2.id, DataValue.numerator.is_not(None))
    )
    pct.explanation = EXPLANATION
    s.add(
        Finding(
            key="test-outlier-pct",
            kind="outlier",
            indicator_id=pct.indicator_id,
            period_id=q2.id,
            organisation_id=pct.organisation_id,
            province_id=pct.province_id,
            value_id=pct.id,
            detail={},
            explanation="@Checked with the shelters.",
        )
    )
    planner = s.scalar(sa.select(User).where(User.username == "planner"))
    narratives.save(
        s, period=q2, outcome_key="O1", text_en=RISKY_NARRATIVE, text_km=KM_NARRATIVE, user=planner
    )
    narratives.save(
        s, period=q2, outcome_key=progress.SUMMARY_KEY, text_en=SUMMARY_EN, text_km="", user=planner
    )
    s.commit()
    return {**donor_data, "period": q2, "planner": planner}


def _get(client, url=URL) -> bytes:
    r = client.get(url)
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    return r.data


def _rows(data: bytes, name: str = SHEET) -> list[tuple]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return [tuple(row) for row in wb[name].iter_rows(values_only=True)]


def _after(rows: list[tuple], heading: str, start: int = 0) -> tuple[int, list[dict]]:
    """The table under ``heading`` (the next row is its header, a blank row ends it)."""
    at = next(i for i in range(start, len(rows)) if rows[i] and rows[i][0] == heading)
    head = rows[at + 1]
    out = []
    for row in rows[at + 2 :]:
        if not any(v not in (None, "") for v in row):
            break
        out.append({h: v for h, v in zip(head, row, strict=False) if h})
    return at, out


def _flat(rows) -> list:
    return [c for row in rows for c in row if c not in (None, "")]


def test_the_sheet_follows_the_pdf_and_its_figures_are_the_engines(report_data, login, db):
    data = _get(login("viewer"))
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames[:3] == ["Read me", SHEET, "Logframe"]
    ws = wb[SHEET]
    assert ws.freeze_panes == "A2"
    assert ws["A1"].value == "Sector-wide progress report 2026Q2" and ws["A1"].font.b
    rows = _rows(data)
    firsts = [r[0] for r in rows if r and r[0]]
    order = [
        "Summary",
        "Progress by outcome",
        "Variance explanations",
        "Data quality",
        "Activity status",
        "Budget and cost-sharing",
        "Annex: completeness and timeliness",
    ]
    assert [x for x in firsts if x in order] == order  # the PDF's order
    info = {r[0]: r[1] for r in rows[:9] if r and r[0]}
    assert info["Reporting period"].startswith("2026Q2 (")
    assert info["Period"] == "The period asked for when the workbook was made."
    assert info["Figures"] == "Approved values only"
    assert info["Publication"] == "Not published yet: this sheet shows the live figures."

    # summary: counts, then the three biggest variances with their explanations
    summary = {r[1]: r[0] for r in rows if r and isinstance(r[0], int | float) and r[1]}
    assert summary["indicators due this period"] == 2
    assert summary["on track, met or exceeded"] == 0
    assert summary["behind, off track or not met"] == 2
    _at, biggest = _after(rows, "The three biggest variances")
    assert [b["Code"] for b in biggest] == ["T-PCT", "T-SUM"]  # −68.75 %, −28 %
    assert biggest[0]["Relative variance"] == pytest.approx(-0.6875)
    assert biggest[0]["Explanation"] == f"AHTJP-PNP: {EXPLANATION}"
    assert biggest[1]["Actual"] == 18 and biggest[1]["Variance"] == -7
    assert biggest[1]["Explanation"] == "No explanation given."
    narrative_rows = [r[1] for r in rows if r and r[0] == "Narrative"]
    assert narrative_rows[0] == SUMMARY_EN  # the summary's own narrative comes first

    # progress by outcome, against the variance service
    engine = {
        span: {r["code"]: r for r in variance.variance(db.session, "2026Q2", span)}
        for span in ("period", "ytd", "plan")
    }
    outcome_start = firsts.index("Progress by outcome")
    start = next(i for i, r in enumerate(rows) if r and r[0] == firsts[outcome_start])
    tables = {}
    i = start
    while True:
        heads = [j for j in range(i + 1, len(rows)) if rows[j] and rows[j][0] == "Code"]
        if not heads or (rows[heads[0]][1] != "Indicator" or rows[heads[0]][2] != "Baseline"):
            break
        _at, table = _after(rows, rows[heads[0] - 1][0], heads[0] - 1)
        for t in table:
            tables[t["Code"]] = t
        i = heads[0] + 1
    t = tables["T-SUM"]
    e = engine["period"]["T-SUM"]
    assert (t["Target"], t["Actual"], t["Variance"]) == (25, 18, -7)
    assert (e["target"], e["actual"], e["variance"]) == (25, 18, -7)
    assert t["Progress"] == pytest.approx(0.72) == e["progress"] / 100
    assert t["Status"] == "◐ Behind" and e["status"] == "amber"
    assert t["Baseline"] == 104 and t["Adjustment"] == -2 == e["dedup"]
    assert t["Indicator"] == RISKY_NAME
    assert (t["Year to date: Actual"], t["Year to date: Target"]) == (40, 45)
    assert t["Year to date: Actual"] == engine["ytd"]["T-SUM"]["actual"]
    assert t["Plan to date: Actual"] == engine["plan"]["T-SUM"]["actual"]
    p = tables["T-PCT"]
    assert p["Actual"] == pytest.approx(25) and p["Target"] == 80 and p["Variance"] == -55
    assert p["Progress"] == pytest.approx(0.3125) and p["Status"] == "○ Off track"
    assert p["Adjustment"] is None

    # the planners' narratives, the partners' explanations
    assert RISKY_NARRATIVE in narrative_rows
    flat = _flat(rows)
    assert EXPLANATION in flat
    # data quality: the finding, the adjustment with its reason
    _at, findings = _after(rows, "Data-quality findings")
    assert findings[0]["Indicator"] == "T-PCT"
    assert findings[0]["Explanation"] == "@Checked with the shelters."
    _at, adjustments = _after(rows, "De-duplication adjustments")
    assert adjustments[0] == {
        "Indicator": "T-SUM",
        "Reason": RISKY_REASON,
        "Province": "Phnom Penh",
        "Adjustment": -2,
    }
    assert adjustments[1]["Reason"].startswith("Sector and provincial totals in this report")
    # budget: the tiny schedule's 2026
    head_at = next(
        i for i, r in enumerate(rows) if r and r[0] == "Year" and r[1] == "Planned (USD)"
    )
    assert rows[head_at + 1][0] == 2026 and rows[head_at + 1][1] == 4500
    # the annex (no organisation owes this period a submission in these data)
    annex = next(i for i, r in enumerate(rows) if r and r[0] == order[-1])
    assert rows[annex + 1][1].startswith("0 of 0 expected submissions were made")

    # python-calamine reads the same cells
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name(SHEET)
    grid = sheet.to_python()
    assert grid[0][0] == "Sector-wide progress report 2026Q2"
    cal = [c for row in grid for c in row if c != ""]
    assert RISKY_NARRATIVE in cal and RISKY_REASON in cal and EXPLANATION in cal
    assert 18 in cal and -7 in cal


def test_formula_looking_text_is_inert(report_data, login):
    wb = openpyxl.load_workbook(io.BytesIO(_get(login("viewer"))))
    ws = wb[SHEET]
    risky = [RISKY_NARRATIVE, RISKY_REASON, RISKY_NAME, SUMMARY_EN, "@Checked with the shelters."]
    for text in risky:
        cells = [c for row in ws.iter_rows() for c in row if c.value == text]
        assert cells, text
        assert all(c.data_type == "s" and c.quotePrefix for c in cells), text
    ordinary = next(c for row in ws.iter_rows() for c in row if c.value == EXPLANATION)
    assert not ordinary.quotePrefix
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)


def test_widths_are_fitted_and_text_wraps(report_data, login):
    ws = openpyxl.load_workbook(io.BytesIO(_get(login("viewer"))))[SHEET]
    # column B holds the indicator names and the narratives: as wide as allowed
    assert ws.column_dimensions["B"].width >= len(RISKY_NAME)
    assert ws.column_dimensions["B"].width <= 61
    cell = next(c for row in ws.iter_rows() for c in row if c.value == RISKY_NARRATIVE)
    assert cell.alignment.wrap_text
    number = next(c for row in ws.iter_rows() for c in row if c.value == 18)
    assert number.number_format == "#,##0.##"
    progress_cell = next(c for row in ws.iter_rows() for c in row if c.value == pytest.approx(0.72))
    assert progress_cell.number_format == "0.0%"


def test_khmer_sheet(report_data, login):
    data = _get(login("viewer"), URL + "&lang=km")
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames[1] == KM_SHEET
    ws = wb[KM_SHEET]
    assert ws.freeze_panes == "A2"
    assert "2026Q2" in ws["A1"].value and "Sector-wide" not in ws["A1"].value
    rows = _rows(data, KM_SHEET)
    flat = _flat(rows)
    assert KM_NARRATIVE in flat  # the Khmer text of the outcome's narrative
    assert RISKY_NARRATIVE not in flat
    assert SUMMARY_EN in flat  # no Khmer text: the English one, as on the page
    assert "សូចនាករ T-PCT" in flat  # names in Khmer
    assert not any(x in flat for x in ("Summary", "Progress by outcome", "Narrative"))
    fonts = {
        c.font.name for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value
    }
    assert fonts == {"Noto Sans Khmer"}
    assert 18 in flat and -7 in flat  # the figures do not depend on the language
    cal = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name(KM_SHEET)
    assert KM_NARRATIVE in [c for row in cal.to_python() for c in row]


def test_without_a_period_the_latest_period_with_approved_values(report_data, login, plan):
    # 2026Q3 and Q4 exist (quarters of 2026) but hold no approved value
    assert plan.scalar(sa.select(sa.func.count()).select_from(ReportingPeriod)) >= 4
    r = login("viewer").get("/reports/donor-workbook.xlsx?lang=en")
    assert r.status_code == 200
    assert "2026Q2" in r.headers["Content-Disposition"]
    rows = _rows(r.data)
    info = {row[0]: row[1] for row in rows[:9] if row and row[0]}
    assert rows[0][0] == "Sector-wide progress report 2026Q2"
    assert info["Period"] == "No period was asked for: the latest period with approved values."
    readme = _flat(_rows(r.data, "Read me"))
    assert "2026Q2" in readme


def test_a_published_report_is_named_and_moves_are_told(report_data, login, db, app):
    q2 = report_data["period"]
    with app.test_request_context():
        live = progress.build(db.session, "2026Q2", "en").fingerprint()
    db.session.add(
        PublishedReport(
            period_id=q2.id,
            published_dt=datetime(2026, 7, 25, 8, 0),
            published_by_id=report_data["planner"].id,
            fingerprint=live,
        )
    )
    db.session.commit()
    client = login("viewer")
    info = {r[0]: r[1] for r in _rows(_get(client))[:9] if r and r[0]}
    assert info["Publication"].startswith("Published on ")
    assert "The live figures have not changed since." in info["Publication"]
    value = db.session.scalar(
        sa.select(DataValue).where(DataValue.period_id == q2.id, DataValue.value == 8)
    )
    value.value = 9
    db.session.commit()
    info = {r[0]: r[1] for r in _rows(_get(client))[:9] if r and r[0]}
    assert "The live figures have changed since" in info["Publication"]


def test_the_forecast_sentence_of_each_indicator(report_data, login, plan, db, app):
    """With a third quarter of data T-SUM has a forecast: the sheet's sentence is the
    engine's (METHOD.md §3), and without a period the workbook now takes 2026Q3."""
    from leap_me.reports import present

    ind = report_data["indicator"]
    f.value(plan, ind, "2026Q3", "AHTJP-PNP", "KH-12", 30)
    f.target(plan, ind, "2026Q3", 25)
    f.target(plan, ind, "2035Q4", 25)  # the plan's last year: what the forecast aims at
    plan.commit()
    with app.test_request_context():
        row = next(
            r for r in variance.variance(db.session, "2026Q3", "plan") if r["code"] == "T-SUM"
        )
        sentence = present.forecast_sentence(row["forecast"])
    assert row["forecast"] and sentence
    rows = _rows(_get(login("viewer"), "/reports/donor-workbook.xlsx?lang=en"))
    assert rows[0][0] == "Sector-wide progress report 2026Q3"
    head = next(r for r in rows if r and r[0] == "Code" and r[-1] == "Forecast")
    t_sum = next(r for r in rows if r and r[0] == "T-SUM" and len(r) == len(head) and r[-1])
    assert t_sum[head.index("Forecast")] == sentence


def test_without_any_period_the_sheet_says_so(login):
    data = _get(login("viewer"), "/reports/donor-workbook.xlsx")
    rows = _rows(data)
    assert rows[0][0] == "Sector-wide progress report"
    assert "There are no reporting periods yet." in _flat(rows)
