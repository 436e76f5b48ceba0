"""Exchange formats: what goes in and out of LEAP M&E in other systems' shapes.

Workbooks (the guard every upload uses: ``from leap_me.exchange import read_sheet,
WorkbookError, Limits``; see guards.py), the DHIS2 API and the IATI export live here, above
the domains: they read and write through the domains' services (never their tables
directly) and are registered by the factory like a domain's API.
"""

from leap_me.exchange.guards import (
    Limits,
    WorkbookError,
    check_workbook,
    col_letter,
    read_sheet,
)

__all__ = ["Limits", "WorkbookError", "check_workbook", "col_letter", "read_sheet"]
