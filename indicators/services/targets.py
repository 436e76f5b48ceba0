"""Targets per period at the indicator's frequency, national or per province.

A yearly figure typed by a planner (or read from the seed) is split into the periods of
the year the way values add up over time (METHOD.md §2): a ``sum`` count is divided
equally, in whole units of the figure's precision, with the remainder going to the first
periods so that the parts add up to the year exactly; every other rule (latest, average,
max), and every rate (percentage, ratio, yes/no), repeats the yearly figure.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy import orm as so

from indicators.models import AggSpace, AggTime, Indicator, IndicatorVersion, Measure, Target
from indicators.services import calendar
from indicators.services.common import ValidationError, parse_decimal, plain, quantize
from logframe import services as logframe


def plan_span(session: so.Session) -> tuple[int, int] | None:
    version = logframe.current_version(session)
    if version is None:
        return None
    return version.plan.start_year, version.plan.end_year


def is_split_by_sum(version: IndicatorVersion) -> bool:
    return version.measure == Measure.NUMBER and version.agg_time == AggTime.SUM


def split_year(value: Decimal, version: IndicatorVersion) -> list[Decimal]:
    """The yearly figure as the targets of each period of the year (see module doc)."""
    parts = version.frequency_enum.per_year
    if parts == 1 or not is_split_by_sum(version):
        return [value] * parts
    exponent = min(value.as_tuple().exponent, 0)  # 220 → 0, 14.5 → -1
    quantum = Decimal(1).scaleb(exponent)
    units = int(value / quantum)
    base, remainder = divmod(units, parts)
    return [(base + (1 if i < remainder else 0)) * quantum for i in range(parts)]


def year_total(values: list[Decimal], version: IndicatorVersion) -> Decimal | None:
    """The target of a year from its period targets, added up like the values."""
    if not values:
        return None
    if version.measure != Measure.NUMBER:
        return values[-1]
    rule = version.agg_time
    if rule == AggTime.SUM:
        return sum(values, Decimal(0))
    if rule == AggTime.LATEST:
        return values[-1]
    if rule == AggTime.MAX:
        return max(values)
    return sum(values, Decimal(0)) / len(values)


def clean_target(version: IndicatorVersion, raw: Any) -> Decimal | None:
    """A target value checked against the measure; None for an empty cell."""
    value = parse_decimal(raw, "target")
    if value is None:
        return None
    if version.measure == Measure.TEXT:
        raise ValidationError(_("A text indicator has no numeric targets."), "target")
    if value < 0:
        raise ValidationError(_("A target cannot be negative."), "target")
    if version.measure == Measure.PERCENTAGE and value > 100:
        raise ValidationError(
            _("%(value)s is over 100: a percentage target cannot be over 100.", value=raw),
            "target",
        )
    if version.measure == Measure.YESNO and value not in (0, 1):
        raise ValidationError(_("A yes/no target is 1 (yes) or 0 (no)."), "target")
    return value


def check_period(session: so.Session, version: IndicatorVersion, code: str) -> calendar.PeriodSpec:
    spec = calendar.parse(code)
    if spec is None:
        raise ValidationError(_("“%(code)s” is not a period code.", code=code), "period")
    if spec.frequency != version.frequency:
        raise ValidationError(
            _(
                "%(code)s is not a %(frequency)s period.",
                code=spec.code,
                frequency=version.frequency_enum.title.lower(),
            ),
            "period",
        )
    check_year(session, spec.year)
    return spec


def check_year(session: so.Session, year: int) -> None:
    span = plan_span(session)
    if span is None:
        raise ValidationError(_("There is no strategic plan yet: targets need its years."))
    if not span[0] <= year <= span[1]:
        raise ValidationError(
            _(
                "%(year)s is outside the plan (%(start)s–%(end)s): no target can be set.",
                year=year,
                start=span[0],
                end=span[1],
            ),
            "period",
        )


def _existing(session: so.Session, indicator_id: int) -> dict[tuple[str, int | None], Target]:
    rows = session.scalars(sa.select(Target).where(Target.indicator_id == indicator_id))
    return {(t.period_code, t.province_id): t for t in rows}


def put_target(
    session: so.Session,
    indicator: Indicator,
    spec: calendar.PeriodSpec,
    province_id: int | None,
    value: Decimal | None,
    existing: dict[tuple[str, int | None], Target] | None = None,
) -> bool:
    """Write (or remove, with None) one checked target. Returns True when it changed."""
    existing = existing if existing is not None else _existing(session, indicator.id)
    target = existing.get((spec.code, province_id))
    if value is None:
        if target is not None:
            session.delete(target)
            del existing[(spec.code, province_id)]
            return True
        return False
    if target is None:
        target = Target(
            indicator_id=indicator.id,
            period_code=spec.code,
            year=spec.year,
            province_id=province_id,
            value=value,
        )
        session.add(target)
        existing[(spec.code, province_id)] = target
        return True
    if target.value != value:
        target.value = value
        return True
    return False


def set_target(
    session: so.Session, indicator: Indicator, period_code: str, province_id: int | None, raw: Any
) -> bool:
    version = indicator.current
    spec = check_period(session, version, period_code)
    changed = put_target(session, indicator, spec, province_id, clean_target(version, raw))
    session.flush()
    return changed


def set_year_target(
    session: so.Session,
    indicator: Indicator,
    year: int,
    province_id: int | None,
    raw: Any,
    existing: dict | None = None,
) -> int:
    """Set a year's target, split into the indicator's periods. Returns cells changed."""
    version = indicator.current
    check_year(session, year)
    value = clean_target(version, raw)
    specs = calendar.periods_of_year(version.frequency, year)
    parts = split_year(value, version) if value is not None else [None] * len(specs)
    existing = existing if existing is not None else _existing(session, indicator.id)
    changed = sum(
        put_target(session, indicator, spec, province_id, part, existing)
        for spec, part in zip(specs, parts, strict=True)
    )
    session.flush()
    return changed


# --- reads ----------------------------------------------------------------------------


def targets_by_period(
    session: so.Session, indicator_id: int
) -> dict[tuple[str, int | None], Decimal]:
    rows = session.execute(
        sa.select(Target.period_code, Target.province_id, Target.value).where(
            Target.indicator_id == indicator_id
        )
    )
    return {(code, prov): value for code, prov, value in rows}


def yearly_targets(
    version: IndicatorVersion, by_period: dict[tuple[str, int | None], Decimal]
) -> dict[tuple[int, int | None], Decimal]:
    """Year × province targets from the period targets of the version's frequency."""
    grouped: dict[tuple[int, int | None], list[tuple[str, Decimal]]] = defaultdict(list)
    for (code, province_id), value in by_period.items():
        spec = calendar.parse(code)
        if spec is None or spec.frequency != version.frequency:
            continue  # a target of an earlier definition's frequency
        grouped[(spec.year, province_id)].append((code, value))
    out = {}
    for key, items in grouped.items():
        values = [v for _c, v in sorted(items)]
        total = year_total(values, version)
        if total is not None:
            out[key] = total
    return out


