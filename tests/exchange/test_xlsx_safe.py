"""User text that begins like a formula never runs as one: each case written with
XlsxWriter (streaming exports) and openpyxl (templates), read back with openpyxl,
python-calamine and through LibreOffice (xlsx → xlsx, xlsx → csv)."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from leap_me.exchange import xlsx_safe
from tests.exchange.conftest import convert, soffice

RISKY = [
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\tplain after a tab",
    "\r=1+1",
    "\n=1+1",
    " =1+1",
    "   +1+1",
    " -2",
    " @SUM(1)",
    "\u00a0=1+1",  # no-break space
    "\u3000=1+1",  # ideographic space
    "\u200b=1+1",  # zero-width space
    "\ufeff+1",  # byte-order mark
    "＝1+1",  # full-width equals
    "＋1+1",
    "－1+1",
    "＠SUM(A1)",
    " ＝1+1",
    "−1+1",  # minus sign
    '=HYPERLINK("http://evil.example","click")',
    "=cmd|' /C calc'!A0",
    "-10 people",
]
SAFE = ["hello", "a=b", "1+1", "100", "ក្រសួងមហាផ្ទៃ", "x@y.org", " spaced", "email: a@b"]


@pytest.mark.parametrize("text", RISKY)
def test_risky_text_is_recognised(text):
    assert xlsx_safe.is_risky(text)


@pytest.mark.parametrize("text", SAFE + [""])
def test_ordinary_text_is_left_alone(text):
    assert not xlsx_safe.is_risky(text)


def test_text_formats_agree_with_the_rule():
    wb = xlsxwriter.Workbook(io.BytesIO())
    style = xlsx_safe.text_style(wb, {"bold": True})
    values = RISKY + SAFE + [None, RISKY[0]]
    formats = xlsx_safe.text_formats(values, style)
    expected = [style.quoted] * len(RISKY) + [style.plain] * len(SAFE) + [style.plain, style.quoted]
    assert formats == expected
    lookup = xlsx_safe.text_format_map(values, style)
    assert [lookup[v] for v in values] == expected and len(lookup) == len(set(values))
    wb.close()


def _xlsxwriter_book(path, texts):
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("Text")
    style = xlsx_safe.text_style(wb, {"font_name": "Noto Sans Khmer"})
    for r, text in enumerate(texts):
        xlsx_safe.write_text(ws, r, 0, text, style)
        ws.write_number(r, 1, r)  # a number beside it, to see that numbers stay numbers
    wb.close()


def _openpyxl_book(path, texts):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Text"
    for r, text in enumerate(texts, start=1):
        xlsx_safe.set_text(ws.cell(r, 1), text)
        ws.cell(r, 2).value = r - 1
    wb.save(path)


def _ooxml(text):
    """Undo OOXML's _xHHHH_ escape (XlsxWriter writes a CR as _x000D_; Excel and
    LibreOffice read it back as a CR, openpyxl leaves inline strings escaped)."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m[1], 16)), text)


WRITERS = {"xlsxwriter": _xlsxwriter_book, "openpyxl": _openpyxl_book}
TEXTS = RISKY + SAFE


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_cells_read_back_as_the_same_text_never_a_formula(writer, tmp_path):
    path = tmp_path / f"{writer}.xlsx"
    WRITERS[writer](path, TEXTS)
    ws = openpyxl.load_workbook(path)["Text"]
    for r, text in enumerate(TEXTS, start=1):
        cell = ws.cell(r, 1)
        assert _ooxml(cell.value) == text, (r, text)
        assert cell.data_type == "s", text  # a string cell, no formula stored
        assert cell.quotePrefix is xlsx_safe.is_risky(text), text
        assert ws.cell(r, 2).value == r - 1
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Text").to_python()
    assert [row[0] for row in rows] == TEXTS
    assert [row[1] for row in rows] == list(range(len(TEXTS)))
    # no formula anywhere in the sheet's XML
    import zipfile

    with zipfile.ZipFile(path) as z:
        sheet = next(n for n in z.namelist() if n.startswith("xl/worksheets/sheet"))
        assert b"<f>" not in z.read(sheet) and b"<f " not in z.read(sheet)


def test_openpyxl_text_is_a_string_even_for_a_write_only_cell(tmp_path):
    from openpyxl.cell import WriteOnlyCell

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Text")
    cell = WriteOnlyCell(ws)
    xlsx_safe.set_text(cell, "=1+1")
    ws.append([cell])
    wb.save(tmp_path / "w.xlsx")
    back = openpyxl.load_workbook(tmp_path / "w.xlsx")["Text"]["A1"]
    assert (back.value, back.data_type, back.quotePrefix) == ("=1+1", "s", True)


@pytest.mark.skipif(soffice() is None, reason="LibreOffice (soffice) is not installed")
@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_libreoffice_keeps_the_text_as_text(writer, tmp_path):
    path = tmp_path / f"{writer}.xlsx"
    # LibreOffice turns a lone CR into a line break inside a cell; compare what survives.
    WRITERS[writer](path, TEXTS)
    again = convert(path, "xlsx", tmp_path / "xlsx")
    ws = openpyxl.load_workbook(again)["Text"]
    for r, text in enumerate(TEXTS, start=1):
        cell = ws.cell(r, 1)
        assert cell.data_type == "s", (text, cell.value)
        assert _ooxml(cell.value).replace("\r", "\n") == text.replace("\r", "\n"), text
    made = convert(path, "csv", tmp_path / "csv")
    rows = list(csv.reader(io.StringIO(made.read_text(encoding="utf-8"), newline="")))
    assert [row[0].replace("\r", "\n") for row in rows] == [t.replace("\r", "\n") for t in TEXTS]
    assert [row[1] for row in rows] == [str(i) for i in range(len(TEXTS))]
