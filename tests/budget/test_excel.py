"""The donor workbook and the two uploads: layout, formula safety, dry run, all or
nothing, problems by sheet, row and column, size and type limits."""

from __future__ import annotations

import io
from decimal import Decimal as D

import openpyxl
import sqlalchemy as sa

from budget import services
from budget.models import PlannedAmount, Spending


def _export(client) -> openpyxl.Workbook:
    r = client.get("/budget/export.xlsx")
    assert r.status_code == 200
    assert r.mimetype.endswith("spreadsheetml.sheet")
    return openpyxl.load_workbook(io.BytesIO(r.data))


def _bytes(wb) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _upload(client, url, data: bytes, dry_run: bool, name="plan.xlsx"):
    form = {"file": (io.BytesIO(data), name)}
    if dry_run:
        form["dry_run"] = "y"
    return client.post(url, data=form, content_type="multipart/form-data")


def test_export_has_the_schedule_in_usd_and_khr_with_frozen_headers(db, tiny, login, client):
    login("viewer")
    wb = _export(client)
    assert {"About", "Schedule", "Sources", "Planned", "Lines USD", "Execution", "Spending",
            "Rates"} <= set(wb.sheetnames)  # fmt: skip
    ws = wb["Schedule"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref
    head = [c.value for c in ws[1]]
    row = {h: c.value for h, c in zip(head, ws[2], strict=False)}
    assert row["Year"] == 2026
    assert row["Planned (USD)"] == 4500
    assert row["Planned (KHR)"] == 18225000
    assert ws.cell(2, head.index("Planned (USD)") + 1).number_format == "#,##0.00"
    assert ws.cell(2, head.index("MoI share") + 1).number_format == "0.00%"
    row27 = {h: c.value for h, c in zip(head, ws[3], strict=False)}
    assert row27["Path"] == 0.625 and row27["Gap (USD)"] == 875


def test_user_text_never_becomes_a_formula(db, tiny, login, client):
    line = tiny.lines[0]
    line.name_en = '=HYPERLINK("http://evil","x")'
    db.session.commit()
    login("planner")
    wb = _export(client)
    ws = wb["Planned"]
    cells = [c for row in ws.iter_rows() for c in row if c.value and "HYPERLINK" in str(c.value)]
    # a string cell, the text as typed, quote-prefixed (leap_me.exchange.xlsx_safe)
    assert cells and all(
        c.data_type == "s" and c.value == line.name_en and c.quotePrefix for c in cells
    )


def test_planned_import_dry_run_then_write(db, tiny, login, client):
    login("planner")
    wb = _export(client)
    ws = wb["Planned"]
    head = [c.value for c in ws[1]]
    col26 = head.index("2026") + 1
    for row in ws.iter_rows(min_row=2):
        if row[0].value == "T-1" and row[6].value == "UNICEF":
            ws.cell(row[0].row, col26).value = 3500.5
    data = _bytes(wb)
    r = _upload(client, "/budget/import", data, dry_run=True)
    assert r.status_code == 200
    assert "would be written" in r.get_data(as_text=True)
    unicef = db.session.scalar(
        sa.select(PlannedAmount.amount)
        .join(PlannedAmount.source)
        .where(PlannedAmount.year == 2026, PlannedAmount.amount == D("3000"))
    )
    assert unicef == D("3000.00")  # the dry run wrote nothing
    r = _upload(client, "/budget/import", data, dry_run=False)
    assert r.status_code == 302
    y26 = services.compute(db.session, tiny)["years_rows"][0]
    assert y26["planned_usd"] == D("5000.50")


def test_planned_import_with_errors_writes_nothing_and_lists_every_problem(db, tiny, login, client):
    login("planner")
    wb = _export(client)
    ws = wb["Planned"]
    ws.append(["NOPE", "", "", "", "", "USD", "UNICEF", 5])
    ws.append(["T-1", "", "", "", "", "USD", "XX", 5])
    for row in ws.iter_rows(min_row=2):
        if row[0].value == "T-1" and row[6].value == "MOI":
            ws.cell(row[0].row, 8).value = "lots"
            ws.cell(row[0].row, 9).value = 12.345
            good_row = row[0].row
        if row[0].value == "T-2":
            ws.cell(row[0].row, 8).value = 99  # a valid change that must not be written
    before = db.session.scalar(sa.select(sa.func.sum(PlannedAmount.amount)))
    r = _upload(client, "/budget/import", _bytes(wb), dry_run=False)
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert "4 problems were found. Nothing was written." in page
    assert "No budget line has the code NOPE." in page
    assert "XX is not a funding source." in page
    assert f"<td>Planned</td><td>{good_row}</td><td>H</td><td>“lots” is not a number." in page
    assert f"<td>{good_row}</td><td>I</td><td>“12.345”: USD amounts have at most 2" in page
    assert db.session.scalar(sa.select(sa.func.sum(PlannedAmount.amount))) == before


def test_upload_accepts_only_xlsx_within_the_size_limit(db, tiny, login, client, app):
    login("planner")
    r = _upload(client, "/budget/import", b"a,b\n1,2", dry_run=True, name="plan.csv")
    assert r.status_code == 400
    assert "Only Excel workbooks (.xlsx) are accepted." in r.get_data(as_text=True)
    r = _upload(client, "/budget/import", b"not a zip", dry_run=True)
    assert "The file is not a readable .xlsx workbook." in r.get_data(as_text=True)
    app.config["MAX_CONTENT_LENGTH"] = 1024
    r = _upload(client, "/budget/import", b"x" * 4096, dry_run=True)
    assert r.status_code == 413


def test_spending_upload_and_form(db, tiny, login, client):
    login("planner")
    wb = _export(client)
    ws = wb["Spending"]
    ws.append(["T-1", "UNICEF", 2026, 2, 400, "USD", "second quarter"])
    r = _upload(client, "/budget/spending/upload", _bytes(wb), dry_run=False)
    assert r.status_code == 302
    y26 = services.compute(db.session, tiny)["years_rows"][0]
    assert y26["actual_usd"] == D("1500.00")
    # by the form: a KHR amount with decimals is refused, in whole riel accepted
    moi = db.session.scalar(sa.text("SELECT id FROM organisation WHERE code = 'MOI'"))
    bad = client.post(
        "/budget/spending",
        data={"line": "T-2", "source_id": moi, "year": 2026, "quarter": 3, "amount": "10.5"},
    )
    assert bad.status_code == 400
    assert "KHR amounts are whole riel, without decimal places." in bad.get_data(as_text=True)
    ok = client.post(
        "/budget/spending",
        data={"line": "T-2", "source_id": moi, "year": 2026, "quarter": 3, "amount": "405,000"},
    )
    assert ok.status_code == 302
    row = db.session.scalar(sa.select(Spending).where(Spending.quarter == 3))
    assert row.amount == D("405000") and row.currency == "KHR"
    y26 = services.compute(db.session, tiny)["years_rows"][0]
    assert y26["quarters"] == 3
    assert y26["actual_usd"] == D("1600.00")  # + 405,000 / 4,050 = 100.00


def test_spending_upload_problems(db, tiny, login, client):
    login("planner")
    wb = _export(client)
    ws = wb["Spending"]
    ws.append(["T-1", "UNICEF", 2031, 5, -3, "USD", ""])
    r = _upload(client, "/budget/spending/upload", _bytes(wb), dry_run=True)
    page = r.get_data(as_text=True)
    assert "2031 is not a year of the plan." in page
    assert "The quarter must be 1, 2, 3 or 4." in page
    assert "“-3” is negative: give 0 or more." in page
    assert db.session.scalar(sa.select(sa.func.count(Spending.id))) == 4


def test_an_oversized_sheet_is_refused_before_it_is_read(db, tiny):
    import io

    import xlsxwriter

    from budget.excel import imports
    from budget.excel.common import MAX_ROWS

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"constant_memory": True})
    ws = wb.add_worksheet(imports.PLANNED_SHEET)
    ws.write(MAX_ROWS + 10, 0, "far down")
    wb.close()
    report = imports.Report()
    assert imports._sheet(report, buf.getvalue(), imports.PLANNED_SHEET) is None
    assert "too large" in report.problems[0].message