def combine_space(values: list[Decimal], agg_space: str) -> Decimal:
    """Add targets up across provinces the way the indicator adds its values (METHOD §2)."""
    if agg_space == AggSpace.AVERAGE:
        return quantize(sum(values, Decimal(0)) / len(values))
    if agg_space == AggSpace.MAX:
        return max(values)
    if agg_space == AggSpace.MIN:
        return min(values)
    return sum(values, Decimal(0))


@dataclass
class NationalTargets:
    """The national targets of an indicator, as the reference sheet and the logframe
    matrix show them (one function for both: :func:`national_targets`)."""

    by_year: dict[int, Decimal] = field(default_factory=dict)
    by_period: dict[str, Decimal] = field(default_factory=dict)
    #: Years that have no national target: their figures add up the provincial ones.
    from_provinces: set[int] = field(default_factory=set)


def national_targets(
    version: IndicatorVersion, by_period: dict[tuple[str, int | None], Decimal]
) -> NationalTargets:
    """National targets by year and by period from the stored targets.

    A year with a national target keeps it; a year that only has provincial targets gets
    them added up across provinces with the indicator's own rule (``combine_space``,
    METHOD.md §2), per year and per period, so that it is never shown as empty. Targets
    of another frequency (an earlier definition) are left out here: the target grid
    lists them to be re-split or removed.
    """
    out = NationalTargets()
    national_years: set[int] = set()
    per_period: dict[str, list[Decimal]] = defaultdict(list)
    for (code, province_id), value in by_period.items():
        spec = calendar.parse(code)
        if spec is None or spec.frequency != version.frequency:
            continue
        if province_id is None:
            national_years.add(spec.year)
            out.by_period[code] = value
        else:
            per_period[code].append(value)
    provincial_years: dict[int, list[Decimal]] = defaultdict(list)
    for (year, province_id), value in yearly_targets(version, by_period).items():
        if province_id is None:
            out.by_year[year] = value
        elif year not in national_years:
            provincial_years[year].append(value)
    for year, values in provincial_years.items():
        out.by_year[year] = combine_space(values, version.agg_space)
        out.from_provinces.add(year)
    for code, values in per_period.items():
        spec = calendar.parse(code)
        if spec is not None and spec.year in out.from_provinces:
            out.by_period[code] = combine_space(values, version.agg_space)
    return out


