"""The indicators domain's rules and writes (no request, no commit).

Split by subject: ``definitions`` (indicators and their versions), ``targets``,
``values`` (the data value store), ``periods`` and ``seed``. Importing this package
registers the logframe hooks: results measured by indicators cannot be deleted, and
the logframe matrix shows each result's indicators.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm as so

from indicators.models import Indicator, IndicatorStatus, IndicatorVersion, Measure, Target
from indicators.services import calendar
from indicators.services.common import ValidationError, parse_decimal, plain
from indicators.services.definitions import (
    create_indicator,
    delete_guard,
    delete_indicator,
    get_indicator,
    has_values,
    reactivate_indicator,
    registry_query,
    replace_indicator,
    retire_indicator,
    structural_changes,
    update_indicator,
    value_counts,
)
from indicators.services.disaggregations import (
    add_category,
    add_option,
    categories,
    category_usage,
)
from indicators.services.periods import (
    change_status,
    frequencies_in_use,
    generate_periods,
    get_period,
    period_as_dict,
    set_deadline,
)
from indicators.services.targets import (
    national_targets,
    national_yearly_targets,
    old_targets,
    plan_span,
    remove_old_targets,
    resplit_old_targets,
    set_target,
    set_year_target,
    short_targets,
    split_year,
    targets_by_period,
    year_total,
    yearly_targets,
)
from indicators.services.values import check_disagg, clean_value, disagg_key, record_value
from logframe import services as logframe

__all__ = [
    "ValidationError",
    "add_category",
    "add_option",
    "baseline_text",
    "calendar",
    "categories",
    "category_usage",
    "change_status",
    "check_disagg",
    "clean_value",
    "create_indicator",
    "delete_guard",
    "delete_indicator",
    "disagg_key",
    "frequencies_in_use",
    "generate_periods",
    "get_indicator",
    "get_period",
    "has_values",
    "indicator_as_dict",
    "targets_for_api",
    "matrix_provider",
    "national_targets",
    "old_targets",
    "remove_old_targets",
    "resplit_old_targets",
    "national_yearly_targets",
    "parse_decimal",
    "period_as_dict",
    "plain",
    "plan_span",
    "reactivate_indicator",
    "record_value",
    "registry_query",
    "replace_indicator",
    "retire_indicator",
    "seed_steps",
    "set_deadline",
    "set_target",
    "set_year_target",
    "short_targets",
    "split_year",
    "structural_changes",
    "targets_by_period",
    "update_indicator",
    "value_counts",
    "year_total",
    "yearly_targets",
]


def baseline_text(version: IndicatorVersion, lang: str = "en") -> str:
    """'104 cases (2024)', '12.5% (25/200, 2025)'; empty without a baseline."""
    if version.baseline_value is None:
        return ""
    unit = version.unit_km if lang == "km" and version.unit_km else version.unit_en
    if version.measure == Measure.PERCENTAGE:
        text = f"{plain(version.baseline_value)}%"
    elif version.measure == Measure.YESNO:
        text = plain(version.baseline_value)
    else:
        text = f"{plain(version.baseline_value)} {unit}".strip()
    extra = []
    if version.baseline_numerator is not None and version.baseline_denominator is not None:
        extra.append(f"{plain(version.baseline_numerator)}/{plain(version.baseline_denominator)}")
    if version.baseline_date:
        extra.append(str(version.baseline_date.year))
    return f"{text} ({', '.join(extra)})" if extra else text


def matrix_provider(session: so.Session, result_keys: list[str]) -> dict[str, list[dict]]:
    """The logframe matrix's indicator column: active indicators of each result."""
    if not result_keys:
        return {}
    indicators = list(
        session.scalars(
            registry_query()
            .where(
                Indicator.result_key.in_(result_keys),
                Indicator.status == IndicatorStatus.ACTIVE,
            )
            .order_by(Indicator.code)
        )
    )
    yearly = national_yearly_targets(session, indicators)
    out: dict[str, list[dict]] = {}
    for ind in indicators:
        version = ind.current_version
        out.setdefault(ind.result_key, []).append(
            {
                "code": ind.code,
                "name_en": version.name_en,
                "name_km": version.name_km,
                "baseline": baseline_text(version),
                "baseline_km": baseline_text(version, "km"),
                "baseline_is_demo": version.baseline_is_demo,
                "targets": short_targets(version, yearly.get(ind.id, {})),
                "verification_en": version.verification_en,
                "verification_km": version.verification_km,
            }
        )
    return out


def _num(value) -> str | None:
    return plain(value) if value is not None else None


