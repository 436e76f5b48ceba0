"""De-duplication adjustments (METHOD.md §3): where two organisations count the same
people in a province and period, a reviewer records a negative adjustment with a reason.
Sector and provincial totals add it and say so; one organisation's figures never do.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy import orm as so

from indicators.services.common import ValidationError, parse_decimal
from leap_me.lazy import pandas as pd
from leap_me.reports.models import DedupAdjustment


def adjustment_frame(session: so.Session, period_ids: list[int]) -> pd.DataFrame:
    """Adjustments of these periods (one query): indicator, period, province, value."""
    columns = ["indicator_id", "period_id", "province_id", "adjustment"]
    if not period_ids:
        return pd.DataFrame(columns=columns)
    d = DedupAdjustment
    rows = session.execute(
        sa.select(d.indicator_id, d.period_id, d.province_id, sa.cast(d.value, sa.Float)).where(
            d.period_id.in_(period_ids)
        )
    )
    return pd.DataFrame([tuple(r) for r in rows], columns=columns)


def list_adjustments(session: so.Session, period_id: int | None = None) -> list[DedupAdjustment]:
    query = (
        sa.select(DedupAdjustment)
        .options(
            so.joinedload(DedupAdjustment.indicator),
            so.joinedload(DedupAdjustment.period),
            so.joinedload(DedupAdjustment.province),
            so.joinedload(DedupAdjustment.recorded_by),
        )
        .order_by(DedupAdjustment.id.desc())
    )
    if period_id is not None:
        query = query.where(DedupAdjustment.period_id == period_id)
    return list(session.scalars(query))


def record_adjustment(
    session: so.Session,
    *,
    indicator: Any,
    period: Any,
    province: Any | None,
    value: Any,
    reason: str,
    user: Any,
) -> DedupAdjustment:
    """Record (or correct) the adjustment of one indicator × province × period."""
    version = indicator.current
    if version.measure != "number" or version.agg_space != "sum":
        raise ValidationError(
            _(
                "%(code)s does not add up by counting: only counts added up as a sum can be "
                "de-duplicated.",
                code=indicator.code,
            ),
            "indicator",
        )
    if period.frequency != version.frequency:
        raise ValidationError(
            _("%(code)s is not reported in %(period)s.", code=indicator.code, period=period.code),
            "period",
        )
    if version.by_province and province is None:
        raise ValidationError(
            _("%(code)s is reported by province: choose the province.", code=indicator.code),
            "province",
        )
    if not version.by_province and province is not None:
        raise ValidationError(
            _("%(code)s is a national figure: leave the province empty.", code=indicator.code),
            "province",
        )
    amount = parse_decimal(value, "value")
    if amount is None or amount >= 0:
        raise ValidationError(
            _("An adjustment removes double counting: type a negative number, e.g. -3."),
            "value",
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why the figures overlap."), "reason")
    if len(reason) > 2000:
        raise ValidationError(_("The reason is longer than 2000 characters."), "reason")
    existing = session.scalar(
        sa.select(DedupAdjustment).where(
            DedupAdjustment.indicator_id == indicator.id,
            DedupAdjustment.period_id == period.id,
            DedupAdjustment.province_id.is_(None)
            if province is None
            else DedupAdjustment.province_id == province.id,
        )
    )
    row = existing or DedupAdjustment(indicator=indicator, period=period, province=province)
    row.value = Decimal(amount)
    row.reason = reason
    row.recorded_by_id = getattr(user, "id", None)
    if existing is None:
        session.add(row)
    session.flush()
    return row


def delete_adjustment(session: so.Session, adjustment: DedupAdjustment) -> None:
    session.delete(adjustment)
    session.flush()
