"""How history pages name the fields of the plan, its versions, milestones and results."""

from flask_babel import lazy_gettext as _l

from leap_me.history import register
from logframe.models import (
    ActivityStatus,
    Level,
    Milestone,
    Plan,
    PlanVersion,
    Result,
    VersionStatus,
)

register(
    Plan,
    _l("strategic plan"),
    {
        "code": _l("Code"),
        "title_en": _l("Title in English"),
        "title_km": _l("Title in Khmer"),
        "start_year": _l("First year"),
        "end_year": _l("Last year"),
    },
)
register(
    PlanVersion,
    _l("plan version"),
    {
        "plan_id": _l("Strategic plan"),
        "number": _l("Version number"),
        "status": _l("Status"),
        "note": _l("Note on this version"),
        "vision_en": _l("Vision in English"),
        "vision_km": _l("Vision in Khmer"),
        "based_on_id": _l("Copied from version"),
        "approved_dt": _l("Approved on"),
        "approved_by_id": _l("Approved by"),
    },
    values={"status": VersionStatus},
)
register(
    Milestone,
    _l("milestone"),
    {
        "version_id": _l("Plan version"),
        "year": _l("Year"),
        "text_en": _l("Milestone in English"),
        "text_km": _l("Milestone in Khmer"),
    },
)
register(
    Result,
    _l("result"),
    {
        "version_id": _l("Plan version"),
        "key": _l("Stable key"),
        "parent_id": _l("Under"),
        "level": _l("Level"),
        "position": _l("Position in the list"),
        "code": _l("Code"),
        "statement_en": _l("Statement in English"),
        "statement_km": _l("Statement in Khmer"),
        "assumptions_en": _l("Assumptions in English"),
        "assumptions_km": _l("Assumptions in Khmer"),
        "risks_en": _l("Risks in English"),
        "risks_km": _l("Risks in Khmer"),
        "verification_en": _l("Means of verification in English"),
        "verification_km": _l("Means of verification in Khmer"),
        "responsible_org_id": _l("Responsible organisation"),
        "start_date": _l("Start date"),
        "end_date": _l("End date"),
        "status": _l("Status"),
        "progress": _l("Progress (%)"),
        "cost": _l("Estimated cost"),
        "cost_currency": _l("Currency of the cost"),
        "delay_note_en": _l("Why delayed, in English"),
        "delay_note_km": _l("Why delayed, in Khmer"),
        "partners": _l("Partner organisations"),
        "provinces": _l("Provinces"),
    },
    values={"status": ActivityStatus, "level": Level},
)
