"""User text in a workbook that no spreadsheet will ever run as a formula.

Every cell of user text that LEAP M&E writes into an ``.xlsx`` goes through this module:
the donor workbook, the budget export and the submission templates.

**The rule** (:func:`is_risky`): text whose first character, after any leading
whitespace or invisible characters, is ``=`` ``+`` ``-`` ``@`` (or their full-width
forms ``＝`` ``＋`` ``－`` ``＠``, or the minus sign ``−``), and text that begins with a tab,
a carriage return or a line feed. Excel and LibreOffice read such text as the start of
a formula when somebody edits the cell, re-types it or imports the sheet saved as CSV;
LibreOffice also accepts the full-width forms.

**The approach**: such text is written

1. always as a *string* cell (``t="s"``), never through a call that guesses a type, so
   the stored value is text and no formula is ever stored; and
2. with the cell style's ``quotePrefix`` attribute (Excel's "leading apostrophe": the
   apostrophe is not part of the value). Excel and LibreOffice show the text exactly as
   typed, keep it as text when the cell is edited and confirmed, and LibreOffice's
   CSV export gives the text, never a computed result.

We chose the style attribute over changing the text (a visible apostrophe, U+2019 or a
zero-width character in front): the reader sees and copies exactly what the partner
typed, python-calamine and openpyxl read back the same string, and a workbook that is
imported again compares equal. The cost is one extra cell format per style, made once
per workbook (:class:`TextStyle`).

Two writers share the rule: :func:`write_text` for XlsxWriter (streaming exports) and
:func:`set_text` for openpyxl cells (templates that are filled and read back).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

#: Characters that start a formula (or a DDE payload) in Excel or LibreOffice.
FORMULA_START = frozenset("=+-@\uff1d\uff0b\uff0d\uff20\u2212")
#: Control characters that are dangerous in first position by themselves.
CONTROL_START = frozenset("\t\r\n")
#: Invisible characters that ``str.isspace`` does not count but a spreadsheet skips.
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"


def is_risky(text: str) -> bool:
    """True when ``text`` could be taken for a formula (see the module's rule)."""
    if not text:
        return False
    if text[0] in CONTROL_START or text[0] in FORMULA_START:
        return True
    if text[0].isspace() or text[0] in INVISIBLE:
        rest = text.lstrip().lstrip(INVISIBLE).lstrip()
        return bool(rest) and rest[0] in FORMULA_START
    return False


def as_text(value: Any) -> str:
    """The text of a cell value (None is empty)."""
    return "" if value is None else str(value)


class TextStyle(NamedTuple):
    """A cell format for user text and its quote-prefixed twin (XlsxWriter)."""

    plain: Any
    quoted: Any


def text_style(workbook: Any, properties: dict[str, Any] | None = None) -> TextStyle:
    """Make the pair of formats for user text with these XlsxWriter properties."""
    props = dict(properties or {})
    plain = workbook.add_format(props) if props else None
    quoted = workbook.add_format({**props, "quote_prefix": True})
    return TextStyle(plain, quoted)


def write_text(worksheet: Any, row: int, col: int, value: Any, style: TextStyle) -> None:
    """Write user text into an XlsxWriter worksheet: a string cell, quote-prefixed when
    :func:`is_risky`. Empty text leaves the cell blank (with the style)."""
    text = as_text(value)
    if not text:
        worksheet.write_blank(row, col, None, style.plain)
        return
    worksheet.write_string(row, col, text, style.quoted if is_risky(text) else style.plain)


def text_formats(values: list[Any], style: TextStyle) -> list[Any]:
    """The format of each cell of a column of text (``None`` for empty cells), for
    writers that stream many rows: :func:`is_risky` is asked once per distinct text."""
    lookup = text_format_map(values, style)
    return [lookup[v] for v in values]


def text_format_map(values: Iterable[Any], style: TextStyle) -> dict[Any, Any]:
    """``{text: format}`` for every distinct text of a column (the rule asked once each)."""
    plain, quoted = style.plain, style.quoted
    return {v: quoted if v and is_risky(str(v)) else plain for v in set(values)}


def set_text(cell: Any, value: Any) -> None:
    """Put user text into an openpyxl cell (normal or write-only): always a string cell
    (openpyxl would otherwise store ``=…`` as a formula), quote-prefixed when risky."""
    text = as_text(value)
    cell.value = text if text else None
    if text:
        cell.data_type = "s"
        if is_risky(text):
            cell.quotePrefix = True
