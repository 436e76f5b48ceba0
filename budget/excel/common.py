"""Sheet names, limits and the text rule shared by the export and the uploads."""

from __future__ import annotations

from typing import Any

PLANNED_SHEET = "Planned"
SPENDING_SHEET = "Spending"
PLANNED_FIXED = 7  # line code, category, name en, name km, result, currency, source
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_ROWS = 5000
MAX_COLUMNS = 200


def safe_text(value: Any) -> str:
    """User text that Excel must never run as a formula. Cells are written as strings
    anyway; a leading = + - @ also gets an apostrophe, so that the text stays inert
    when someone edits the cell or saves the sheet as CSV."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def col_letter(index: int) -> str:
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out
