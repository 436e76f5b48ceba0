"""Budget uploads go through the workbook guard: refused files change nothing."""

from __future__ import annotations

import sqlalchemy as sa

from budget.models import PlannedAmount
from tests.budget.test_excel import _bytes, _export, _upload
from tests.leap_me.test_workbook_guard import FAR, HOSTILE, xlsx


def _total(db):
    return db.session.scalar(sa.select(sa.func.sum(PlannedAmount.amount)))


def test_hostile_files_are_refused_and_change_nothing(db, tiny, login, client):
    login("planner")
    before = _total(db)
    for case in ("far cell A1 + XFD1048576", "zip bomb", "damaged deflate", "xlsm", "xls",
                 "ods", "empty", "span A1:XFD5002", "26 M shared strings declared"):  # fmt: skip
        make, words = HOSTILE[case]
        r = _upload(client, "/budget/import", make(), dry_run=False)
        assert r.status_code == 400, case
        assert words in r.get_data(as_text=True), case
    assert _total(db) == before
    assert client.get("/budget/import").status_code == 200


def test_far_cell_upload_dry_run(db, tiny, login, client):
    login("planner")
    r = _upload(client, "/budget/import", xlsx(FAR), dry_run=True)
    assert r.status_code == 400
    assert "XFD1048576" in r.get_data(as_text=True)


def test_formula_without_value_is_refused_and_deletes_nothing(db, tiny, login, client):
    login("planner")
    wb = _export(client)
    ws = wb["Planned"]
    ws.cell(2, 8).value = "=1000*2"  # openpyxl writes no cached value
    cell = f"{ws.cell(2, 8).column_letter}2"
    before = _total(db)
    r = _upload(client, "/budget/import", _bytes(wb), dry_run=False)
    assert r.status_code == 400
    assert cell in r.get_data(as_text=True)
    assert _total(db) == before


def test_two_columns_with_the_same_year_are_refused(db, tiny, login, client):
    login("planner")
    wb = _export(client)
    ws = wb["Planned"]
    year = ws.cell(1, 8).value
    ws.cell(1, 9).value = year
    before = _total(db)
    r = _upload(client, "/budget/import", _bytes(wb), dry_run=False)
    assert r.status_code == 400
    assert f"Cells H1 and I1 are both headed {int(year)}" in r.get_data(as_text=True)
    assert _total(db) == before


def test_unicode_digit_year_header_and_year_cell(db, tiny, login, client):
    login("planner")
    wb = _export(client)
    wb["Planned"].cell(1, 8).value = "²"
    r = _upload(client, "/budget/import", _bytes(wb), dry_run=True)
    assert r.status_code == 400 and "² is not a year of the plan." in r.get_data(as_text=True)
    wb = _export(client)
    wb["Spending"].append(["T-1", "UNICEF", "²", 1, 5, "USD", ""])
    r = _upload(client, "/budget/spending/upload", _bytes(wb), dry_run=True)
    assert r.status_code == 400 and "² is not a year of the plan." in r.get_data(as_text=True)
