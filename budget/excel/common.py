"""Sheet names and limits shared by the export and the uploads (user text is written
through ``leap_me.exchange.xlsx_safe``)."""

from __future__ import annotations

PLANNED_SHEET = "Planned"
SPENDING_SHEET = "Spending"
PLANNED_FIXED = 7  # line code, category, name en, name km, result, currency, source
MAX_ROWS = 5000
MAX_COLUMNS = 200


def col_letter(index: int) -> str:
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out
