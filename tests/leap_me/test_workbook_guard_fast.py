"""The fast sheet scan of the workbook guard (bytes regular expressions over slices of
whole rows) gives exactly the answer of the exact expat scan: the same refusal, naming
the same cell, or the same formula cells; anything it cannot vouch for goes to expat."""
# ruff: noqa: E501 - OOXML fixtures are clearer on one line each

from __future__ import annotations

import io
import zipfile

import pytest

from leap_me.exchange import Limits, WorkbookError, check_workbook, guards
from tests.leap_me.test_workbook_guard import GOOD, NS, sheet, xlsx

SMALL = Limits(max_rows=50, max_columns=8, max_cells=60)

SHEETS = {
    "good": GOOD,
    "many rows": sheet(
        "".join(
            f'<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="B{r}" t="s"><v>0</v></c></row>'
            for r in range(1, 26)
        )
    ),
    "far row": sheet(
        '<row r="1"><c r="A1"><v>1</v></c></row><row r="51"><c r="A51"><v>1</v></c></row>'
    ),
    "far row without cells": sheet('<row r="1"><c r="A1"><v>1</v></c></row><row r="9999"/>'),
    "far column": sheet('<row r="1"><c r="A1"><v>1</v></c><c r="I1"><v>1</v></c></row>'),
    "far column, 3 letters": sheet('<row r="1"><c r="AAA1"><v>1</v></c></row>'),
    "cell row beyond its row": sheet(
        '<row r="1"><c r="A1"><v>1</v></c><c r="B77"><v>1</v></c></row>'
    ),
    "8-digit reference": sheet('<row r="1"><c r="A12345678"><v>1</v></c></row>'),
    "dimension too big": sheet('<row r="1"><c r="A1"><v>1</v></c></row>', "A1:Z99"),
    "dimension fine": sheet('<row r="1"><c r="A1"><v>1</v></c></row>', "A1:H50"),
    "too many cells": sheet(
        "".join(
            f'<row r="{r}">' + "".join(f'<c r="{c}{r}"><v>1</v></c>' for c in "ABCDEFG") + "</row>"
            for r in range(1, 10)
        )
    ),
    "cells without references": sheet(
        '<row r="3"><c><v>1</v></c><c><v>2</v></c></row><row><c><v>3</v></c></row>'
    ),
    "cells without references, too wide": sheet('<row r="3">' + "<c><v>1</v></c>" * 9 + "</row>"),
    "rows without references, too many": sheet("<row><c><v>1</v></c></row>" * 51),
    "prefixed cells": f'<?xml version="1.0"?><x:worksheet xmlns:x="{NS[7:-1]}"><x:sheetData><x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c><x:c r="J1"><x:v>1</x:v></x:c></x:row></x:sheetData></x:worksheet>',
    "prefixed formula": f'<?xml version="1.0"?><x:worksheet xmlns:x="{NS[7:-1]}"><x:sheetData><x:row r="4"><x:c r="B4"><x:f>1+1</x:f></x:c></x:row></x:sheetData></x:worksheet>',
    "single-quoted reference": sheet(
        "<row r='1'><c r='H1'><v>1</v></c><c r='I1'><v>1</v></c></row>"
    ),
    "reference after another attribute": sheet('<row r="1"><c s="1" r="I1"><v>1</v></c></row>'),
    "lower-case reference": sheet('<row r="1"><c r="b2"><v>1</v></c></row>'),
    "bad reference": sheet('<row r="1"><c r="1A"><v>1</v></c></row>'),
    "bad row number": sheet('<row r="x1"><c r="A1"><v>1</v></c></row>'),
    "tag across lines": sheet('<row r="1"><c\nr="I1"><v>1</v></c></row>'),
    "formula without value": sheet('<row r="17"><c r="D17"><f>1000*2</f><v></v></c></row>'),
    "formula with value": sheet(
        '<row r="17"><c r="D17"><f>1000*2</f><v>2000</v></c><c r="E17"><v>3</v></c></row>'
    ),
    "formula with blank value": sheet('<row r="17"><c r="D17"><f>1000*2</f><v>  </v></c></row>'),
    "shared formula": sheet(
        '<row r="2"><c r="C2"><f t="shared" ref="C2:C3" si="0">A2*2</f><v>4</v></c></row><row r="3"><c r="C3"><f t="shared" si="0"/><v>6</v></c></row>'
    ),
    "shared formula without value": sheet(
        '<row r="2"><c r="C2"><f t="shared" ref="C2:C3" si="0">A2*2</f><v>4</v></c></row><row r="3"><c r="C3"><f t="shared" si="0"/></c></row>'
    ),
    "formula with inline text": sheet(
        '<row r="5"><c r="E5" t="inlineStr"><f>"a"</f><is><t>a</t></is></c></row>'
    ),
    "formula with empty inline text": sheet(
        '<row r="5"><c r="E5" t="inlineStr"><f>""</f><is><t></t></is></c></row>'
    ),
    "formulas in many rows": sheet(
        "".join(
            f'<row r="{r}"><c r="A{r}"><v>1</v></c><c r="B{r}"><f>A{r}</f><v>1</v></c></row>'
            for r in range(1, 30)
        )
    ),
    "a formula late, without value": sheet(
        "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 40))
        + '<row r="40"><c r="C40"><f>A1</f></c></row>'
    ),
    "empty cells": sheet(
        '<row r="1"><c r="A1"/><c r="B1" s="2"/><c r="C1"><f>1</f><v>1</v></c></row>'
    ),
    "dtd": '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><worksheet/>',
    "no rows": sheet(""),
    "text with markup-like words": sheet(
        '<row r="1"><c r="A1" t="inlineStr"><is><t>row&gt; c r= f</t></is></c></row>'
    ),
}


