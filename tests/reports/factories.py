"""Small builders for the reports' tests: indicators with exactly the rules a case needs,
periods, targets and values written straight to the tables (the value store's own rules
are tested in tests/indicators)."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from indicators.models import DataValue, Indicator, IndicatorVersion, ReportingPeriod, Target
from indicators.services import calendar
from stakeholders.models import Organisation, Province


def indicator(
    session,
    code: str,
    *,
    result_key: str = "O1.1",
    measure: str = "number",
    direction: str = "up",
    agg_space: str = "sum",
    agg_time: str = "sum",
    frequency: str = "quarterly",
    by_province: bool = True,
    baseline: str | None = None,
    tolerance: str | None = None,
    green: int = 90,
    amber: int = 60,
    exceeded: int = 120,
) -> Indicator:
    ind = Indicator(code=code, result_key=result_key)
    version = IndicatorVersion(
        indicator=ind,
        number=1,
        is_current=True,
        name_en=f"Indicator {code}",
        name_km=f"សូចនាករ {code}",
        unit_en="cases",
        unit_km="ករណី",
        measure=measure,
        direction=direction,
        agg_space=agg_space,
        agg_time=agg_time,
        frequency=frequency,
        by_province=by_province,
        tolerance=Decimal(tolerance) if tolerance is not None else None,
        baseline_value=Decimal(baseline) if baseline is not None else None,
        threshold_green=green,
        threshold_amber=amber,
        threshold_exceeded=exceeded,
    )
    session.add_all([ind, version])
    session.flush()
    return ind


def periods(session, *codes: str, status: str = "open") -> dict[str, ReportingPeriod]:
    out = {}
    for code in codes:
        spec = calendar.parse(code)
        p = session.scalar(sa.select(ReportingPeriod).where(ReportingPeriod.code == code))
        if p is None:
            p = ReportingPeriod(
                code=spec.code,
                frequency=spec.frequency.value,
                year=spec.year,
                start_date=spec.start,
                end_date=spec.end,
                deadline=spec.default_deadline,
                status=status,
            )
            session.add(p)
        out[code] = p
    session.flush()
    return out


def quarters(session, first_year: int = 2026, last_year: int = 2026) -> dict:
    codes = [p.code for p in calendar.periods_of_span("quarterly", first_year, last_year)]
    return periods(session, *codes)


def org(session, code: str) -> Organisation:
    return session.scalar(sa.select(Organisation).where(Organisation.code == code))


def province(session, code: str) -> Province:
    return session.scalar(sa.select(Province).where(Province.code == code))


def target(session, ind: Indicator, code: str, value, province_code: str | None = None) -> None:
    prov = province(session, province_code) if province_code else None
    session.add(
        Target(
            indicator_id=ind.id,
            period_code=code,
            year=int(code[:4]),
            province_id=prov.id if prov else None,
            value=Decimal(str(value)),
        )
    )
    session.flush()


def value(
    session,
    ind: Indicator,
    period_code: str,
    org_code: str,
    province_code: str | None = None,
    value=None,
    *,
    numerator=None,
    denominator=None,
    disagg: str = "",
    status: str = "approved",
) -> None:
    period = session.scalar(sa.select(ReportingPeriod).where(ReportingPeriod.code == period_code))
    prov = province(session, province_code) if province_code else None
    if numerator is not None:
        scale = 100 if ind.current.measure == "percentage" else 1
        value = Decimal(str(numerator)) / Decimal(str(denominator)) * scale
    session.add(
        DataValue(
            indicator_id=ind.id,
            version_id=ind.current.id,
            period_id=period.id,
            organisation_id=org(session, org_code).id,
            province_id=prov.id if prov else None,
            disagg_key=disagg,
            value=Decimal(str(value)).quantize(Decimal("0.000001")) if value is not None else None,
            numerator=Decimal(str(numerator)) if numerator is not None else None,
            denominator=Decimal(str(denominator)) if denominator is not None else None,
            status=status,
        )
    )
    session.flush()
