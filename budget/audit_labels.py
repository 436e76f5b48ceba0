"""How history pages name the fields of the cost-sharing budget."""

from flask_babel import lazy_gettext as _l

from budget.models import (
    BudgetLine,
    Category,
    ExchangeRate,
    FundingSource,
    PathMode,
    PathPoint,
    PlannedAmount,
    Schedule,
    ScheduleStatus,
    Spending,
)
from leap_me.history import register

register(
    Schedule,
    _l("schedule"),
    {
        "name": _l("Name"),
        "status": _l("Status"),
        "current_share": _l("MoI share today (%)"),
        "full_ownership_year": _l("Year of full ownership"),
        "path_mode": _l("Path"),
        "is_demo": _l("Demonstration data"),
        "note": _l("Note"),
        "based_on_id": _l("Copied from"),
        "based_on_fingerprint": _l("Approved schedule when copied"),
        "approved_dt": _l("Approved on"),
    },
    values={"status": ScheduleStatus, "path_mode": PathMode},
)
register(
    FundingSource,
    _l("funding source"),
    {"organisation_id": _l("Organisation"), "position": _l("Position in the list")},
)
register(
    PathPoint,
    _l("point of the path"),
    {"schedule_id": _l("Schedule"), "year": _l("Year"), "share": _l("MoI share (%)")},
)
register(
    ExchangeRate,
    _l("exchange rate"),
    {"year": _l("Year"), "khr_per_usd": _l("Riels per US dollar")},
)
register(
    BudgetLine,
    _l("budget line"),
    {
        "schedule_id": _l("Schedule"),
        "code": _l("Code"),
        "category": _l("Category"),
        "name_en": _l("Name in English"),
        "name_km": _l("Name in Khmer"),
        "result_key": _l("Output or activity"),
        "currency": _l("Currency"),
    },
    values={"category": Category},
)
register(
    PlannedAmount,
    _l("planned amount"),
    {
        "line_id": _l("Budget line"),
        "source_id": _l("Funding source"),
        "year": _l("Year"),
        "amount": _l("Amount"),
    },
)
register(
    Spending,
    _l("spending"),
    {
        "line_code": _l("Budget line"),
        "source_id": _l("Funding source"),
        "year": _l("Year"),
        "quarter": _l("Quarter"),
        "amount": _l("Amount spent"),
        "currency": _l("Currency"),
        "note": _l("Note"),
    },
)
