"""The submission template: rows from owed_rows, locked keys, drop-downs and number
validation, the draft's values, the signed hidden identification sheet; the API and
the command line; numbers read as the grid reads them."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from leap_me.exchange import template as tpl
from tests.workbooks.conftest import data_sheet, rows_by_key, save


def test_rows_are_the_owed_rows_with_the_draft(db, sub, user, cell, template):
    from indicators.services import submissions
    from indicators.services.owed import owed_rows

    s = sub()
    submissions.save(
        db.session,
        s,
        [cell("AHTJP-09", value="12", explanation="Two hotlines"),
         cell("LEAP-3.1", numerator="3", denominator="4", comment="from the database")],
        user=user("partner"),
        expected_version=None,
    )  # fmt: skip
    db.session.commit()
    wb = load_workbook(io.BytesIO(template()))
    assert wb.sheetnames == ["Instructions", "Data", tpl.ID_SHEET]
    ws = data_sheet(wb)
    owed = owed_rows(db.session, s.organisation, s.period)
    keys = [tpl.row_key(r.indicator.code, r.province.code if r.province else None, r.disagg_key)
            for r in owed]  # fmt: skip
    assert [ws.cell(r, 1).value for r in range(2, ws.max_row + 1)] == keys
    at = rows_by_key(ws)
    r = at["AHTJP-09|KH-17|"]
    assert ws.cell(r, 10).value == 12 and ws.cell(r, 13).value == "Two hotlines"
    r = at["LEAP-3.1|KH-17|"]
    assert (ws.cell(r, 11).value, ws.cell(r, 12).value) == (3, 4)
    assert ws.cell(r, 14).value == "from the database"
    # locked keys, unlocked inputs, protection on
    assert ws.protection.sheet
    assert ws.cell(r, 1).protection.locked and ws.cell(r, 2).protection.locked
    assert not ws.cell(r, 11).protection.locked and not ws.cell(r, 13).protection.locked
    assert ws.column_dimensions["A"].hidden
    kinds = {dv.type for dv in ws.data_validations.dataValidation}
    assert "decimal" in kinds
    # the identification sheet: hidden, protected, signed
    ids = wb[tpl.ID_SHEET]
    assert ids.sheet_state == "hidden" and ids.protection.sheet
    fields = {ids.cell(i, 1).value: ids.cell(i, 2).value for i in range(1, 8)}
    assert fields["organisation"] == "AHTJP-SRP" and fields["period"] == "2026Q4"
    assert fields["format"] == str(tpl.FORMAT_VERSION)
    assert fields["checksum"] == tpl.checksum(tpl.FORMAT_VERSION, "AHTJP-SRP", "2026Q4", keys)
    instructions = "\n".join(
        str(c.value) for row in wb["Instructions"].iter_rows() for c in row if c.value
    )
    assert "Deadline" in instructions and "Who to ask" in instructions
    assert "Numerator" in instructions  # what each column means


def test_yes_no_rows_get_a_drop_down(db, sub, indicator, template):
    """No seeded indicator of AHTJP-SRP is yes/no: make one so, and see the list."""
    sub()
    ind = indicator("AHTJP-09")
    ind.current_version.measure = "yesno"
    db.session.commit()
    wb = load_workbook(io.BytesIO(template(lang="km")))
    ws = data_sheet(wb)
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert lists and "បាទ/ចាស" in lists[0].formula1
    r = rows_by_key(ws)["AHTJP-09|KH-17|"]
    assert str(lists[0].sqref) == f"J{r}"


def test_the_khmer_template_uses_a_khmer_font(db, sub, template):
    sub()
    wb = load_workbook(io.BytesIO(template(lang="km")))
    assert wb.sheetnames[:2] == ["សេចក្តីណែនាំ", "ទិន្នន័យ"]
    ws = data_sheet(wb)
    assert ws.cell(1, 10).value == "តម្លៃ"
    assert ws.cell(2, 5).value == "សរុប"
    assert all("Khmer" in ws.cell(2, c).font.name for c in range(1, 15))


def test_user_text_never_becomes_a_formula(db, sub, user, cell, template):
    from indicators.services import submissions

    s = sub()
    submissions.save(db.session, s, [cell("AHTJP-09", value="1", comment="=HYPERLINK(1)")],
                     user=user("partner"), expected_version=None)  # fmt: skip
    db.session.commit()
    ws = data_sheet(load_workbook(io.BytesIO(template())))
    c = ws.cell(rows_by_key(ws)["AHTJP-09|KH-17|"], 14)
    assert c.data_type == "s" and not str(c.value).startswith("=")
    from leap_me.exchange import imports

    report = imports.run(db.session, template(), user=user("partner"), dry_run=True)
    db.session.rollback()
    assert report.clean and not report.changes_anything  # the comment comes back as typed


NUMBERS = [
    ("1,250", "1250"),
    ("១២", "12"),
    ("  42 ", "42"),
    (7.5, "7.5"),
    (3, "3"),
    ("12,5", None),  # a decimal comma: refused as the grid refuses it (ambiguous)
    ("1e5", None),
    ("abc", None),
]


@pytest.mark.parametrize(("typed", "stored"), NUMBERS)
def test_numbers_are_read_as_the_grid_reads_them(db, sub, user, template, typed, stored):
    from indicators.services import submissions, validation

    sub()
    wb = load_workbook(io.BytesIO(template()))
    ws = data_sheet(wb)
    r = rows_by_key(ws)["AHTJP-09|KH-17|"]
    ws.cell(r, 10).value = typed
    from leap_me.exchange import imports

    report = imports.run(db.session, save(wb), user=user("partner"), dry_run=True)
    db.session.rollback()
    grid_fields, grid_errors = validation.check_cell("number", value=str(typed))
    if stored is None:
        assert [p.cell for p in report.errors] == [f"J{r}"]
        assert grid_errors  # the grid refuses it too
    else:
        assert report.clean, report.problems
        change = next(c for c in report.changes if c.key == "AHTJP-09|KH-17|")
        assert (change.status, change.new) == ("new", stored)
        assert grid_fields["value"] == Decimal(stored)
    del submissions


def test_api_template_and_import(db, sub, client, api_token, template):
    from indicators.models import DataValue

    s = sub()
    token = {"Authorization": f"Bearer {api_token('partner')}"}
    r = client.get("/api/v1/templates?org=AHTJP-SRP&period=2026Q4&lang=km", headers=token)
    assert r.status_code == 200 and r.mimetype == tpl.MIME
    assert "attachment" in r.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(r.data))
    ws = data_sheet(wb)
    row = rows_by_key(ws)["AHTJP-09|KH-17|"]
    ws.cell(row, 10).value = "៨"
    body = save(wb)
    dry = client.post("/api/v1/imports?dryRun=true", data=body, headers=token)
    assert dry.status_code == 200 and dry.json["clean"] and not dry.json["written"]
    assert dry.json["counts"]["new"] == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DataValue)) == 0
    done = client.post(
        "/api/v1/imports?dryRun=false",
        data={"file": (io.BytesIO(body), "x.xlsx")},
        headers=token,
        content_type="multipart/form-data",
    )
    assert done.status_code == 200 and done.json["written"]
    value = db.session.scalar(sa.select(DataValue).where(DataValue.submission_id == s.id))
    assert value.value == 8 and value.status == "draft"
    again = client.post("/api/v1/imports?dryRun=false", data=body, headers=token)
    assert again.status_code == 200 and not again.json["written"]
    assert "changes nothing" in again.json["summary"]
    # a partner never reads another organisation's template; a viewer none
    other = client.get("/api/v1/templates?org=MOI&period=2026Q4", headers=token)
    assert other.status_code == 404
    viewer = {"Authorization": f"Bearer {api_token('viewer')}"}
    assert (
        client.get("/api/v1/templates?org=AHTJP-SRP&period=2026Q4", headers=viewer).status_code
        == 403
    )
    reviewer = {"Authorization": f"Bearer {api_token('reviewer')}"}
    assert (
        client.get("/api/v1/templates?org=AHTJP-SRP&period=2026Q4", headers=reviewer).status_code
        == 200
    )
    assert client.post("/api/v1/imports", data=body, headers=reviewer).status_code == 403


def test_cli_export_and_import(db, sub, runner, tmp_path):
    from indicators.models import DataValue

    s = sub()
    out = tmp_path / "t.xlsx"
    result = runner.invoke(
        args=["export", "template", "--org", "AHTJP-SRP", "--period", "2026Q4", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    wb = load_workbook(out)
    ws = data_sheet(wb)
    r = rows_by_key(ws)["AHTJP-09|KH-17|"]
    ws.cell(r, 10).value = "abc"
    wb.save(out)
    result = runner.invoke(
        args=["import", "submissions", str(out), "--dry-run", "--user", "partner"]
    )
    assert result.exit_code == 1
    assert f"J{r}" in result.output and "nothing was saved" in result.output
    ws.cell(r, 10).value = 6
    wb.save(out)
    result = runner.invoke(
        args=["import", "submissions", str(out), "--dry-run", "--user", "partner"]
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DataValue)) == 0
    result = runner.invoke(args=["import", "submissions", str(out), "--user", "partner"])
    assert result.exit_code == 0, result.output
    assert "Saved as your draft" in result.output
    db.session.expire_all()
    value = db.session.scalar(sa.select(DataValue).where(DataValue.submission_id == s.id))
    assert value.value == 6
    from leap_me.audit import AuditEntry

    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.object_type == "data_value"))
    assert entry is not None and entry.actor == "partner"
    refused = runner.invoke(args=["import", "submissions", str(out), "--user", "reviewer"])
    assert refused.exit_code != 0 and "own organisation" in refused.output
