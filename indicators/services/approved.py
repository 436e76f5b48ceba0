"""Read-only views of approved data for other layers (exports, reports).

Official figures use approved values only (METHOD.md §1). These functions group in SQL,
so a caller gets a few rows per indicator and period, whatever the number of values.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy import orm as so

from indicators.models import DataValue, ReportingPeriod
from indicators.models.enums import ValueStatus


def approved_totals(session: so.Session, indicator_ids: Sequence[int]) -> list[sa.Row]:
    """Per indicator × period × disaggregation: approved values added up across
    organisations and provinces (sum, max, min, count; numerators and denominators summed).

    Columns: indicator_id, disagg_key, period_id, year, start_date, value_sum, value_max,
    value_min, num_sum, den_sum, n.
    """
    if not indicator_ids:
        return []
    dv, p = DataValue, ReportingPeriod
    query = (
        sa.select(
            dv.indicator_id,
            dv.disagg_key,
            dv.period_id,
            p.year,
            p.start_date,
            sa.func.sum(dv.value).label("value_sum"),
            sa.func.max(dv.value).label("value_max"),
            sa.func.min(dv.value).label("value_min"),
            sa.func.sum(dv.numerator).label("num_sum"),
            sa.func.sum(dv.denominator).label("den_sum"),
            sa.func.count(dv.value).label("n"),
        )
        .join(p, p.id == dv.period_id)
        .where(dv.status == ValueStatus.APPROVED.value, dv.indicator_id.in_(list(indicator_ids)))
        .group_by(dv.indicator_id, dv.disagg_key, dv.period_id, p.year, p.start_date)
        .order_by(dv.indicator_id, p.start_date, dv.disagg_key)
    )
    return list(session.execute(query))
