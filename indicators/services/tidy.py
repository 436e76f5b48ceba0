"""Every approved value as one tidy table (the donor workbook's data sheet).

ONE query joins the values with their indicator, period, organisation, province and the
submission's decision; pandas then splits the disaggregation key into one column per
category. Nothing loops over the database.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from sqlalchemy import orm as so

from indicators.models import (
    DataValue,
    DisaggCategory,
    Indicator,
    IndicatorVersion,
    ReportingPeriod,
    Submission,
)
from indicators.models.enums import ValueStatus
from leap_me.auth.models import User
from leap_me.lazy import pandas as pd
from stakeholders.models import Organisation, Province

COLUMNS = [
    "indicator_code",
    "indicator_name_en",
    "indicator_name_km",
    "unit_en",
    "unit_km",
    "period_code",
    "period_end",
    "organisation_code",
    "organisation_name_en",
    "organisation_name_km",
    "province_code",
    "province_name_en",
    "province_name_km",
    "disagg_key",
    "value",
    "numerator",
    "denominator",
    "text_value",
    "status",
    "approved_by",
    "approved_at",
]


def approved_value_query(until: date | None = None) -> sa.Select:
    """The one SELECT of every approved value (up to the period ending ``until``)."""
    dv, ver, p, org, prov = DataValue, IndicatorVersion, ReportingPeriod, Organisation, Province
    sub, user = Submission, User
    query = (
        sa.select(
            Indicator.code,
            ver.name_en,
            ver.name_km,
            ver.unit_en,
            ver.unit_km,
            p.code,
            p.end_date,
            org.code,
            org.name_en,
            org.name_km,
            prov.code,
            prov.name_en,
            prov.name_km,
            dv.disagg_key,
            sa.cast(dv.value, sa.Float),
            sa.cast(dv.numerator, sa.Float),
            sa.cast(dv.denominator, sa.Float),
            dv.text_value,
            dv.status,
            sa.func.coalesce(sa.func.nullif(user.full_name, ""), user.username),
            sub.decided_at,
        )
        .join(Indicator, Indicator.id == dv.indicator_id)
        .join(ver, ver.id == dv.version_id)
        .join(p, p.id == dv.period_id)
        .join(org, org.id == dv.organisation_id)
        .outerjoin(prov, prov.id == dv.province_id)
        .outerjoin(sub, sub.id == dv.submission_id)
        .outerjoin(user, user.id == sub.decided_by_id)
        .where(dv.status == ValueStatus.APPROVED.value)
        .order_by(Indicator.code, p.end_date, org.code, prov.code, dv.disagg_key)
    )
    if until is not None:
        query = query.where(p.end_date <= until)
    return query


def approved_values(session: so.Session, until: date | None = None) -> pd.DataFrame:
    """Every approved value, one row each (columns: :data:`COLUMNS`)."""
    rows = session.execute(approved_value_query(until)).all()
    frame = pd.DataFrame.from_records(rows, columns=COLUMNS)
    if not frame.empty:
        # UTC, without a zone: spreadsheets have no time zones
        frame["approved_at"] = pd.to_datetime(frame["approved_at"], utc=True).dt.tz_convert(None)
    return frame


def split_disaggregations(
    frame: pd.DataFrame, categories: Sequence[DisaggCategory], lang: str = "en"
) -> list[tuple[DisaggCategory, pd.Series]]:
    """One column per category: the option's name (in ``lang``) found in each row's
    disaggregation key ("age:age_0_11|sex:F"), empty where the row is not split by it."""
    out = []
    keys = frame["disagg_key"].fillna("") if not frame.empty else pd.Series(dtype=object)
    for cat in categories:
        names = {
            o.code: ((o.name_km if lang == "km" else "") or o.name_en or o.code)
            for o in cat.options
        }
        if keys.empty:
            out.append((cat, pd.Series(dtype=object)))
            continue
        codes = keys.str.extract(rf"(?:^|\|){re.escape(cat.code)}:([^|]*)", expand=False)
        out.append((cat, codes.map(names).fillna(codes)))  # an unknown code stays as is
    return out