def indicator_as_dict(
    ind: Indicator, targets: list[tuple[str, str | None, Any]], result_code: str | None = None
) -> dict[str, Any]:
    v = ind.current_version or ind.current
    return {
        "code": ind.code,
        "result": ind.result_key,
        "resultCode": result_code,
        "status": ind.status,
        "replaces": ind.replaces.code if ind.replaces else None,
        "replacedBy": [r.code for r in ind.replaced_by],
        "version": v.number,
        "name": {"en": v.name_en, "km": v.name_km},
        "definition": {"en": v.definition_en, "km": v.definition_km},
        "unit": {"en": v.unit_en, "km": v.unit_km},
        "measure": v.measure,
        "direction": v.direction,
        "tolerance": _num(v.tolerance),
        "aggregation": {"space": v.agg_space, "time": v.agg_time},
        "frequency": v.frequency,
        "byProvince": v.by_province,
        "thresholds": {
            "green": v.threshold_green,
            "amber": v.threshold_amber,
            "exceeded": v.threshold_exceeded,
        },
        "dataSource": {"en": v.data_source_en, "km": v.data_source_km},
        "verification": {"en": v.verification_en, "km": v.verification_km},
        "baseline": {
            "value": _num(v.baseline_value),
            "numerator": _num(v.baseline_numerator),
            "denominator": _num(v.baseline_denominator),
            "date": v.baseline_date.isoformat() if v.baseline_date else None,
            "source": v.baseline_source,
            "isDemo": v.baseline_is_demo,
        },
        "disaggregations": [
            {
                "code": c.code,
                "name": {"en": c.name_en, "km": c.name_km},
                "options": [
                    {"code": o.code, "name": {"en": o.name_en, "km": o.name_km}} for o in c.options
                ],
            }
            for c in v.categories
        ],
        "reporters": [o.code for o in ind.reporters],
        "targets": [
            {"period": period, "orgUnit": prov or "KH", "value": _num(value)}
            for period, prov, value in targets
        ],
    }


def targets_for_api(session: so.Session, indicator_ids: list[int]) -> dict[int, list]:
    from stakeholders.models import Province

    rows = session.execute(
        sa.select(Target.indicator_id, Target.period_code, Province.code, Target.value)
        .outerjoin(Province, Province.id == Target.province_id)
        .where(Target.indicator_id.in_(indicator_ids))
        .order_by(Target.indicator_id, Target.period_code, Province.code)
    )
    out: dict[int, list] = {i: [] for i in indicator_ids}
    for ind_id, period, prov, value in rows:
        out[ind_id].append((period, prov, value))
    return out


def seed_steps():
    from indicators.services import demo, seed

    return [
        ("disaggregations", seed.seed_disaggregations),
        ("indicators", seed.seed_indicators),
        ("periods", seed.seed_periods),
        ("crosschecks", demo.seed_crosschecks),
        ("submissions", demo.seed_demo_submissions),
    ]


def version_diff(session: so.Session, old, new) -> list[dict]:
    """The indicators section of the comparison of two plan versions.

    Indicators follow results by key, so an indicator is "added" with a result that only
    the newer version has and "removed" with one that only the older has; a definition
    changed in between (a new definition version) is listed as changed.
    """
    from flask_babel import gettext as _

    from leap_me.db import utcnow
    from leap_me.i18n import localized

    keys_old = {r.key for r in old.results}
    keys_new = {r.key for r in new.results}
    indicators = session.scalars(
        sa.select(Indicator)
        .options(so.selectinload(Indicator.current_version))
        .where(Indicator.result_key.in_(keys_old | keys_new))
        .order_by(Indicator.code)
    ).all()

    def label(ind: Indicator) -> str:
        return f"{ind.code} — {localized(ind.current_version, 'name')}"

    since = min(old.created_dt, new.created_dt)
    until = max(old.approved_dt or utcnow(), new.approved_dt or utcnow())
    changed_versions = session.execute(
        sa.select(Indicator.code, IndicatorVersion.number)
        .join(IndicatorVersion, IndicatorVersion.indicator_id == Indicator.id)
        .where(
            Indicator.result_key.in_(keys_old | keys_new),
            IndicatorVersion.number > 1,
            IndicatorVersion.created_dt > since,
            IndicatorVersion.created_dt <= until,
        )
        .order_by(Indicator.code, IndicatorVersion.number)
    ).all()
    return [
        {
            "title": _("Indicators"),
            "added": [label(i) for i in indicators if i.result_key in keys_new - keys_old],
            "removed": [label(i) for i in indicators if i.result_key in keys_old - keys_new],
            "changed": [
                {
                    "label": code,
                    "changes": [(_("Definition version"), f"v{number - 1}", f"v{number}")],
                }
                for code, number in changed_versions
            ],
        }
    ]


logframe.register_delete_guard(delete_guard)
logframe.register_matrix_provider(matrix_provider)
logframe.register_version_diff(version_diff)
