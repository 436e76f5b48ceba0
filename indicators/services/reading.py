"""Set-based reads for the reports (variance, dashboards, the progress report).

Each function is one query whatever the size of the data and returns a pandas
``DataFrame``; the reports never query the indicators' tables themselves (see
docs/architecture.md). Figures come back as floats: the reports compare and chart them,
they never store them.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy import orm as so

from indicators.models import (
    DataValue,
    Indicator,
    IndicatorStatus,
    IndicatorVersion,
    Measure,
    ReportingPeriod,
    Target,
)
from leap_me.lazy import pandas as pd

INDICATOR_COLUMNS = [
    "indicator_id",
    "code",
    "result_key",
    "version_id",
    "name_en",
    "name_km",
    "unit_en",
    "unit_km",
    "measure",
    "direction",
    "tolerance",
    "agg_space",
    "agg_time",
    "frequency",
    "by_province",
    "threshold_green",
    "threshold_amber",
    "threshold_exceeded",
    "baseline_value",
    "baseline_numerator",
    "baseline_denominator",
]


def _frame(rows, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame([tuple(r) for r in rows], columns=columns)


def indicator_frame(session: so.Session, include_text: bool = False) -> pd.DataFrame:
    """The current definition of every active indicator (one row each), in code order."""
    v = IndicatorVersion
    query = (
        sa.select(
            Indicator.id,
            Indicator.code,
            Indicator.result_key,
            v.id,
            v.name_en,
            v.name_km,
            v.unit_en,
            v.unit_km,
            v.measure,
            v.direction,
            sa.cast(v.tolerance, sa.Float),
            v.agg_space,
            v.agg_time,
            v.frequency,
            v.by_province,
            v.threshold_green,
            v.threshold_amber,
            v.threshold_exceeded,
            sa.cast(v.baseline_value, sa.Float),
            sa.cast(v.baseline_numerator, sa.Float),
            sa.cast(v.baseline_denominator, sa.Float),
        )
        .join(v, sa.and_(v.indicator_id == Indicator.id, v.is_current))
        .where(Indicator.status == IndicatorStatus.ACTIVE.value)
        .order_by(Indicator.code)
    )
    if not include_text:
        query = query.where(v.measure != Measure.TEXT.value)
    return _frame(session.execute(query), INDICATOR_COLUMNS)


def period_frame(session: so.Session) -> pd.DataFrame:
    """Every generated reporting period with its dates and state."""
    p = ReportingPeriod
    rows = session.execute(
        sa.select(
            p.id, p.code, p.frequency, p.year, p.start_date, p.end_date, p.deadline, p.status
        ).order_by(p.end_date, p.id)
    )
    frame = _frame(
        rows,
        ["period_id", "period_code", "frequency", "year", "start", "end", "deadline", "status"],
    )
    for col in ("start", "end", "deadline"):
        frame[col] = pd.to_datetime(frame[col])
    return frame


VALUE_COLUMNS = [
    "indicator_id",
    "period_id",
    "organisation_id",
    "province_id",
    "value",
    "numerator",
    "denominator",
    "n",
]


def _option_match(option: str):
    """Rows whose disaggregation key holds ``option`` ("sex:F") in any position."""
    key = DataValue.disagg_key
    return sa.or_(
        key == option,
        key.like(option + "|%"),
        key.like("%|" + option),
        key.like("%|" + option + "|%"),
    )


def value_grains(
    session: so.Session,
    period_ids: Iterable[int],
    statuses: Iterable[str],
    *,
    indicator_ids: Iterable[int] | None = None,
    province_id: int | None = None,
    organisation_id: int | None = None,
    option: str | None = None,
) -> pd.DataFrame:
    """Values per indicator × period × organisation × province: ONE grouped query.

    Without ``option`` each grain is its total (the row whose disaggregation key is
    empty). With ``option`` ("sex:F") it is that option's figure: the row that is
    exactly that option when the reporter gave one, else the sum of the finer rows
    that contain it (e.g. "age:age_0_11|sex:F" + "age:age_12_14|sex:F" …).
    """
    period_ids = list(period_ids)
    if not period_ids:
        return pd.DataFrame(columns=VALUE_COLUMNS)
    dv = DataValue
    value = sa.cast(dv.value, sa.Float)
    num = sa.cast(dv.numerator, sa.Float)
    den = sa.cast(dv.denominator, sa.Float)
    keys = [dv.indicator_id, dv.period_id, dv.organisation_id, dv.province_id]
    where = [dv.period_id.in_(period_ids), dv.status.in_(list(statuses))]
    if indicator_ids is not None:
        where.append(dv.indicator_id.in_(list(indicator_ids)))
    if province_id is not None:
        where.append(dv.province_id == province_id)
    if organisation_id is not None:
        where.append(dv.organisation_id == organisation_id)
    if not option:
        where.append(dv.disagg_key == "")
        query = (
            sa.select(*keys, value, num, den, sa.literal(1)).where(*where)
            # the grain is unique (uq_data_value_grain): one row per group already
        )
        return _frame(session.execute(query), VALUE_COLUMNS)
    where.append(_option_match(option))
    exact = dv.disagg_key == option

    def pick(col):
        return sa.func.sum(sa.case((exact, col), else_=None))

    def rest(col):
        return sa.func.sum(sa.case((exact, None), else_=col))

    query = (
        sa.select(
            *keys,
            pick(value),
            pick(num),
            pick(den),
            rest(value),
            rest(num),
            rest(den),
            sa.func.count(sa.case((exact, 1), else_=None)),
        )
        .where(*where)
        .group_by(*keys)
    )
    frame = _frame(
        session.execute(query),
        VALUE_COLUMNS[:4] + ["ev", "en", "ed", "rv", "rn", "rd", "exact"],
    )
    has = frame["exact"] > 0
    frame["value"] = frame["ev"].where(has, frame["rv"])
    frame["numerator"] = frame["en"].where(has, frame["rn"])
    frame["denominator"] = frame["ed"].where(has, frame["rd"])
    frame["n"] = 1
    return frame[VALUE_COLUMNS]


def target_frame(session: so.Session, indicator_ids: Iterable[int]) -> pd.DataFrame:
    """Every target of these indicators: national (province NULL) and provincial."""
    ids = list(indicator_ids)
    columns = ["indicator_id", "period_code", "year", "province_id", "target"]
    if not ids:
        return pd.DataFrame(columns=columns)
    rows = session.execute(
        sa.select(
            Target.indicator_id,
            Target.period_code,
            Target.year,
            Target.province_id,
            sa.cast(Target.value, sa.Float),
        ).where(Target.indicator_id.in_(ids))
    )
    return _frame(rows, columns)


def value_presence(
    session: so.Session, period_ids: Iterable[int], statuses: Iterable[str]
) -> pd.DataFrame:
    """How many values each organisation has per period (one grouped query): the
    dashboard's completeness stand-in until submissions give the real figure."""
    ids = list(period_ids)
    columns = ["organisation_id", "period_id", "values", "last_change"]
    if not ids:
        return pd.DataFrame(columns=columns)
    dv = DataValue
    rows = session.execute(
        sa.select(
            dv.organisation_id, dv.period_id, sa.func.count(dv.id), sa.func.max(dv.updated_dt)
        )
        .where(dv.period_id.in_(ids), dv.status.in_(list(statuses)))
        .group_by(dv.organisation_id, dv.period_id)
    )
    return _frame(rows, columns)


def latest_period_with_values(session: so.Session, statuses: Iterable[str]) -> str | None:
    """The code of the latest reporting period (by end date) that holds at least one value
    in ``statuses`` (one query): the donor workbook's period when none is asked for."""
    p, dv = ReportingPeriod, DataValue
    has_value = sa.exists().where(dv.period_id == p.id, dv.status.in_(list(statuses)))
    return session.scalar(
        sa.select(p.code).where(has_value).order_by(p.end_date.desc(), p.id.desc()).limit(1)
    )
