"""The budget's rules and writes: schedules and scenarios, lines, the path, rates,
spending, the delete guard and the seed. No request, no commit.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy import orm as so

from budget import calc
from budget.compute import MOI, compute, plan_years, rates, sources
from budget.models import (
    BudgetLine,
    ExchangeRate,
    FundingSource,
    PathMode,
    PathPoint,
    PlannedAmount,
    Schedule,
    ScheduleStatus,
    Spending,
)
from leap_me import locking
from leap_me.i18n import coded_name
from logframe import services as logframe
from stakeholders.models import Organisation

__all__ = ["compute", "plan_years", "rates", "sources", "schedule_summary"]


# --- reads -------------------------------------------------------------------------


def approved_schedule(session: so.Session) -> Schedule | None:
    return session.scalar(
        sa.select(Schedule)
        .options(so.selectinload(Schedule.path_points))
        .where(Schedule.status == ScheduleStatus.APPROVED)
        .order_by(Schedule.id.desc())
        .limit(1)
    )


def scenarios(session: so.Session) -> list[Schedule]:
    return list(
        session.scalars(
            sa.select(Schedule)
            .where(Schedule.status == ScheduleStatus.SCENARIO)
            .order_by(Schedule.id.desc())
        )
    )


def archived(session: so.Session) -> list[Schedule]:
    return list(
        session.scalars(
            sa.select(Schedule)
            .where(Schedule.status == ScheduleStatus.ARCHIVED)
            .order_by(Schedule.id.desc())
        )
    )


def schedule_summary(session: so.Session) -> dict[str, Any] | None:
    """The approved schedule as plain data (Decimal, int, str, bool, None) for reports:
    per year totals, MoI share, path, gap and execution; per source, line and output."""
    schedule = approved_schedule(session)
    if schedule is None:
        return None
    return compute(session, schedule)


def result_choices(session: so.Session, lang: str = "en") -> list[tuple[str, str]]:
    out = [("", "—")]
    for r in logframe.result_options(session, levels=("output", "activity")):
        text = (r.statement_km if lang == "km" and r.statement_km else r.statement_en) or ""
        out.append((r.key, f"{r.code} {text[:90]}"))
    return out


def source_choices(session: so.Session) -> list[tuple[int, str]]:
    return [
        (s["id"], coded_name(s["code"], s["name_en"], s["name_km"]))
        for s in sources(session)
        if s["id"] is not None
    ]


def line_by_code(
    session: so.Session, schedule: Schedule, code: str, amounts: bool = True
) -> BudgetLine | None:
    """The line; ``amounts``: with its planned amounts and their sources loaded too (the
    form needs them; the line page reads its figures from :func:`compute`)."""
    stmt = sa.select(BudgetLine).where(
        BudgetLine.schedule_id == schedule.id, BudgetLine.code == code
    )
    if amounts:
        stmt = stmt.options(so.selectinload(BudgetLine.amounts).joinedload(PlannedAmount.source))
    return session.scalar(stmt)


# --- writes ------------------------------------------------------------------------


def save_line(
    session: so.Session,
    schedule: Schedule,
    line: BudgetLine | None,
    data: dict[str, Any],
    amounts: dict[tuple[int, int], Decimal],
) -> BudgetLine:
    """Create or update a line and set its planned amounts {(source_id, year): amount}.
    A zero or missing amount removes the cell."""
    if line is None:
        line = BudgetLine(schedule=schedule)
        session.add(line)
    for key in ("code", "category", "name_en", "name_km", "currency"):
        if key in data:
            setattr(line, key, data[key].strip() if isinstance(data[key], str) else data[key])
    line.result_key = data.get("result_key") or None
    session.flush()
    set_amounts(session, line, amounts)
    return line


def set_amounts(
    session: so.Session, line: BudgetLine, amounts: dict[tuple[int, int], Decimal]
) -> None:
    existing = {(a.source_id, a.year): a for a in line.amounts}
    orgs = _orgs_by_id(session, {k[0] for k in amounts})
    for key, value in amounts.items():
        value = calc.quantize(value, line.currency)
        cell = existing.get(key)
        if value == 0:
            if cell is not None:
                line.amounts.remove(cell)
        elif cell is None:
            line.amounts.append(PlannedAmount(source=orgs[key[0]], year=key[1], amount=value))
        elif cell.amount != value:
            cell.amount = value
    session.flush()


def _orgs_by_id(session: so.Session, ids: set[int]) -> dict[int, Organisation]:
    if not ids:
        return {}
    return {
        o.id: o for o in session.scalars(sa.select(Organisation).where(Organisation.id.in_(ids)))
    }


def delete_line(session: so.Session, line: BudgetLine) -> None:
    session.delete(line)
    session.flush()


def set_path(
    session: so.Session,
    schedule: Schedule,
    current_share: Decimal,
    full_year: int,
    mode: str,
    custom: dict[int, Decimal],
) -> None:
    schedule.current_share = calc.q_share(current_share)
    schedule.full_ownership_year = full_year
    schedule.path_mode = PathMode(mode).value
    wanted = {y: calc.q_share(s) for y, s in custom.items()} if mode == PathMode.CUSTOM else {}
    for point in list(schedule.path_points):
        if point.year not in wanted:
            schedule.path_points.remove(point)
        elif point.share != wanted[point.year]:
            point.share = wanted[point.year]
    have = {p.year for p in schedule.path_points}
    for year, value in sorted(wanted.items()):
        if year not in have:
            schedule.path_points.append(PathPoint(year=year, share=value))
    session.flush()


def set_rate(session: so.Session, year: int, khr_per_usd: Decimal) -> ExchangeRate:
    rate = session.scalar(sa.select(ExchangeRate).where(ExchangeRate.year == year))
    if rate is None:
        rate = ExchangeRate(year=year, khr_per_usd=khr_per_usd)
        session.add(rate)
    elif rate.khr_per_usd != khr_per_usd:
        rate.khr_per_usd = khr_per_usd
    session.flush()
    return rate


def start_schedule(session: so.Session, years: list[int]) -> Schedule:
    """An empty approved schedule, for a site installed without the demo seed."""
    schedule = Schedule(
        name="Cost-sharing schedule",
        status=ScheduleStatus.APPROVED.value,
        current_share=calc.ZERO,
        full_ownership_year=years[-1] if years else datetime.now(UTC).year + 9,
        path_mode=PathMode.LINEAR.value,
        approved_dt=datetime.now(UTC),
    )
    session.add(schedule)
    moi = session.scalar(sa.select(Organisation).where(Organisation.code == MOI))
    if moi is not None:
        add_funding_source(session, moi)
    session.flush()
    return schedule


def source_candidates(session: so.Session) -> list[tuple[int, str]]:
    """Active organisations that are not yet funding sources."""
    taken = sa.select(FundingSource.organisation_id)
    rows = session.execute(
        sa.select(Organisation.id, Organisation.code, Organisation.name_en, Organisation.name_km)
        .where(Organisation.is_active.is_(True), Organisation.id.not_in(taken))
        .order_by(Organisation.code)
    )
    return [(r.id, coded_name(r.code, r.name_en, r.name_km)) for r in rows]


def add_funding_source(session: so.Session, organisation: Organisation) -> FundingSource:
    existing = session.scalar(
        sa.select(FundingSource).where(FundingSource.organisation_id == organisation.id)
    )
    if existing:
        return existing
    position = session.scalar(sa.select(sa.func.max(FundingSource.position))) or 0
    fs = FundingSource(organisation=organisation, position=position + 1)
    session.add(fs)
    session.flush()
    return fs


class ReplaceNeeded(Exception):
    """Spending is already recorded for that line, source and quarter: the caller must
    show it and ask before replacing it (``replaces`` = the amount the user saw)."""

    def __init__(self, row: Spending) -> None:
        super().__init__(row.line_code)
        self.row = row


#: ``replaces`` for callers that have already shown what will change (upload dry run).
ANY = object()


def record_spending(
    session: so.Session,
    line: BudgetLine,
    source_id: int,
    year: int,
    quarter: int,
    amount: Decimal,
    note: str = "",
    *,
    replaces: Decimal | None | object = None,
) -> Spending:
    """Set the spending of one quarter; the trail keeps the old and the new amount.

    An amount already recorded is never replaced silently: unless ``replaces`` equals the
    stored amount (the user saw it and confirmed) or is :data:`ANY`, a different amount or
    note raises :class:`ReplaceNeeded` and nothing is written."""
    row = session.scalar(
        sa.select(Spending).where(
            Spending.line_code == line.code,
            Spending.source_id == source_id,
            Spending.year == year,
            Spending.quarter == quarter,
        )
    )
    amount = calc.quantize(amount, line.currency)
    if row is None:
        row = Spending(
            line_code=line.code,
            source_id=source_id,
            year=year,
            quarter=quarter,
            amount=amount,
            currency=line.currency,
            note=note,
        )
        session.add(row)
    else:
        changes = (
            row.amount != amount or row.currency != line.currency or (note and note != row.note)
        )
        confirmed = replaces is ANY or (isinstance(replaces, Decimal) and replaces == row.amount)
        if changes and not confirmed:
            raise ReplaceNeeded(row)
        if row.amount != amount:
            row.amount = amount
        row.currency = line.currency
        if note:
            row.note = note
    session.flush()
    return row


# --- scenarios ---------------------------------------------------------------------


def copy_schedule(session: so.Session, source: Schedule, name: str, status: str) -> Schedule:
    """A full copy (path, lines, amounts); the source is not touched."""
    copy = Schedule(
        name=name,
        status=status,
        current_share=source.current_share,
        full_ownership_year=source.full_ownership_year,
        path_mode=source.path_mode,
        is_demo=source.is_demo,
        based_on_id=source.id,
        path_points=[PathPoint(year=p.year, share=p.share) for p in source.path_points],
    )
    lines = session.scalars(
        sa.select(BudgetLine)
        .options(so.selectinload(BudgetLine.amounts).joinedload(PlannedAmount.source))
        .where(BudgetLine.schedule_id == source.id)
    ).all()
    for ln in lines:
        copy.lines.append(
            BudgetLine(
                code=ln.code,
                category=ln.category,
                name_en=ln.name_en,
                name_km=ln.name_km,
                result_key=ln.result_key,
                currency=ln.currency,
                amounts=[
                    PlannedAmount(source=a.source, year=a.year, amount=a.amount) for a in ln.amounts
                ],
            )
        )
    session.add(copy)
    session.flush()
    return copy


def create_scenario(session: so.Session, name: str) -> Schedule:
    approved = approved_schedule(session)
    if approved is None:
        raise ValueError(_("There is no approved schedule to copy."))
    copy = copy_schedule(session, approved, name, ScheduleStatus.SCENARIO.value)
    copy.based_on_fingerprint = schedule_fingerprint(session, approved)
    session.flush()
    return copy


def schedule_fingerprint(session: so.Session, schedule: Schedule) -> str:
    """What a scenario copies from a schedule (path, lines, amounts), as one token: it
    changes whenever any of it changes, whichever page or upload changed it."""
    path = session.execute(
        sa.select(PathPoint.year, PathPoint.share).where(PathPoint.schedule_id == schedule.id)
    ).all()
    lines = session.execute(
        sa.select(
            BudgetLine.code,
            BudgetLine.category,
            BudgetLine.name_en,
            BudgetLine.name_km,
            BudgetLine.result_key,
            BudgetLine.currency,
        ).where(BudgetLine.schedule_id == schedule.id)
    ).all()
    amounts = session.execute(
        sa.select(
            BudgetLine.code, PlannedAmount.source_id, PlannedAmount.year, PlannedAmount.amount
        )
        .join(PlannedAmount.line)
        .where(BudgetLine.schedule_id == schedule.id)
    ).all()
    head = [("schedule", schedule.current_share, schedule.full_ownership_year, schedule.path_mode)]
    return locking.fingerprint(
        [*head, *(("path", *r) for r in path), *(("line", *r) for r in lines)]
        + [("amount", *r) for r in amounts]
    )


def approved_changed_since_copy(session: so.Session, scenario: Schedule) -> bool:
    """True when the approved schedule is no longer what this scenario was copied from."""
    approved = approved_schedule(session)
    if approved is None or scenario.status != ScheduleStatus.SCENARIO:
        return False
    if approved.id != scenario.based_on_id:
        return True  # another scenario was kept since
    if not scenario.based_on_fingerprint:
        return False  # made before fingerprints were kept: nothing to compare with
    return schedule_fingerprint(session, approved) != scenario.based_on_fingerprint


class ScheduleChanged(ValueError):
    """Keeping the scenario would undo changes made to the approved schedule since the copy."""


def donor_exit(session: so.Session, scenario: Schedule, source_id: int, from_year: int) -> int:
    """ "Donor X stops funding from year Y": its amounts from Y on leave the scenario."""
    if scenario.status != ScheduleStatus.SCENARIO:
        raise ValueError(_("Only a scenario can be changed this way."))
    cells = session.scalars(
        sa.select(PlannedAmount)
        .options(so.contains_eager(PlannedAmount.line), so.joinedload(PlannedAmount.source))
        .join(PlannedAmount.line)
        .where(
            BudgetLine.schedule_id == scenario.id,
            PlannedAmount.source_id == source_id,
            PlannedAmount.year >= from_year,
        )
    ).all()
    for cell in cells:
        session.delete(cell)
    session.flush()
    return len(cells)


def keep_scenario(session: so.Session, scenario: Schedule, confirmed: bool = False) -> Schedule:
    """The scenario becomes the approved schedule; the old one is kept as history.

    Refuses (``ScheduleChanged``) when the approved schedule changed after the scenario
    was copied, unless the planner ``confirmed`` that those changes may be replaced."""
    if scenario.status != ScheduleStatus.SCENARIO:
        raise ValueError(_("Only a scenario can be kept."))
    if not confirmed and approved_changed_since_copy(session, scenario):
        raise ScheduleChanged(
            _(
                "The approved schedule was changed after this scenario was copied from it. "
                "Keeping the scenario replaces those changes: tick the box to confirm."
            )
        )
    old = approved_schedule(session)
    if old is not None:
        old.status = ScheduleStatus.ARCHIVED.value
        session.flush()
    scenario.status = ScheduleStatus.APPROVED.value
    scenario.approved_dt = datetime.now(UTC)
    session.flush()
    return scenario


def discard_scenario(session: so.Session, scenario: Schedule) -> None:
    if scenario.status != ScheduleStatus.SCENARIO:
        raise ValueError(_("Only a scenario can be thrown away."))
    session.delete(scenario)
    session.flush()


# --- the logframe's delete guard --------------------------------------------------


def _guard(session: so.Session, result_keys: list[str]) -> list[str]:
    if not result_keys:
        return []
    rows = session.execute(
        sa.select(BudgetLine.result_key, BudgetLine.code)
        .join(Schedule, Schedule.id == BudgetLine.schedule_id)
        .where(
            BudgetLine.result_key.in_(result_keys),
            Schedule.status.in_([ScheduleStatus.APPROVED, ScheduleStatus.SCENARIO]),
        )
        .distinct()
        .order_by(BudgetLine.code)
    ).all()
    if not rows:
        return []
    codes = ", ".join(sorted({r.code for r in rows}))
    return [_("Budget lines %(codes)s are linked to this result.", codes=codes)]


logframe.register_delete_guard(_guard)


# --- seed --------------------------------------------------------------------------


def seed_steps():
    from budget.seed import seed_budget

    return [("budget", lambda s, d: seed_budget(s, d / "budget.yaml"))]
