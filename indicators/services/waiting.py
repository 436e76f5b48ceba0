"""What waits for each role, for the dashboards: a fixed number of queries whatever the data.

- a partner: the open periods its organisation owes (no submission yet, a draft, or a
  submission returned to it), with their deadlines;
- a reviewer: the review queue (submitted, oldest first) and the open data-quality
  findings;
- a planner: the periods to open (ended but still planned) and to close or lock (their
  deadline passed).
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy import orm as so

from indicators.models import (
    Indicator,
    IndicatorStatus,
    IndicatorVersion,
    PeriodStatus,
    ReportingPeriod,
    Submission,
    SubmissionStatus,
)
from indicators.models.definitions import indicator_reporter
from indicators.models.quality import Finding
from stakeholders.models import Organisation

#: Findings a reviewer still has to decide.
OPEN_FINDING_STATES = ("open", "explained")


def owed_by(session: so.Session, organisation_id: int, today: date) -> list[dict]:
    """Open periods of a frequency the organisation reports on where its submission is
    missing, a draft or returned: one query. Overdue ones (deadline passed) first."""
    frequencies = (
        sa.select(IndicatorVersion.frequency)
        .join(Indicator, Indicator.id == IndicatorVersion.indicator_id)
        .join(indicator_reporter, indicator_reporter.c.indicator_id == Indicator.id)
        .where(
            IndicatorVersion.is_current,
            Indicator.status == IndicatorStatus.ACTIVE.value,
            indicator_reporter.c.organisation_id == organisation_id,
        )
    )
    stmt = (
        sa.select(
            ReportingPeriod.code,
            ReportingPeriod.deadline,
            ReportingPeriod.end_date,
            Submission.status,
            Submission.return_reason,
            Submission.updated_dt,
        )
        .outerjoin(
            Submission,
            sa.and_(
                Submission.period_id == ReportingPeriod.id,
                Submission.organisation_id == organisation_id,
            ),
        )
        .where(
            ReportingPeriod.status == PeriodStatus.OPEN.value,
            ReportingPeriod.frequency.in_(frequencies),
            sa.or_(
                Submission.id.is_(None),
                Submission.status.in_(
                    (SubmissionStatus.DRAFT.value, SubmissionStatus.RETURNED.value)
                ),
            ),
        )
        .order_by(ReportingPeriod.deadline, ReportingPeriod.code)
    )
    out = []
    for code, deadline, end, status, reason, updated in session.execute(stmt):
        out.append(
            {
                "period": code,
                "deadline": deadline,
                "end": end,
                "status": status or "missing",
                "return_reason": reason or "",
                "updated": updated,
                "overdue": deadline < today,
                "days_left": (deadline - today).days,
            }
        )
    return out


def review_queue(session: so.Session, limit: int = 10) -> tuple[list[dict], int]:
    """Submitted submissions, oldest first (at most ``limit``), and how many there are:
    two queries."""
    total = session.scalar(
        sa.select(sa.func.count())
        .select_from(Submission)
        .where(Submission.status == SubmissionStatus.SUBMITTED.value)
    )
    rows = session.execute(
        sa.select(
            Organisation.code,
            Organisation.name_en,
            Organisation.name_km,
            ReportingPeriod.code,
            ReportingPeriod.deadline,
            Submission.submitted_at,
        )
        .join(Organisation, Organisation.id == Submission.organisation_id)
        .join(ReportingPeriod, ReportingPeriod.id == Submission.period_id)
        .where(Submission.status == SubmissionStatus.SUBMITTED.value)
        .order_by(Submission.submitted_at.asc().nulls_last(), Submission.id)
        .limit(limit)
    ).all()
    queue = [
        {
            "org_code": org_code,
            "org_name_en": name_en,
            "org_name_km": name_km or name_en,
            "period": period,
            "deadline": deadline,
            "submitted_at": submitted_at,
            "late": bool(submitted_at and submitted_at.date() > deadline),
        }
        for org_code, name_en, name_km, period, deadline, submitted_at in rows
    ]
    return queue, int(total or 0)


def open_findings(session: so.Session) -> dict:
    """Active findings still to decide, by kind, and by period (latest periods first):
    two grouped queries."""
    open_ = sa.and_(Finding.active.is_(True), Finding.state.in_(OPEN_FINDING_STATES))
    by_kind = dict(
        session.execute(
            sa.select(Finding.kind, sa.func.count()).where(open_).group_by(Finding.kind)
        ).all()
    )
    by_period = [
        {"period": code, "count": int(n)}
        for code, _end, n in session.execute(
            sa.select(ReportingPeriod.code, ReportingPeriod.end_date, sa.func.count(Finding.id))
            .select_from(Finding)
            .join(ReportingPeriod, ReportingPeriod.id == Finding.period_id)
            .where(open_)
            .group_by(ReportingPeriod.code, ReportingPeriod.end_date)
            .order_by(ReportingPeriod.end_date.desc(), ReportingPeriod.code)
            .limit(6)
        )
    ]
    return {"by_kind": by_kind, "by_period": by_period, "total": sum(by_kind.values())}


def periods_to_act(session: so.Session, today: date, limit: int = 12) -> dict:
    """Periods a planner should act on, in one query: ``to_open`` (ended, still planned)
    and ``to_lock`` (open or closed with their deadline passed)."""
    rows = session.execute(
        sa.select(
            ReportingPeriod.code,
            ReportingPeriod.status,
            ReportingPeriod.end_date,
            ReportingPeriod.deadline,
        )
        .where(
            sa.or_(
                sa.and_(
                    ReportingPeriod.status == PeriodStatus.PLANNED.value,
                    ReportingPeriod.end_date < today,
                ),
                sa.and_(
                    ReportingPeriod.status.in_(
                        (PeriodStatus.OPEN.value, PeriodStatus.CLOSED.value)
                    ),
                    ReportingPeriod.deadline < today,
                ),
            )
        )
        .order_by(ReportingPeriod.end_date, ReportingPeriod.code)
    ).all()
    to_open = [
        {"period": c, "status": s, "end": e, "deadline": d}
        for c, s, e, d in rows
        if s == PeriodStatus.PLANNED.value
    ]
    to_lock = [
        {"period": c, "status": s, "end": e, "deadline": d, "days_late": (today - d).days}
        for c, s, e, d in rows
        if s != PeriodStatus.PLANNED.value
    ]
    return {
        "to_open": to_open[-limit:],
        "to_lock": to_lock[:limit],
        "to_open_total": len(to_open),
        "to_lock_total": len(to_lock),
    }


def recent_periods(session: so.Session, count: int = 2) -> list[ReportingPeriod]:
    """The latest opened periods (open, closed or locked), newest first, quarterly ones
    preferred: "the current and the last period" of the dashboards. One query."""
    rows = list(
        session.scalars(
            sa.select(ReportingPeriod)
            .where(ReportingPeriod.status != PeriodStatus.PLANNED.value)
            .order_by(ReportingPeriod.end_date.desc(), ReportingPeriod.code)
            .limit(40)
        )
    )
    quarters = [p for p in rows if p.frequency == "quarterly"]
    return (quarters or rows)[:count]
