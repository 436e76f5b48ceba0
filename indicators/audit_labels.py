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
    },
    values={"status": _titled},
)