def national_yearly_targets(session: so.Session, indicators: list[Indicator]) -> dict[int, dict]:
    """{indicator id: {year: target}} for the logframe matrix, in one query, added up
    exactly as the reference sheet adds them (:func:`national_targets`)."""
    if not indicators:
        return {}
    rows = session.execute(
        sa.select(Target.indicator_id, Target.period_code, Target.province_id, Target.value).where(
            Target.indicator_id.in_([i.id for i in indicators])
        )
    )
    per: dict[int, dict] = defaultdict(dict)
    for ind_id, code, province_id, value in rows:
        per[ind_id][(code, province_id)] = value
    versions = {i.id: i.current_version or i.current for i in indicators}
    return {
        ind_id: national_targets(versions[ind_id], data).by_year for ind_id, data in per.items()
    }


def short_targets(version: IndicatorVersion, years: dict[int, Decimal]) -> str:
    """'2026: 220 · 2030: 300 · 2035: 400' — the first, a middle and the last year."""
    if not years:
        return ""
    ordered = sorted(years)
    picks = [ordered[0]]
    if len(ordered) > 2:
        picks.append(ordered[min(4, len(ordered) - 2)])
    if len(ordered) > 1:
        picks.append(ordered[-1])
    suffix = "%" if version.measure == Measure.PERCENTAGE else ""
    return " · ".join(f"{y}: {plain(years[y])}{suffix}" for y in picks)


# --- targets of an earlier definition ----------------------------------------------------

#: Why a stored target is not in the grid of the current definition.
OLD_FREQUENCY = "frequency"
OLD_MEASURE = "measure"


def old_targets(session: so.Session, indicator: Indicator) -> list[tuple[Target, str]]:
    """Stored targets the grid of the current definition cannot show, with the reason:
    a period of another frequency, or a value the current measure refuses (every target
    of a text indicator). Stored data is never invisible: the grid lists these to be
    re-split to the current frequency or removed."""
    version = indicator.current
    rows = session.scalars(
        sa.select(Target)
        .where(Target.indicator_id == indicator.id)
        .order_by(Target.period_code, Target.province_id)
    ).all()
    out = []
    for target in rows:
        spec = calendar.parse(target.period_code)
        if version.measure == Measure.TEXT:
            out.append((target, OLD_MEASURE))
        elif spec is None or spec.frequency != version.frequency:
            out.append((target, OLD_FREQUENCY))
        else:
            try:
                clean_target(version, target.value)
            except ValidationError:
                out.append((target, OLD_MEASURE))
    return out


@dataclass
class Resplit:
    moved: int = 0  # old targets replaced
    written: int = 0  # targets of the current frequency written
    kept: list[tuple[int, int | None]] = field(default_factory=list)  # (year, province)


def resplit_old_targets(session: so.Session, indicator: Indicator) -> Resplit:
    """Old targets of another frequency become targets of the current one.

    Per year and province, the old period targets are added up into a year target with
    the current definition's rule over time (:func:`year_total`), and that year is split
    into the current periods (:func:`split_year`); the old rows are then deleted. A year
    that already has targets of the current frequency, lies outside the plan or gives a
    total the measure refuses is left as it is (listed in ``kept``): nothing is
    overwritten."""
    version = indicator.current
    result = Resplit()
    if version.measure == Measure.TEXT:
        return result
    groups: dict[tuple[int, int | None], list[Target]] = defaultdict(list)
    for target, reason in old_targets(session, indicator):
        if reason == OLD_FREQUENCY and calendar.parse(target.period_code) is not None:
            groups[(calendar.parse(target.period_code).year, target.province_id)].append(target)
    existing = _existing(session, indicator.id)
    current_years = {
        (spec.year, province_id)
        for (code, province_id) in existing
        if (spec := calendar.parse(code)) is not None and spec.frequency == version.frequency
    }
    span = plan_span(session)
    for (year, province_id), targets in sorted(
        groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0)
    ):
        values = [t.value for t in sorted(targets, key=lambda t: t.period_code)]
        total = year_total(values, version)
        ok = (year, province_id) not in current_years and span and span[0] <= year <= span[1]
        if ok:
            try:
                total = clean_target(version, total)
            except ValidationError:
                ok = False
        if not ok or total is None:
            result.kept.append((year, province_id))
            continue
        for target in targets:
            session.delete(target)
            existing.pop((target.period_code, province_id), None)
            result.moved += 1
        session.flush()
        specs = calendar.periods_of_year(version.frequency, year)
        # split in units of the figure as a person would type it (220, not 220.000000)
        total = total.normalize()
        for spec, part in zip(specs, split_year(total, version), strict=True):
            result.written += put_target(session, indicator, spec, province_id, part, existing)
    session.flush()
    return result


def remove_old_targets(session: so.Session, indicator: Indicator) -> int:
    """Delete every target the current grid cannot show. Returns how many."""
    old = old_targets(session, indicator)
    for target, _reason in old:
        session.delete(target)
    session.flush()
    return len(old)
