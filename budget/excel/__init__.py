"""The donor workbook (export, xlsxwriter in constant-memory mode) and the two uploads
(planned amounts, spending; read with python-calamine).

Uploads are all-or-nothing: every row is checked first and every problem is reported by
sheet, row and column; only a clean file is written, and then all of it.
"""

from budget.excel.common import PLANNED_SHEET, SPENDING_SHEET
from budget.excel.export import export_workbook, spending_rows
from budget.excel.imports import Problem, Report, read_planned, read_spending, reason_text

__all__ = [
    "PLANNED_SHEET",
    "SPENDING_SHEET",
    "Problem",
    "Report",
    "export_workbook",
    "read_planned",
    "read_spending",
    "reason_text",
    "spending_rows",
]
