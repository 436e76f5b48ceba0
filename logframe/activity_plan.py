"""The activity plan of a year: filtered in SQL, grouped by output, and the overdue list."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy import orm as so

from logframe.models import (
    ActivityStatus,
    Level,
    PlanVersion,
    Result,
    result_partner,
    result_province,
)

OPEN_STATUSES = (ActivityStatus.NOT_STARTED, ActivityStatus.ON_TRACK, ActivityStatus.DELAYED)


def _activities(version: PlanVersion) -> sa.Select:
    return (
        sa.select(Result)
        .where(Result.version_id == version.id, Result.level == Level.ACTIVITY)
        .options(
            so.joinedload(Result.responsible),
            so.selectinload(Result.partners),
            so.selectinload(Result.provinces),
        )
    )


def activities_for_year(
    session: so.Session,
    version: PlanVersion,
    year: int,
    org_id: int | None = None,
    province_id: int | None = None,
    status: str | None = None,
) -> list[Result]:
    """Activities running at any time in ``year``; ``org_id`` matches the lead or a partner."""
    stmt = _activities(version).where(
        Result.start_date <= date(year, 12, 31), Result.end_date >= date(year, 1, 1)
    )
    if org_id:
        partner = sa.select(result_partner.c.result_id).where(
            result_partner.c.organisation_id == org_id
        )
        stmt = stmt.where(sa.or_(Result.responsible_org_id == org_id, Result.id.in_(partner)))
    if province_id:
        stmt = stmt.where(
            Result.id.in_(
                sa.select(result_province.c.result_id).where(
                    result_province.c.province_id == province_id
                )
            )
        )
    if status:
        stmt = stmt.where(Result.status == status)
    return list(session.scalars(stmt).unique())


def overdue(session: so.Session, version: PlanVersion, today: date) -> list[Result]:
    """End date passed and neither completed nor cancelled."""
    stmt = _activities(version).where(
        Result.end_date < today, Result.status.in_([s.value for s in OPEN_STATUSES])
    )
    rows = list(session.scalars(stmt).unique())
    return sorted(rows, key=lambda r: (r.end_date, r.code))


def outputs_of(session: so.Session, version: PlanVersion) -> dict[int, Result]:
    rows = session.scalars(
        sa.select(Result).where(Result.version_id == version.id, Result.level == Level.OUTPUT)
    )
    return {r.id: r for r in rows}


def years_with_activities(session: so.Session, version: PlanVersion) -> list[int]:
    row = session.execute(
        sa.select(sa.func.min(Result.start_date), sa.func.max(Result.end_date)).where(
            Result.version_id == version.id, Result.level == Level.ACTIVITY
        )
    ).one()
    if row[0] is None:
        return []
    return list(range(row[0].year, row[1].year + 1))
