"""Defining indicators: create, change (in place or as a new version), retire, replace.

The rule that protects reported data: a change of *meaning* (measure, unit, how values
add up, frequency, whether the province is reported, the set of disaggregations) made
after values exist becomes a new version of the definition; the values stay with the
version they were reported against. Wording, baseline, thresholds and sources change
in place, with the audit trail keeping the old text.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy import orm as so

from indicators.models import (
    DataValue,
    Direction,
    DisaggCategory,
    Indicator,
    IndicatorStatus,
    IndicatorVersion,
    Measure,
    Target,
)
from indicators.services.common import ValidationError, parse_decimal
from leap_me.db import utcnow
from logframe import services as logframe
from stakeholders.models import Organisation

#: Changing one of these after values exist makes a new version.
STRUCTURAL = (
    "measure",
    "unit_en",
    "unit_km",
    "agg_space",
    "agg_time",
    "frequency",
    "by_province",
)
#: These change in place (audited): they do not change what a reported number means.
IN_PLACE = (
    "name_en",
    "name_km",
    "definition_en",
    "definition_km",
    "direction",
    "tolerance",
    "threshold_green",
    "threshold_amber",
    "threshold_exceeded",
    "data_source_en",
    "data_source_km",
    "verification_en",
    "verification_km",
    "baseline_value",
    "baseline_numerator",
    "baseline_denominator",
    "baseline_date",
    "baseline_source",
    "baseline_is_demo",
)
FIELDS = STRUCTURAL + IN_PLACE


# --- reads ---------------------------------------------------------------------------


def get_indicator(session: so.Session, code: str) -> Indicator | None:
    return session.scalar(
        sa.select(Indicator)
        .options(
            so.selectinload(Indicator.versions).selectinload(IndicatorVersion.categories),
            so.selectinload(Indicator.reporters),
        )
        .where(Indicator.code == code)
    )


def registry_query() -> sa.Select:
    """Indicators with their current version, one row each, for list pages."""
    return (
        sa.select(Indicator)
        .join(
            IndicatorVersion,
            sa.and_(IndicatorVersion.indicator_id == Indicator.id, IndicatorVersion.is_current),
        )
        .options(so.contains_eager(Indicator.current_version))
    )


def value_counts(session: so.Session, indicator_id: int) -> dict[int, int]:
    """Reported values per version id."""
    rows = session.execute(
        sa.select(DataValue.version_id, sa.func.count())
        .where(DataValue.indicator_id == indicator_id)
        .group_by(DataValue.version_id)
    )
    return {vid: n for vid, n in rows}


def has_values(session: so.Session, indicator_id: int) -> bool:
    return (
        session.scalar(
            sa.select(DataValue.id).where(DataValue.indicator_id == indicator_id).limit(1)
        )
        is not None
    )


# --- validation ------------------------------------------------------------------------


def clean_definition(session: so.Session, data: dict[str, Any]) -> dict[str, Any]:
    """Check one definition as a whole; returns it with numbers as Decimals."""
    out = dict(data)
    measure = out.get("measure")
    if measure not in {m.value for m in Measure}:
        raise ValidationError(_("Choose a measure."), "measure")
    for name in ("tolerance", "baseline_value", "baseline_numerator", "baseline_denominator"):
        out[name] = parse_decimal(out.get(name), name)
    if out["tolerance"] is not None and out["tolerance"] < 0:
        raise ValidationError(_("The tolerance cannot be negative."), "tolerance")
    green = int(out.get("threshold_green") or 90)
    amber = int(out.get("threshold_amber") or 60)
    exceeded = int(out.get("threshold_exceeded") or 120)
    if not 0 <= amber <= green <= exceeded:
        raise ValidationError(
            _("Thresholds must rise: amber ≤ green ≤ exceeded (e.g. 60, 90, 120)."),
            "threshold_green",
        )
    out.update(threshold_green=green, threshold_amber=amber, threshold_exceeded=exceeded)
    _check_baseline(measure, out)
    if out.get("direction") not in {d.value for d in Direction}:
        out["direction"] = Direction.UP.value
    return out


def _check_baseline(measure: str, out: dict[str, Any]) -> None:
    value, num, den = out["baseline_value"], out["baseline_numerator"], out["baseline_denominator"]
    if measure == Measure.TEXT:
        if value is not None or num is not None or den is not None:
            raise ValidationError(
                _("A text indicator has no numeric baseline; describe it in the source."),
                "baseline_value",
            )
        return
    for name, number in (("baseline_value", value), ("baseline_numerator", num)):
        if number is not None and number < 0:
            raise ValidationError(_("The baseline cannot be negative."), name)
    if measure in (Measure.PERCENTAGE, Measure.RATIO):
        if (num is None) != (den is None):
            raise ValidationError(
                _("Give both the numerator and the denominator of the baseline, or neither."),
                "baseline_denominator",
            )
        if den is not None:
            if den == 0:
                raise ValidationError(_("The denominator cannot be 0."), "baseline_denominator")
            computed = num / den * (100 if measure == Measure.PERCENTAGE else 1)
            if value is None:
                out["baseline_value"] = value = computed.quantize(Decimal("0.01"))
        if measure == Measure.PERCENTAGE and value is not None and value > 100:
            raise ValidationError(_("A percentage cannot be over 100."), "baseline_value")
        if measure == Measure.PERCENTAGE and den is not None and num > den:
            raise ValidationError(
                _("The numerator cannot be larger than the denominator for a percentage."),
                "baseline_numerator",
            )
    elif num is not None or den is not None:
        raise ValidationError(
            _("Only percentages and ratios have a numerator and a denominator."),
            "baseline_numerator",
        )
    if measure == Measure.YESNO and value is not None and value not in (0, 1):
        raise ValidationError(_("A yes/no baseline is 1 (yes) or 0 (no)."), "baseline_value")


def _check_result(session: so.Session, result_key: str) -> None:
    if not result_key:
        raise ValidationError(_("Choose the result this indicator measures."), "result_key")
    if logframe.current_version(session) is None:
        return  # no plan loaded yet (first seed): the key is checked when the plan comes
    if result_key not in logframe.results_by_key(session, [result_key]):
        raise ValidationError(
            _("Result %(key)s is not in the current plan.", key=result_key), "result_key"
        )


def _check_code(session: so.Session, code: str, indicator: Indicator | None) -> str:
    code = (code or "").strip().upper()
    if not code:
        raise ValidationError(_("Give the indicator a code."), "code")
    clash = session.scalar(sa.select(Indicator.id).where(Indicator.code == code))
    if clash and (indicator is None or clash != indicator.id):
        raise ValidationError(
            _("Another indicator already has the code %(code)s.", code=code), "code"
        )
    return code


# --- writes ---------------------------------------------------------------------------


def _set_fields(version: IndicatorVersion, data: dict[str, Any], names: Iterable[str]) -> None:
    for name in names:
        if name in data:
            value = data[name]
            setattr(version, name, value.strip() if isinstance(value, str) else value)


def _load_categories(session: so.Session, ids: Iterable[int]) -> list[DisaggCategory]:
    ids = set(ids)
    if not ids:
        return []
    return list(session.scalars(sa.select(DisaggCategory).where(DisaggCategory.id.in_(ids))))


def _load_orgs(session: so.Session, ids: Iterable[int]) -> list[Organisation]:
    ids = set(ids)
    if not ids:
        return []
    return list(session.scalars(sa.select(Organisation).where(Organisation.id.in_(ids))))


def create_indicator(
    session: so.Session,
    *,
    code: str,
    result_key: str,
    data: dict[str, Any],
    category_ids: Iterable[int] = (),
    reporter_ids: Iterable[int] = (),
) -> Indicator:
    code = _check_code(session, code, None)
    _check_result(session, result_key)
    data = clean_definition(session, data)
    version = IndicatorVersion(number=1, is_current=True)
    _set_fields(version, data, FIELDS)
    version.categories = _load_categories(session, category_ids)
    indicator = Indicator(code=code, result_key=result_key, versions=[version])
    indicator.reporters = _load_orgs(session, reporter_ids)
    session.add(indicator)
    session.flush()
    return indicator


def structural_changes(
    version: IndicatorVersion, data: dict[str, Any], category_ids: Iterable[int]
) -> list[str]:
    """The names of the meaning-changing fields that ``data`` would change."""
    changed = [n for n in STRUCTURAL if n in data and _differs(getattr(version, n), data[n])]
    if {c.id for c in version.categories} != set(category_ids):
        changed.append("categories")
    return changed


def _differs(old: Any, new: Any) -> bool:
    if isinstance(new, str):
        new = new.strip()
    return old != new


def update_indicator(
    session: so.Session,
    indicator: Indicator,
    *,
    code: str,
    result_key: str,
    data: dict[str, Any],
    category_ids: Iterable[int],
    reporter_ids: Iterable[int],
    note: str = "",
) -> tuple[IndicatorVersion, bool]:
    """Apply a changed definition. Returns the current version and whether it is new."""
    category_ids = set(category_ids)
    code = _check_code(session, code, indicator)
    values_exist = has_values(session, indicator.id)
    if code != indicator.code and values_exist:
        raise ValidationError(
            _(
                "The code %(code)s is used by reported values, workbooks and the API; it "
                "cannot change. Retire this indicator and replace it instead.",
                code=indicator.code,
            ),
            "code",
        )
    if result_key != indicator.result_key:
        _check_result(session, result_key)
    data = clean_definition(session, data)
    current = indicator.current
    structural = structural_changes(current, data, category_ids)
    new_version = bool(structural) and values_exist
    if new_version:
        current = _new_version(indicator, current, note)
    _set_fields(current, data, FIELDS)
    if {c.id for c in current.categories} != category_ids:
        current.categories = _load_categories(session, category_ids)
    indicator.code = code
    indicator.result_key = result_key
    if {o.id for o in indicator.reporters} != set(reporter_ids):
        indicator.reporters = _load_orgs(session, reporter_ids)
    session.flush()
    return current, new_version


def _new_version(indicator: Indicator, current: IndicatorVersion, note: str) -> IndicatorVersion:
    copy = IndicatorVersion(number=current.number + 1, is_current=True, change_note=note or "")
    _set_fields(copy, {n: getattr(current, n) for n in FIELDS}, FIELDS)
    copy.categories = list(current.categories)
    current.is_current = False
    indicator.versions.append(copy)
    return copy


def retire_indicator(session: so.Session, indicator: Indicator) -> None:
    """Retired indicators keep their values, targets and history; they take no new values."""
    if indicator.is_retired:
        raise ValidationError(_("%(code)s is already retired.", code=indicator.code))
    indicator.status = IndicatorStatus.RETIRED.value
    indicator.retired_dt = utcnow()
    session.flush()


def reactivate_indicator(session: so.Session, indicator: Indicator) -> None:
    if not indicator.is_retired:
        raise ValidationError(_("%(code)s is in use already.", code=indicator.code))
    if indicator.replaced_by:
        raise ValidationError(
            _(
                "%(code)s was replaced by %(new)s; it cannot come back.",
                code=indicator.code,
                new=", ".join(i.code for i in indicator.replaced_by),
            )
        )
    indicator.status = IndicatorStatus.ACTIVE.value
    indicator.retired_dt = None
    session.flush()


def replace_indicator(session: so.Session, old: Indicator, new_code: str) -> Indicator:
    """Retire ``old`` and start ``new_code`` from a copy of its definition, reporters and
    targets; the newcomer records what it replaces."""
    new_code = _check_code(session, new_code, None)
    current = old.current
    new = Indicator(code=new_code, result_key=old.result_key, replaces=old)
    version = IndicatorVersion(number=1, is_current=True, change_note="")
    _set_fields(version, {n: getattr(current, n) for n in FIELDS}, FIELDS)
    version.categories = list(current.categories)
    new.versions = [version]
    new.reporters = list(old.reporters)
    session.add(new)
    session.flush()
    for t in session.scalars(sa.select(Target).where(Target.indicator_id == old.id)):
        session.add(
            Target(
                indicator_id=new.id,
                period_code=t.period_code,
                year=t.year,
                province_id=t.province_id,
                value=t.value,
            )
        )
    if not old.is_retired:
        retire_indicator(session, old)
    session.flush()
    return new


def delete_indicator(session: so.Session, indicator: Indicator) -> None:
    """Only an indicator nobody reported against may go; otherwise retire it."""
    if has_values(session, indicator.id):
        raise ValidationError(
            _("%(code)s has reported values; retire it instead.", code=indicator.code)
        )
    if indicator.replaced_by:
        raise ValidationError(
            _("%(code)s is part of a replacement history; retire it instead.", code=indicator.code)
        )
    # Row by row, not a bulk DELETE, so that the audit trail records each target.
    for target in session.scalars(sa.select(Target).where(Target.indicator_id == indicator.id)):
        session.delete(target)
    session.delete(indicator)
    session.flush()


# --- what the logframe asks of us ---------------------------------------------------------


def indicators_for_results(session: so.Session, result_keys: list[str]) -> dict[str, list[str]]:
    rows = session.execute(
        sa.select(Indicator.result_key, Indicator.code)
        .where(Indicator.result_key.in_(result_keys))
        .order_by(Indicator.code)
    )
    out: dict[str, list[str]] = {}
    for key, code in rows:
        out.setdefault(key, []).append(code)
    return out


def delete_guard(session: so.Session, result_keys: list[str]) -> list[str]:
    """Refuse to delete results that indicators (active or retired) point at."""
    if not result_keys:
        return []
    return [
        _(
            "Result %(key)s is measured by indicators %(codes)s; move them to another "
            "result first.",
            key=key,
            codes=", ".join(codes),
        )
        for key, codes in sorted(indicators_for_results(session, result_keys).items())
    ]