def _outcome(data: bytes, limits: Limits):
    formulas: dict[str, set[str]] = {}
    try:
        check_workbook(data, limits, formulas)
    except WorkbookError as err:
        return ("refused", err.message, err.cell, err.sheet)
    return ("accepted", {k: sorted(v) for k, v in formulas.items()})


def _expat_only(monkeypatch):
    def slow(zf, info, sheet_name, limits, budget, formulas=None):
        guards._scan_sheet_expat(zf, info, sheet_name, limits, budget, formulas)

    monkeypatch.setattr(guards, "_scan_sheet", slow)


@pytest.mark.parametrize("chunk", [7, 61, 1 << 20])
@pytest.mark.parametrize("case", sorted(SHEETS))
def test_the_fast_scan_answers_as_the_exact_scan(monkeypatch, case, chunk):
    data = xlsx(SHEETS[case])
    limits = SMALL if "formula" not in case or "many" in case else Limits()
    with monkeypatch.context() as m:
        _expat_only(m)
        exact = _outcome(data, limits)
    monkeypatch.setattr(guards, "SCAN_CHUNK", chunk)
    assert _outcome(data, limits) == exact


def test_a_plain_sheet_never_goes_to_expat(monkeypatch):
    """The template's own sheets (plain references, formulas with values) are vouched for
    by the fast scan alone; the others are sent to expat."""
    calls = []
    real = guards._scan_sheet_expat
    monkeypatch.setattr(
        guards, "_scan_sheet_expat", lambda *a, **k: calls.append(a[2]) or real(*a, **k)
    )
    for case in ("good", "many rows", "formula with value", "shared formula", "empty cells"):
        check_workbook(xlsx(SHEETS[case]), SMALL if case == "many rows" else Limits())
    assert calls == []
    for case in ("far row", "cells without references", "prefixed cells", "dtd"):
        assert _outcome(xlsx(SHEETS[case]), SMALL)  # refused or not, expat decided
    assert len(calls) == 4


def test_a_row_longer_than_the_slice_cap_goes_to_expat(monkeypatch):
    data = xlsx(SHEETS["many rows"].replace("</row>", "", 3))  # not well-formed for expat
    monkeypatch.setattr(guards, "SLICE_CAP", 64)
    monkeypatch.setattr(guards, "SCAN_CHUNK", 32)
    with pytest.raises(WorkbookError, match="not a readable"):
        check_workbook(data, SMALL)
    good = xlsx(
        sheet('<row r="1">' + '<c r="A1" t="inlineStr"><is><t>' + "x" * 500 + "</t></is></c></row>")
    )
    check_workbook(good, SMALL)


def test_the_budget_counts_a_sheet_once_when_it_goes_to_expat():
    rows = "".join(f'<row r="{r}"><c><v>{r}</v></c></row>' for r in range(1, 40))
    data = xlsx(sheet(rows))
    size = zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/worksheets/sheet1.xml").file_size
    check_workbook(data, Limits(max_uncompressed=size + 3000))  # every part fits once


@pytest.mark.parametrize("chunk", [5, 1 << 20])
def test_shared_strings_are_counted_as_before(monkeypatch, chunk):
    monkeypatch.setattr(guards, "SCAN_CHUNK", chunk)

    def sst(head: str, items: int) -> bytes:
        body = f'<?xml version="1.0"?><sst {NS} {head}>' + "<si><t>a</t></si>" * items + "</sst>"
        return xlsx(GOOD, {"xl/sharedStrings.xml": body})

    limits = Limits(max_shared_strings=10)
    check_workbook(sst('count="10" uniqueCount="10"', 10), limits)
    with pytest.raises(WorkbookError, match="more than 10 different texts"):
        check_workbook(sst('count="11" uniqueCount="3"', 3), limits)
    with pytest.raises(WorkbookError, match="more than 10 different texts"):
        check_workbook(sst('count="1234567890" uniqueCount="1"', 1), limits)
    with pytest.raises(WorkbookError, match="more than 10 different texts"):
        check_workbook(sst("", 11), limits)
    with pytest.raises(WorkbookError, match="not a readable"):
        check_workbook(sst('count="ten"', 1), limits)
    prefixed = (f'<?xml version="1.0"?><x:sst xmlns:x="{NS[7:-1]}" count="2">'
                + "<x:si><x:t>a</x:t></x:si>" * 11 + "</x:sst>")  # fmt: skip
    with pytest.raises(WorkbookError, match="more than 10 different texts"):
        check_workbook(xlsx(GOOD, {"xl/sharedStrings.xml": prefixed}), limits)
    dtd = '<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY a "b">]><sst/>'
    with pytest.raises(WorkbookError, match="not a readable"):
        check_workbook(xlsx(GOOD, {"xl/sharedStrings.xml": dtd}), limits)


def test_at_most_patterns():
    import re

    def at_most(text, alphabet):
        return re.compile(b"(?:" + guards._at_most(text, alphabet) + b")$")

    cols = at_most("BL", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    names = [guards.col_letter(i) for i in range(0, 800)]
    assert [n for n in names if cols.match(n.encode())] == names[:64]
    assert at_most("H", "ABCDEFGHIJKLMNOPQRSTUVWXYZ").match(b"H")
    assert not at_most("H", "ABCDEFGHIJKLMNOPQRSTUVWXYZ").match(b"I")
    rows = at_most("5001", "0123456789")
    assert [n for n in range(0, 20000) if rows.match(str(n).encode())] == list(range(0, 5002))
    assert [n for n in (1, 9, 10, 11) if at_most("10", "0123456789").match(str(n).encode())] == [
        1,
        9,
        10,
    ]
