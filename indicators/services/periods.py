"""Reporting periods: generated per year from the frequencies in use, then opened,
closed and locked by planners. A locked period takes no new value anywhere."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy import orm as so

from indicators.models import (
    Frequency,
    Indicator,
    IndicatorStatus,
    IndicatorVersion,
    PeriodStatus,
    ReportingPeriod,
)
from indicators.services import calendar
from indicators.services.common import ValidationError

#: action: (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "open": (("planned", "closed"), "open"),
    "close": (("open",), "closed"),
    "lock": (("open", "closed"), "locked"),
    "unlock": (("locked",), "closed"),
}


def frequencies_in_use(session: so.Session) -> list[Frequency]:
    rows = session.scalars(
        sa.select(IndicatorVersion.frequency)
        .join(Indicator, Indicator.id == IndicatorVersion.indicator_id)
        .where(IndicatorVersion.is_current, Indicator.status == IndicatorStatus.ACTIVE)
        .distinct()
    )
    used = set(rows)
    return [f for f in Frequency if f.value in used]


def generate_periods(
    session: so.Session, year: int, frequencies: list[Frequency] | None = None
) -> list[ReportingPeriod]:
    """Create the missing periods of ``year``; existing ones are left as they are."""
    if not 2000 <= year <= 2100:
        raise ValidationError(_("Choose a year between 2000 and 2100."), "year")
    frequencies = frequencies if frequencies is not None else frequencies_in_use(session)
    existing = set(
        session.scalars(sa.select(ReportingPeriod.code).where(ReportingPeriod.year == year))
    )
    created = []
    for frequency in frequencies:
        for spec in calendar.periods_of_year(frequency, year):
            if spec.code in existing:
                continue
            period = ReportingPeriod(
                code=spec.code,
                frequency=spec.frequency.value,
                year=year,
                start_date=spec.start,
                end_date=spec.end,
                deadline=spec.default_deadline,
                status=PeriodStatus.PLANNED.value,
            )
            session.add(period)
            created.append(period)
    session.flush()
    return created


def change_status(
    session: so.Session, period: ReportingPeriod, action: str, reason: str = ""
) -> None:
    if action not in TRANSITIONS:
        raise ValidationError(_("Unknown action."))
    sources, target = TRANSITIONS[action]
    if period.status not in sources:
        raise ValidationError(
            _(
                "Period %(period)s is %(status)s; it cannot be changed that way.",
                period=period.code,
                status=period.status_enum.title.lower(),
            )
        )
    if action == "unlock" and not (reason or "").strip():
        raise ValidationError(_("Say why the period is unlocked."), "reason")
    period.status = target
    session.flush()


def set_deadline(session: so.Session, period: ReportingPeriod, deadline: date | None) -> None:
    if deadline is None:
        raise ValidationError(_("Choose a date."), "deadline")
    if deadline < period.end_date:
        raise ValidationError(
            _(
                "The deadline cannot be before the end of the period (%(end)s).",
                end=period.end_date.isoformat(),
            ),
            "deadline",
        )
    period.deadline = deadline
    session.flush()


def get_period(session: so.Session, code: str) -> ReportingPeriod | None:
    return session.scalar(sa.select(ReportingPeriod).where(ReportingPeriod.code == code))


def period_as_dict(period: ReportingPeriod) -> dict:
    return {
        "code": period.code,
        "frequency": period.frequency,
        "year": period.year,
        "startDate": period.start_date.isoformat(),
        "endDate": period.end_date.isoformat(),
        "deadline": period.deadline.isoformat(),
        "status": period.status,
    }
