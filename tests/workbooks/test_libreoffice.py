"""Issue 10 item 5: the submission template opens in real spreadsheet software.

LibreOffice (Debian's libreoffice-calc-nogui, installed by .ci/run) converts the template
headless; the converted file must keep every value, the hidden identification sheet and
its signature, read back with openpyxl and python-calamine, and import as "changes
nothing"."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from openpyxl import load_workbook

from leap_me.exchange import template as tpl
from tests.workbooks.conftest import data_sheet, rows_by_key

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(
    SOFFICE is None,
    reason="LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui",
)


def _convert(tmp_path, data: bytes) -> bytes:
    src = tmp_path / "in" / "template.xlsx"
    src.parent.mkdir()
    src.write_bytes(data)
    out = tmp_path / "out"
    profile = tmp_path / "profile"
    done = subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
         "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(src)],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    result = out / "template.xlsx"
    assert done.returncode == 0 and result.exists(), done.stdout + done.stderr
    return result.read_bytes()


@pytest.mark.parametrize("lang", ["en", "km"])
def test_libreoffice_opens_the_template_and_the_values_survive(
    db, sub, user, cell, template, tmp_path, lang
):
    from indicators.services import submissions

    s = sub()
    submissions.save(
        db.session, s,
        [cell("AHTJP-09", value="12.5", explanation="Two hotlines"),
         cell("LEAP-3.1", numerator="3", denominator="4")],
        user=user("partner"), expected_version=None,
    )  # fmt: skip
    db.session.commit()
    original = template(lang=lang)
    converted = _convert(tmp_path, original)

    wb = load_workbook(io.BytesIO(converted))
    assert wb.sheetnames == load_workbook(io.BytesIO(original)).sheetnames
    ws = data_sheet(wb)
    at = rows_by_key(ws)
    assert ws.cell(at["AHTJP-09|KH-17|"], 10).value == 12.5
    assert ws.cell(at["AHTJP-09|KH-17|"], 13).value == "Two hotlines"
    assert ws.cell(at["LEAP-3.1|KH-17|"], 11).value == 3
    assert wb[tpl.ID_SHEET].sheet_state == "hidden"
    assert ws.protection.sheet

    from python_calamine import CalamineWorkbook

    cwb = CalamineWorkbook.from_filelike(io.BytesIO(converted))
    rows = cwb.get_sheet_by_name(wb.sheetnames[1]).to_python()
    assert len(rows) == ws.max_row
    assert rows[0][9] == ws.cell(1, 10).value

    from leap_me.exchange import imports

    report = imports.run(db.session, converted, user=user("partner"), dry_run=True, locale=lang)
    db.session.rollback()
    assert report.clean, report.problems
    assert not report.changes_anything  # LibreOffice kept every value as it was
