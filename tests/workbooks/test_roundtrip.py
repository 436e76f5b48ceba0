"""The "Done when" round trip of issue 10: download the template of an organisation and
period, fill it with openpyxl, upload it with errors, get every error at once with its
cell, download the marked workbook, fix it, upload again, and find the values in the
grid as the organisation's draft, with their explanations."""

from __future__ import annotations

import io
import re

import sqlalchemy as sa
from openpyxl import load_workbook

from tests.workbooks.conftest import data_sheet, rows_by_key, save

SUB = "/submissions/AHTJP-SRP/2026Q4"


def _values(db, org_id, period_id):
    from indicators.models import DataValue, Indicator

    rows = db.session.execute(
        sa.select(Indicator.code, DataValue.disagg_key, DataValue.value, DataValue.numerator,
                  DataValue.denominator, DataValue.explanation, DataValue.status,
                  DataValue.submission_id)
        .join(Indicator, Indicator.id == DataValue.indicator_id)
        .where(DataValue.organisation_id == org_id, DataValue.period_id == period_id)
    ).all()  # fmt: skip
    return {(r.code, r.disagg_key): r for r in rows}


def _upload(client, data: bytes, name="filled.xlsx"):
    return client.post(
        f"{SUB}/workbook",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_round_trip(db, sub, login, org, period):
    s = sub()
    client = login("partner")
    grid = client.get(SUB)
    assert 'id="offline-workbook"' in grid.get_data(as_text=True)
    response = client.get(f"{SUB}/template.xlsx?lang=en")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    wb = load_workbook(io.BytesIO(response.data))
    ws = data_sheet(wb)
    at = rows_by_key(ws)
    r_type = at["AHTJP-09|KH-17|"]
    r_total = at["AHTJP-01|KH-17|"]
    r_part = at["AHTJP-01|KH-17|victim_type:sexual_abuse"]
    r_pct = at["LEAP-5.1|KH-17|"]
    r_ratio = at["LEAP-3.1|KH-17|"]
    ws.cell(r_type, 10).value = "abc"  # wrong type
    ws.cell(r_total, 10).value = 10  # the parts add up to 3: a warning, unexplained
    ws.cell(r_part, 10).value = "៣"  # Khmer digits
    ws.cell(r_pct, 11).value = 12  # numerator above the denominator: out of range
    ws.cell(r_pct, 12).value = 10
    ws.cell(r_ratio, 11).value = "1,250"  # thousands separator
    ws.cell(r_ratio, 12).value = "2500"
    extra = ws.max_row + 1
    ws.cell(extra, 1).value = "AHTJP-09|KH-12|"  # a row this organisation does not owe
    ws.cell(extra, 10).value = 5
    before = _values(db, s.organisation_id, s.period_id)

    response = _upload(client, save(wb))
    assert response.status_code == 302
    report_url = response.location
    page = client.get(report_url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f"J{r_type}" in html and f"K{r_pct}" in html and f"A{extra}" in html
    assert f"M{r_total}" in html  # the missing explanation, on the explanation cell
    assert "no explanation" in html
    assert 'id="apply"' not in html  # nothing can be written while there are errors
    assert _values(db, s.organisation_id, s.period_id) == before

    # the JSON report says the same, every problem at once
    from leap_me.exchange import imports

    report = imports.run(db.session, save(wb), user=_partner(db), dry_run=True)
    db.session.rollback()
    cells = {p.cell for p in report.errors}
    assert {f"J{r_type}", f"K{r_pct}", f"A{extra}"} <= cells
    assert any(w.cell == f"M{r_total}" and w.explained is False for w in report.warnings)

    marked = client.get(report_url + "&marked=1")
    assert marked.status_code == 200
    mwb = load_workbook(io.BytesIO(marked.data))
    mws = data_sheet(mwb)
    for ref in (f"J{r_type}", f"K{r_pct}", f"A{extra}", f"M{r_total}"):
        c = mws[ref]
        assert c.comment is not None and c.comment.text, ref
        assert c.fill.fgColor.rgb.endswith(("FFC7CE", "FFEB9C")), ref
    assert mws[f"J{r_type}"].fill.fgColor.rgb.endswith("FFC7CE")
    assert "number" in mws[f"J{r_type}"].comment.text.lower()
    assert mws[f"M{r_total}"].fill.fgColor.rgb.endswith("FFEB9C")
    assert mws[f"J{r_part}"].comment is None  # a good cell is not marked

    # fix it offline, in the marked workbook itself
    mws[f"J{r_type}"].value = 8
    mws[f"K{r_pct}"].value = 9
    mws[f"M{r_total}"].value = "Other victim types counted in the total"
    mws.delete_rows(extra)
    response = _upload(client, save(mwb), "fixed.xlsx")
    report_url = response.location
    html = client.get(report_url).get_data(as_text=True)
    assert 'id="apply"' in html
    upload_id = re.search(r"upload=([A-Za-z0-9_-]+)", report_url).group(1)
    done = client.post(f"{SUB}/workbook/apply", data={"upload": upload_id})
    assert done.status_code == 302 and done.location.endswith(SUB)

    stored = _values(db, s.organisation_id, s.period_id)
    assert stored[("AHTJP-09", "")].value == 8
    assert stored[("AHTJP-01", "")].value == 10
    assert stored[("AHTJP-01", "")].explanation == "Other victim types counted in the total"
    assert stored[("AHTJP-01", "victim_type:sexual_abuse")].value == 3
    assert stored[("LEAP-5.1", "")].numerator == 9 and stored[("LEAP-5.1", "")].denominator == 10
    assert stored[("LEAP-3.1", "")].numerator == 1250
    assert {r.status for r in stored.values()} == {"draft"}
    assert {r.submission_id for r in stored.values()} == {s.id}
    grid = client.get(SUB).get_data(as_text=True)
    assert "Other victim types counted in the total" in grid

    # the upload is gone once applied
    again = client.post(f"{SUB}/workbook/apply", data={"upload": upload_id})
    assert again.status_code == 302 and "workbook" in again.location

    # the same file again changes nothing, and says so
    response = _upload(client, save(mwb), "fixed.xlsx")
    html = client.get(response.location).get_data(as_text=True)
    assert "changes nothing" in html
    assert 'id="apply"' not in html
    assert _values(db, s.organisation_id, s.period_id) == stored
    from indicators.models import SubmissionEvent

    saves = db.session.scalars(
        sa.select(SubmissionEvent).where(
            SubmissionEvent.submission_id == s.id, SubmissionEvent.action == "saved"
        )
    ).all()
    assert [e.detail["source"] for e in saves] == ["workbook"]


def _partner(db):
    from leap_me.auth.models import User

    return db.session.scalar(sa.select(User).where(User.username == "partner"))


def test_the_khmer_page_and_messages(db, sub, login):
    sub()
    client = login("partner")
    client.post("/language", data={"lang": "km"})
    page = client.get(f"{SUB}/workbook")
    assert page.status_code == 200
    wb = load_workbook(io.BytesIO(client.get(f"{SUB}/template.xlsx?lang=km").data))
    ws = data_sheet(wb)
    assert wb.sheetnames[2] == "_leap_id"
    assert ws.cell(1, 10).value != "Value"  # Khmer headers
    assert "Khmer" in ws.cell(2, 3).font.name
    at = rows_by_key(ws)
    ws.cell(at["AHTJP-09|KH-17|"], 10).value = "abc"
    response = _upload(client, save(wb))
    html = client.get(response.location).get_data(as_text=True)
    assert re.search("[\u1780-\u17ff]", html)
    assert f"J{at['AHTJP-09|KH-17|']}" in html
