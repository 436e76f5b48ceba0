"""The rows an organisation owes for a period: ONE function for the grid, the workbook
template, completeness and the DHIS2 API.

An organisation owes, for a period, every active indicator it is assigned to report whose
frequency is the period's, × its provinces (for a provincial indicator: the provinces the
organisation covers, or all 25 when it works nationwide, i.e. lists none) × each
combination of the indicator's disaggregation options, plus the total (``disagg_key``
"") of every indicator. A constant number of queries, whatever the size.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy import orm as so

from indicators.models import (
    DisaggCategory,
    Indicator,
    IndicatorStatus,
    IndicatorVersion,
    ReportingPeriod,
    indicator_reporter,
)
from stakeholders.models import Organisation, Province, organisation_province

RowKey = tuple[int, int | None, str]


@dataclass(frozen=True)
class OwedRow:
    indicator: Indicator
    version: IndicatorVersion
    province: Province | None
    #: "" for the total; else canonical "age:age_0_11|sex:F".
    disagg_key: str
    is_total: bool
    outcome_code: str
    #: {"en": ..., "km": ...}
    outcome_name: dict = field(compare=False)
    #: the option names, {"en": "Female · Under 12", "km": ...}; {"en": "", "km": ""} for
    #: the total.
    label: dict = field(compare=False)
    #: the options of this row, {"sex": "F", "age": "age_0_11"}; empty for the total.
    options: dict = field(default_factory=dict, compare=False)
    #: (indicator id, province id, disagg_key), computed once: every save, check and
    #: template looks rows up by it, thousands of times.
    key: RowKey = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        prov = self.province.id if self.province is not None else None
        object.__setattr__(self, "key", (self.indicator.id, prov, self.disagg_key))

    @property
    def province_id(self) -> int | None:
        return self.key[1]


def _indicators_query(period: ReportingPeriod) -> sa.Select:
    return (
        sa.select(Indicator)
        .join(Indicator.current_version)
        .where(
            Indicator.status == IndicatorStatus.ACTIVE.value,
            IndicatorVersion.frequency == period.frequency,
        )
        .options(
            so.contains_eager(Indicator.current_version)
            .selectinload(IndicatorVersion.categories)
            .selectinload(DisaggCategory.options)
        )
    )


def owing_organisations(session: so.Session, period: ReportingPeriod) -> list[Organisation]:
    """Active organisations assigned to at least one indicator of the period's frequency."""
    sub = (
        sa.select(indicator_reporter.c.organisation_id)
        .join(Indicator, Indicator.id == indicator_reporter.c.indicator_id)
        .join(
            IndicatorVersion,
            sa.and_(IndicatorVersion.indicator_id == Indicator.id, IndicatorVersion.is_current),
        )
        .where(
            Indicator.status == IndicatorStatus.ACTIVE.value,
            IndicatorVersion.frequency == period.frequency,
        )
    )
    return list(
        session.scalars(
            sa.select(Organisation)
            .where(Organisation.id.in_(sub), Organisation.is_active)
            .order_by(Organisation.code)
        )
    )


def combinations(version: IndicatorVersion) -> list[tuple[str, dict, dict]]:
    """(disagg_key, options, label) for each combination of the version's options."""
    cats = sorted(version.categories, key=lambda c: c.code)
    if not cats:
        return []
    out = []
    for combo in itertools.product(*[c.options for c in cats]):
        opts = {c.code: o.code for c, o in zip(cats, combo, strict=True)}
        key = "|".join(f"{c}:{opts[c]}" for c in sorted(opts))
        label = {
            "en": " · ".join(o.name_en for o in combo),
            "km": " · ".join(o.name_km or o.name_en for o in combo),
        }
        out.append((key, opts, label))
    return out


def _outcomes(session: so.Session, keys: list[str]) -> dict[str, tuple[str, dict]]:
    """Result key → (code, names) of the outcome (or goal) an indicator's result sits under."""
    from logframe import services as logframe
    from logframe.models import Result

    results = logframe.results_by_key(session, keys)
    parent_ids = {r.parent_id for r in results.values() if r.level in ("output", "activity")}
    parents: dict[int, Result] = {}
    while parent_ids:
        rows = list(session.scalars(sa.select(Result).where(Result.id.in_(parent_ids))))
        parents.update({r.id: r for r in rows})
        parent_ids = {
            r.parent_id for r in rows if r.level in ("output", "activity") and r.parent_id
        } - set(parents)
    out = {}
    for key, result in results.items():
        node = result
        while node.level in ("output", "activity") and node.parent_id in parents:
            node = parents[node.parent_id]
        out[key] = (node.code, {"en": node.statement_en, "km": node.statement_km})
    return out


def _code_sort(code: str) -> list:
    parts = code.replace("-", ".").split(".")
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts]


def owed_rows(
    session: so.Session, organisation: Organisation, period: ReportingPeriod
) -> list[OwedRow]:
    indicators = list(
        session.scalars(
            _indicators_query(period)
            .join(indicator_reporter, indicator_reporter.c.indicator_id == Indicator.id)
            .where(indicator_reporter.c.organisation_id == organisation.id)
            .order_by(Indicator.code)
        ).unique()
    )
    if not indicators:
        return []
    provinces: list[Province] = []
    if any(i.current_version.by_province for i in indicators):
        provinces = list(
            session.scalars(
                sa.select(Province)
                .join(organisation_province, organisation_province.c.province_id == Province.id)
                .where(organisation_province.c.organisation_id == organisation.id)
                .order_by(Province.code)
            )
        )
        if not provinces:  # a nationwide body reports for every province
            provinces = list(session.scalars(sa.select(Province).order_by(Province.code)))
    outcomes = _outcomes(session, [i.result_key for i in indicators])
    rows: list[OwedRow] = []
    empty = {"en": "", "km": ""}
    combos_by_cats: dict[tuple[int, ...], list] = {}
    for indicator in sorted(
        indicators,
        key=lambda i: (_code_sort(outcomes.get(i.result_key, ("~", {}))[0]), i.code),
    ):
        version = indicator.current_version
        code, name = outcomes.get(indicator.result_key, (indicator.result_key, empty))
        cat_ids = tuple(sorted(c.id for c in version.categories))
        combos = combos_by_cats.get(cat_ids)
        if combos is None:  # many indicators share their categories
            combos = combos_by_cats[cat_ids] = combinations(version)
        ind_id = indicator.id
        for province in provinces if version.by_province else [None]:
            prov = province.id if province is not None else None
            rows.append(
                _row(indicator, version, province, "", True, code, name, empty, {}, ind_id, prov)
            )
            for key, opts, label in combos:
                rows.append(
                    _row(
                        indicator,
                        version,
                        province,
                        key,
                        False,
                        code,
                        name,
                        label,
                        opts,
                        ind_id,
                        prov,
                    )
                )
    return rows


_new = object.__new__


def _row(indicator, version, province, key, is_total, code, name, label, options, ind_id, prov):
    """``OwedRow(...)`` without the frozen dataclass's one ``object.__setattr__`` per
    field: a 100,000-row submission makes as many. The same object in every way."""
    row = _new(OwedRow)
    row.__dict__.update(
        indicator=indicator,
        version=version,
        province=province,
        disagg_key=key,
        is_total=is_total,
        outcome_code=code,
        outcome_name=name,
        label=label,
        options=options,
        key=(ind_id, prov, key),
    )
    return row


def owed_index(rows: list[OwedRow]) -> dict[RowKey, OwedRow]:
    return {r.key: r for r in rows}
