"""The workbook guard: hostile or broken files are refused before any cell is loaded."""
# ruff: noqa: E501 - OOXML fixtures are clearer on one line each

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
import zipfile

import pytest

from leap_me.exchange import Limits, WorkbookError, check_workbook, read_sheet

CT = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="{main}"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
RELS = (
    '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WB = (
    '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Planned" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WB_RELS = (
    '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def sheet(rows: str, dimension: str | None = None) -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f'<?xml version="1.0"?><worksheet {NS}>{dim}<sheetData>{rows}</sheetData></worksheet>'


def xlsx(sheet_xml: str, extra: dict | None = None, main: str = MAIN) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", CT.replace("{main}", main))
        zf.writestr("_rels/.rels", RELS)
        zf.writestr("xl/workbook.xml", WB)
        zf.writestr("xl/_rels/workbook.xml.rels", WB_RELS)
        zf.writestr("xl/worksheets/sheet1.xml", sheet_xml)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return buf.getvalue()


GOOD = sheet('<row r="1"><c r="A1" t="inlineStr"><is><t>code</t></is></c><c r="B1"><v>2026</v></c></row>'
             '<row r="2"><c r="A2" t="inlineStr"><is><t>T-1</t></is></c><c r="B2"><v>12.5</v></c></row>')  # fmt: skip
FAR = sheet(
    '<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>',
    "A1:XFD1048576",
)
WIDE = sheet('<row r="1"><c r="A1"><v>1</v></c></row><row r="5002"><c r="XFD5002"><v>1</v></c></row>',
             "A1:XFD5002")  # fmt: skip
FAR_UNDECLARED = sheet('<row r="1"><c r="A1"><v>1</v></c><c r="XFD1"><v>1</v></c></row>')


def _shared_bomb(n: int) -> bytes:
    """n empty shared strings, written in a stream (the file stays small)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in (("[Content_Types].xml", CT.replace("{main}", MAIN)),
                           ("_rels/.rels", RELS), ("xl/workbook.xml", WB),
                           ("xl/_rels/workbook.xml.rels", WB_RELS),
                           ("xl/worksheets/sheet1.xml", GOOD)):  # fmt: skip
            zf.writestr(name, text)
        with zf.open("xl/sharedStrings.xml", "w") as fh:
            fh.write(f'<?xml version="1.0"?><sst {NS}>'.encode())
            block = b"<si><t/></si>" * 100_000
            for _ in range(n // 100_000):
                fh.write(block)
            fh.write(b"</sst>")
    return buf.getvalue()


def _damaged() -> bytes:
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r * 7919 % 10007}</v></c></row>' for r in range(1, 3000))
    data = bytearray(xlsx(sheet(rows)))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for i in range(start + 200, start + 260):
        data[i] ^= 0x5A
    return bytes(data)


def _ods() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", "<office:document-content/>")
    return buf.getvalue()


def _bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", CT.replace("{main}", MAIN))
        zf.writestr("xl/workbook.xml", WB)
        with zf.open("xl/media/image1.bin", "w") as fh:
            for _ in range(60):
                fh.write(b"\0" * 1024 * 1024)
    return buf.getvalue()


def _big_declared_strings() -> bytes:
    sst = f'<?xml version="1.0"?><sst {NS} count="26000000" uniqueCount="26000000"><si><t>a</t></si></sst>'
    return xlsx(GOOD, {"xl/sharedStrings.xml": sst})


def _xlsm() -> bytes:
    return xlsx(GOOD, {"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0macro"},
                main="application/vnd.ms-excel.sheet.macroEnabled.main+xml")  # fmt: skip


HOSTILE = {
    "far cell A1 + XFD1048576": (lambda: xlsx(FAR), "XFD1048576"),
    "span A1:XFD5002": (lambda: xlsx(WIDE), "too large"),
    "undeclared far column": (lambda: xlsx(FAR_UNDECLARED), "too large"),
    "26 M shared strings declared": (_big_declared_strings, "different texts"),
    "26 M shared strings streamed": (lambda: _shared_bomb(26_000_000), "MB"),
    "zip bomb": (_bomb, "zip bomb"),
    "damaged deflate": (_damaged, "not a readable .xlsx workbook"),
    "xlsm": (_xlsm, "macros"),
    "xls": (lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, ".xls"),
    "ods": (_ods, ".ods"),
    "empty": (lambda: b"", "empty"),
    "empty zip": (lambda: b"PK\x05\x06" + b"\0" * 18, "not a readable"),
    "not a zip": (lambda: b"code,2026\nT-1,5\n", "not a readable"),
    "dtd": (lambda: xlsx('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><worksheet/>'),
            "not a readable"),  # fmt: skip
}


def test_a_good_workbook_is_read():
    rows = read_sheet(xlsx(GOOD), "Planned")
    assert rows == [["code", 2026.0], ["T-1", 12.5]]


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_workbooks_are_refused(case):
    make, words = HOSTILE[case]
    with pytest.raises(WorkbookError) as info:
        read_sheet(make(), "Planned")
    assert words in info.value.message


def test_streamed_shared_strings_count_against_the_cap():
    data = _shared_bomb(300_000)
    loose = Limits(max_ratio=100_000)  # the ratio check alone would refuse it first
    check_workbook(data, loose)  # within the default cap of 500,000
    with pytest.raises(WorkbookError, match="more than 200000 different texts"):
        check_workbook(data, Limits(max_ratio=100_000, max_shared_strings=200_000))


def test_formula_without_saved_value_names_the_cell():
    data = xlsx(sheet('<row r="17"><c r="D17"><f>1000*2</f><v></v></c></row>'))
    with pytest.raises(WorkbookError) as info:
        read_sheet(data, "Planned")
    assert info.value.cell == "D17" and "D17" in info.value.message
    ok = xlsx(sheet('<row r="17"><c r="D17"><f>1000*2</f><v>2000</v></c></row>'))
    assert read_sheet(ok, "Planned")[-1][-1] == 2000


def test_the_far_cell_is_refused_under_a_memory_limit_and_the_server_answers(tmp_path):
    """The 1.6 KB file that made the reader allocate 512 GB, in a process limited to
    300 MB of address space; a test client of the app answers afterwards."""
    path = tmp_path / "far.xlsx"
    path.write_bytes(xlsx(FAR))
    assert path.stat().st_size < 2000
    script = textwrap.dedent(
        f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (300 * 1024 * 1024, 300 * 1024 * 1024))
        from leap_me.exchange import WorkbookError, read_sheet
        data = open({str(path)!r}, "rb").read()
        try:
            read_sheet(data, "Planned")
        except WorkbookError as err:
            print("refused:", err.message)
        from leap_me import create_app
        app = create_app({{"TESTING": True, "SECRET_KEY": "x",
                          "SQLALCHEMY_DATABASE_URI": "sqlite:///{tmp_path}/t.sqlite"}})
        with app.test_client() as client:
            print("status:", client.get("/login").status_code)
        """
    )
    env = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "refused:" in done.stdout and "XFD1048576" in done.stdout
    assert "status: 200" in done.stdout
