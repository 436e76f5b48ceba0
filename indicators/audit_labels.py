"""How history pages name the fields of indicators, their targets and reported values."""

from __future__ import annotations

import sqlalchemy as sa
from flask import g, has_request_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from indicators.models import (
    TITLES,
    DataValue,
    DisaggCategory,
    DisaggOption,
    Indicator,
    IndicatorVersion,
    ReportingPeriod,
    Target,
)
from leap_me.extensions import db
from leap_me.history import register
from leap_me.i18n import localized


def _titled(value: str) -> str:
    return str(TITLES.get(value, value))


def _province_names() -> dict[str, str]:
    """Province code → name in the page's language, read once per request."""
    from leap_me.i18n import current_lang
    from stakeholders.models import Province

    store = g.setdefault("_province_names", {}) if has_request_context() else {}
    cache = store.setdefault(current_lang(), {})
    if not cache:
        for p in db.session.scalars(sa.select(Province)):
            cache[p.code] = localized(p)
    return cache


def target_item(entry) -> str:
    """``2026Q2 · Banteay Meanchey``: the target's period and its province (or National)."""
    parts = (entry.object_label or "").split(" ")
    if len(parts) < 2:
        return entry.object_label or ""
    period, prov = parts[-2], parts[-1]
    place = _("National") if prov == "KH" else _province_names().get(prov, prov)
    return f"{period} · {place}"


register(
    Indicator,
    _l("indicator"),
    {
        "code": _l("Code"),
        "result_key": _l("Result measured"),
        "status": _l("Status"),
        "retired_dt": _l("Retired on"),
        "replaces_id": _l("Replaces"),
        "reporters": _l("Organisations that report it"),
    },
    values={"status": _titled},
)
register(
    IndicatorVersion,
    _l("definition version"),
    {
        "indicator_id": _l("Indicator"),
        "number": _l("Version number"),
        "is_current": _l("Current version"),
        "change_note": _l("What changed in the meaning"),
        "name_en": _l("Name in English"),
        "name_km": _l("Name in Khmer"),
        "definition_en": _l("Definition in English"),
        "definition_km": _l("Definition in Khmer"),
        "unit_en": _l("Unit in English"),
        "unit_km": _l("Unit in Khmer"),
        "measure": _l("Measure"),
        "direction": _l("Direction of good change"),
        "tolerance": _l("Tolerance"),
        "agg_space": _l("Adding up across organisations and provinces"),
        "agg_time": _l("Adding up over time"),
        "frequency": _l("Reporting frequency"),
        "by_province": _l("Reported by province"),
        "threshold_green": _l("Green from (per cent of the target)"),
        "threshold_amber": _l("Amber from (per cent of the target)"),
        "threshold_exceeded": _l("Exceeded above (per cent of the target)"),
        "data_source_en": _l("Data source in English"),
        "data_source_km": _l("Data source in Khmer"),
        "verification_en": _l("Means of verification in English"),
        "verification_km": _l("Means of verification in Khmer"),
        "baseline_value": _l("Baseline value"),
        "baseline_numerator": _l("Baseline numerator"),
        "baseline_denominator": _l("Baseline denominator"),
        "baseline_date": _l("Baseline date"),
        "baseline_source": _l("Baseline source"),
        "baseline_is_demo": _l("The baseline is a demo value"),
        "categories": _l("Disaggregations"),
    },
    values={k: _titled for k in ("measure", "direction", "agg_space", "agg_time", "frequency")},
)
register(
    DisaggCategory,
    _l("disaggregation"),
    {"code": _l("Code"), "name_en": _l("Name in English"), "name_km": _l("Name in Khmer")},
)
register(
    DisaggOption,
    _l("disaggregation option"),
    {
        "category_id": _l("Disaggregation"),
        "code": _l("Code"),
        "name_en": _l("Name in English"),
        "name_km": _l("Name in Khmer"),
        "position": _l("Position in the list"),
    },
)
register(
    ReportingPeriod,
    _l("reporting period"),
    {
        "code": _l("Code"),
        "frequency": _l("Reporting frequency"),
        "year": _l("Year"),
        "start_date": _l("Start date"),
        "end_date": _l("End date"),
        "deadline": _l("Deadline"),
        "status": _l("Status"),
    },
    values={"status": _titled, "frequency": _titled},
)
register(
    Target,
    _l("target"),
    {
        "indicator_id": _l("Indicator"),
        "period_code": _l("Period"),
        "year": _l("Year"),
        "province_id": _l("Province"),
        "value": _l("Target"),
    },
    item=target_item,
)
register(
    DataValue,
    _l("reported value"),
    {
        "indicator_id": _l("Indicator"),
        "version_id": _l("Definition version"),
        "period_id": _l("Reporting period"),
        "organisation_id": _l("Organisation"),
        "province_id": _l("Province"),
        "disagg_key": _l("Disaggregation"),
        "value": _l("Value"),
        "numerator": _l("Numerator"),
        "denominator": _l("Denominator"),
        "text_value": _l("Text answer"),
        "status": _l("Status"),
        "comment": _l("Comment"),
        "submission_id": _l("Submission"),
        "explanation": _l("Explanation"),
        "raw_value": _l("Value as typed"),
        "raw_numerator": _l("Numerator as typed"),
        "raw_denominator": _l("Denominator as typed"),
        "error": _l("Error"),
        "reopened": _l("Re-opened by the reviewer"),
        "approved_value": _l("Value when approved"),
    },
    values={"status": _titled},
)

