"""The two uploads (planned amounts, spending), read with python-calamine: every problem
by sheet, row and column; the caller writes only a clean report."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy import orm as so

from budget import calc
from budget.excel.common import (
    MAX_COLUMNS,
    MAX_ROWS,
    PLANNED_FIXED,
    PLANNED_SHEET,
    SPENDING_SHEET,
    col_letter,
)
from budget.models import BudgetLine, PlannedAmount, Schedule
from leap_me.exchange import Limits, WorkbookError, read_sheet
from leap_me.numbers import NumberError, parse_int


@dataclass
class Problem:
    sheet: str
    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "row": self.row, "column": self.column,
                "message": self.message}  # fmt: skip


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _cell_amount(value: Any, currency: str) -> Decimal:
    """A workbook cell as an amount: numbers and text both go through the one money parser
    (a float via its repr, which is what xlsx stores)."""
    if value is None or value == "":
        return calc.ZERO
    return calc.parse_amount(value, currency)


_REASONS = {
    "not a number": lambda: _("Not a number."),
    "negative": lambda: _("Amounts cannot be negative."),
    "decimals": lambda: _("Too many decimals: USD takes cents, KHR whole riel."),
    "too large": lambda: _("The amount is too large."),
    "float": lambda: _("Not a number."),
}


def reason_text(exc: ValueError) -> str:
    """The user's words for a refused amount: the parser's own message when it has one."""
    if isinstance(exc, NumberError):
        return exc.message
    return _REASONS.get(str(exc), _REASONS["not a number"])()


LIMITS = Limits(max_rows=MAX_ROWS + 1, max_columns=MAX_COLUMNS)


def _sheet(report: Report, data: bytes, name: str) -> list[list[Any]] | None:
    """The sheet's rows, or None with the problem in the report. The workbook guard
    (leap_me.exchange) refuses a hostile or broken file before any cell is loaded."""
    try:
        return read_sheet(data, name, LIMITS)
    except WorkbookError as err:
        row, column = 0, ""
        if err.cell:
            column = err.cell.rstrip("0123456789")
            row = int(err.cell[len(column) :])
        report.problems.append(Problem(err.sheet or "", row, column, err.message))
        return None


def _year(value: Any, years: list[int]) -> int | None:
    """A year header or Year cell: a whole number of the plan (the one integer parser)."""
    try:
        year = parse_int(value, minimum=1, maximum=9999)
    except NumberError:
        return None
    return year if year in years else None


def _code(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip() if value is not None else ""


def read_planned(
    session: so.Session, schedule: Schedule, data: bytes, years: list[int], source_ids: dict
) -> Report:
    """Check the sheet Planned; the report's changes are (line, source_id, year, amount)
    for every cell of every row in the file (an empty cell means zero)."""
    report = Report()
    rows = _sheet(report, data, PLANNED_SHEET)
    if rows is None:
        return report
    if not rows:
        report.problems.append(Problem(PLANNED_SHEET, 1, "", _("The sheet is empty.")))
        return report
    head = rows[0]
    year_cols: dict[int, int] = {}
    for c in range(PLANNED_FIXED, len(head)):
        label = _code(head[c])
        if not label:
            continue
        year = _year(head[c], years)
        if year is None:
            report.problems.append(
                Problem(
                    PLANNED_SHEET,
                    1,
                    col_letter(c),
                    _("%(value)s is not a year of the plan.", value=label),
                )  # fmt: skip
            )
            continue
        if year in year_cols.values():
            first = next(col for col, y in year_cols.items() if y == year)
            report.problems.append(
                Problem(
                    PLANNED_SHEET,
                    1,
                    col_letter(c),
                    _(
                        "Cells %(first)s1 and %(second)s1 are both headed %(year)s: keep one "
                        "column per year.",
                        first=col_letter(first),
                        second=col_letter(c),
                        year=year,
                    ),
                )
            )
            continue
        year_cols[c] = year
    lines = {
        ln.code: ln
        for ln in session.scalars(
            sa.select(BudgetLine)
            .options(so.selectinload(BudgetLine.amounts).joinedload(PlannedAmount.source))
            .where(BudgetLine.schedule_id == schedule.id)
        )
    }
    seen: set[tuple[str, str]] = set()
    for r, row in enumerate(rows[1:], start=2):
        row = list(row) + [None] * (PLANNED_FIXED - len(row))
        code, source = _code(row[0]), _code(row[6])
        if not code and not source and not any(row[c] not in (None, "") for c in year_cols):
            continue
        line = lines.get(code)
        if line is None:
            report.problems.append(Problem(PLANNED_SHEET, r, "A", _(
                "No budget line has the code %(code)s.", code=code or "—")))  # fmt: skip
            continue
        if source not in source_ids:
            report.problems.append(Problem(PLANNED_SHEET, r, "G", _(
                "%(code)s is not a funding source.", code=source or "—")))  # fmt: skip
            continue
        currency = _code(row[5]) or line.currency
        if currency != line.currency:
            report.problems.append(Problem(PLANNED_SHEET, r, "F", _(
                "Line %(code)s is planned in %(currency)s.", code=code,
                currency=line.currency)))  # fmt: skip
            continue
        if (code, source) in seen:
            report.problems.append(Problem(PLANNED_SHEET, r, "A", _(
                "Line %(code)s and source %(source)s appear twice.", code=code,
                source=source)))  # fmt: skip
            continue
        seen.add((code, source))
        for c, year in year_cols.items():
            value = row[c] if c < len(row) else None
            try:
                amount = _cell_amount(value, line.currency)
            except ValueError as exc:
                report.problems.append(Problem(PLANNED_SHEET, r, col_letter(c), reason_text(exc)))
                continue
            report.changes.append(
                {"line": line, "source_id": source_ids[source], "year": year, "amount": amount}
            )
    return report


def read_spending(
    session: so.Session, schedule: Schedule, data: bytes, years: list[int], source_ids: dict
) -> Report:
    report = Report()
    rows = _sheet(report, data, SPENDING_SHEET)
    if rows is None:
        return report
    lines = {
        ln.code: ln
        for ln in session.scalars(
            sa.select(BudgetLine).where(BudgetLine.schedule_id == schedule.id)
        )
    }
    seen = set()
    for r, row in enumerate(rows[1:], start=2):
        row = list(row) + [None] * (7 - len(row))
        if all(v in (None, "") for v in row[:5]):
            continue
        code, source = _code(row[0]), _code(row[1])
        bad = False
        line = lines.get(code)
        if line is None:
            report.problems.append(Problem(SPENDING_SHEET, r, "A", _(
                "No budget line has the code %(code)s.", code=code or "—")))  # fmt: skip
            bad = True
        if source not in source_ids:
            report.problems.append(Problem(SPENDING_SHEET, r, "B", _(
                "%(code)s is not a funding source.", code=source or "—")))  # fmt: skip
            bad = True
        year_text = _code(row[2])
        year = _year(row[2], years)
        try:
            quarter = parse_int(row[3], minimum=1, maximum=4)
        except NumberError:
            quarter = None
        if year is None:
            report.problems.append(Problem(SPENDING_SHEET, r, "C", _(
                "%(value)s is not a year of the plan.", value=year_text or "—")))  # fmt: skip
            bad = True
        if quarter is None:
            report.problems.append(Problem(SPENDING_SHEET, r, "D", _(
                "The quarter must be 1, 2, 3 or 4.")))  # fmt: skip
            bad = True
        if line is not None:
            currency = _code(row[5]) or line.currency
            if currency != line.currency:
                report.problems.append(Problem(SPENDING_SHEET, r, "F", _(
                    "Line %(code)s is planned in %(currency)s.", code=code,
                    currency=line.currency)))  # fmt: skip
                bad = True
            try:
                amount = _cell_amount(row[4], line.currency)
            except ValueError as exc:
                report.problems.append(Problem(SPENDING_SHEET, r, "E", reason_text(exc)))
                bad = True
        if bad:
            continue
        key = (code, source, year, quarter)
        if key in seen:
            report.problems.append(Problem(SPENDING_SHEET, r, "A", _(
                "This line, source and quarter appear twice.")))  # fmt: skip
            continue
        seen.add(key)
        report.changes.append(
            {
                "line": line,
                "source_id": source_ids[source],
                "year": key[2],
                "quarter": key[3],
                "amount": amount,
                "note": _code(row[6])[:500],
            }
        )
    return report
