"""``leap-me seed`` steps for indicators: categories, indicators with targets, 2026 periods.

Rows are matched on their codes; a seed never overwrites what planners have edited.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import orm as so

from indicators.models import (
    DisaggCategory,
    DisaggOption,
    Frequency,
    Indicator,
    IndicatorVersion,
    PeriodStatus,
)
from indicators.services import calendar
from indicators.services.common import parse_decimal
from indicators.services.definitions import FIELDS, clean_definition
from indicators.services.periods import generate_periods
from indicators.services.targets import put_target, split_year
from leap_me.seeding import load_yaml
from stakeholders.services import organisations_by_code

#: The demo's "today" is late November 2026: the first three quarters are closed and
#: the fourth is open for reporting.
DEMO_YEAR = 2026
DEMO_OPEN = {"2026Q4", "202610", "202611"}
DEMO_CLOSED_UNTIL = date(2026, 9, 30)


def _load(seeds: Path) -> dict:
    return load_yaml(seeds / "indicators.yaml")


def seed_disaggregations(session: so.Session, seeds: Path) -> int:
    existing = {c.code: c for c in session.scalars(sa.select(DisaggCategory))}
    added = 0
    for item in _load(seeds)["disaggregations"]:
        category = existing.get(item["code"])
        if category is None:
            category = DisaggCategory(
                code=item["code"], name_en=item["name_en"], name_km=item.get("name_km", "")
            )
            session.add(category)
            existing[category.code] = category
            added += 1
        have = {o.code for o in category.options}
        for position, opt in enumerate(item.get("options", [])):
            if opt["code"] not in have:
                category.options.append(
                    DisaggOption(
                        code=opt["code"],
                        name_en=opt["name_en"],
                        name_km=opt.get("name_km", ""),
                        position=position,
                    )
                )
    session.flush()
    return added


def _definition(item: dict) -> dict:
    baseline = item.get("baseline") or {}
    thresholds = item.get("thresholds") or {}
    data = {name: item[name] for name in FIELDS if name in item and item[name] is not None}
    data.update(
        tolerance=item.get("tolerance"),
        threshold_green=thresholds.get("green", 90),
        threshold_amber=thresholds.get("amber", 60),
        threshold_exceeded=thresholds.get("exceeded", 120),
        baseline_value=baseline.get("value"),
        baseline_numerator=baseline.get("numerator"),
        baseline_denominator=baseline.get("denominator"),
        baseline_date=baseline.get("date"),
        baseline_source=baseline.get("source") or "",
        baseline_is_demo=bool(baseline.get("is_demo")),
    )
    return data


def seed_indicators(session: so.Session, seeds: Path) -> int:
    data = _load(seeds)
    categories = {c.code: c for c in session.scalars(sa.select(DisaggCategory))}
    orgs = organisations_by_code(session)
    existing = set(session.scalars(sa.select(Indicator.code)))
    added = 0
    for item in data["indicators"]:
        if item["code"] in existing:
            continue
        definition = clean_definition(session, _definition(item))
        version = IndicatorVersion(number=1, is_current=True)
        for name in FIELDS:
            if name in definition:
                setattr(version, name, definition[name])
        version.categories = [categories[c] for c in item.get("disaggregations", [])]
        indicator = Indicator(code=item["code"], result_key=item["result"], versions=[version])
        indicator.reporters = [orgs[c] for c in item.get("reporters", [])]
        session.add(indicator)
        session.flush()
        targets: dict = {}
        for year, raw in sorted((item.get("targets") or {}).items()):
            value = parse_decimal(raw)
            if value is None:
                continue
            specs = calendar.periods_of_year(version.frequency, int(year))
            for spec, part in zip(specs, split_year(value, version), strict=True):
                put_target(session, indicator, spec, None, part, targets)
        added += 1
    session.flush()
    return added


def seed_periods(session: so.Session, seeds: Path) -> int:
    created = generate_periods(session, DEMO_YEAR, list(Frequency))
    for period in created:
        if period.code in DEMO_OPEN:
            period.status = PeriodStatus.OPEN.value
        elif period.end_date <= DEMO_CLOSED_UNTIL:
            period.status = PeriodStatus.CLOSED.value
    session.flush()
    return len(created)