from indicators.models import CrossCheckRule, Evidence, Finding, Submission  # noqa: E402

register(
    Submission,
    _l("submission"),
    {
        "organisation_id": _l("Organisation"),
        "period_id": _l("Reporting period"),
        "status": _l("Status"),
        "version": _l("Version"),
        "submitted_at": _l("Submitted on"),
        "submitted_by_id": _l("Submitted by"),
        "decided_at": _l("Decided on"),
        "decided_by_id": _l("Decided by"),
        "return_reason": _l("Reason for the return"),
        "is_demo": _l("Demo data"),
    },
)
register(
    Evidence,
    _l("evidence file"),
    {
        "submission_id": _l("Submission"),
        "original_name": _l("File name"),
        "stored_name": _l("Stored as"),
        "content_type": _l("File type"),
        "size": _l("Size"),
        "sha256": _l("Checksum"),
        "uploaded_by_id": _l("Uploaded by"),
        "created_at": _l("Uploaded on"),
    },
)
register(
    CrossCheckRule,
    _l("cross-check rule"),
    {
        "code": _l("Code"),
        "name_en": _l("Name in English"),
        "name_km": _l("Name in Khmer"),
        "left_terms": _l("Left side"),
        "op": _l("Comparison"),
        "right_terms": _l("Right side"),
        "tolerance_pct": _l("Tolerance (%)"),
        "active": _l("Active"),
        "created_by_id": _l("Created by"),
        "created_at": _l("Created on"),
    },
)
register(
    Finding,
    _l("data-quality finding"),
    {
        "key": _l("Key"),
        "kind": _l("Kind"),
        "state": _l("State"),
        "indicator_id": _l("Indicator"),
        "period_id": _l("Reporting period"),
        "organisation_id": _l("Organisation"),
        "province_id": _l("Province"),
        "disagg_key": _l("Disaggregation"),
        "value_id": _l("Value"),
        "rule_id": _l("Cross-check rule"),
        "submission_id": _l("Submission"),
        "detail": _l("Detail"),
        "explanation": _l("Explanation"),
        "decided_by_id": _l("Decided by"),
        "decided_reason": _l("Reason"),
        "active": _l("Active"),
        "created_at": _l("Created on"),
        "updated_at": _l("Updated on"),
    },
)
