"""Files that come in from outside (workbooks) and go out: the guard every upload uses.

``from leap_me.exchange import read_sheet, WorkbookError, Limits``; see guards.py."""

from leap_me.exchange.guards import (
    Limits,
    WorkbookError,
    check_workbook,
    col_letter,
    read_sheet,
)

__all__ = ["Limits", "WorkbookError", "check_workbook", "col_letter", "read_sheet"]
