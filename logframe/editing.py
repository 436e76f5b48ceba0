"""Writes to the results of a version: create, edit, move, delete, renumber, monitoring.

Plain functions taking the session; they flush but never commit. Every one refuses to
touch an approved version (``PlanError``), whatever page or script calls it: the freeze
is a rule of the domain, not a hidden button.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy import orm as so

from logframe.models import (
    ActivityStatus,
    Level,
    Plan,
    PlanVersion,
    Result,
    VersionStatus,
)
from logframe.services import (
    PlanError,
    build_tree,
    delete_blockers,
    draft_of,
    latest_approved,
    load_results,
)
from stakeholders.models import Organisation, Province

TEXT_FIELDS = (
    "statement_en",
    "statement_km",
    "assumptions_en",
    "assumptions_km",
    "risks_en",
    "risks_km",
    "verification_en",
    "verification_km",
)
ACTIVITY_FIELDS = (
    "start_date",
    "end_date",
    "status",
    "progress",
    "cost",
    "cost_currency",
    "delay_note_en",
    "delay_note_km",
)
MONITORING_FIELDS = (
    "status",
    "progress",
    "delay_note_en",
    "delay_note_km",
)  # models.MONITORING_FIELDS


def ensure_draft(version: PlanVersion) -> None:
    if version.status != VersionStatus.DRAFT:
        raise PlanError(
            _("Version %(number)d is approved and cannot be changed.", number=version.number)
        )


def new_key(level: str) -> str:
    """Fresh keys never reuse one of a deleted result, so comparisons stay honest."""
    return f"{level[0].upper()}-{uuid.uuid4().hex[:8]}"


# --- numbering ------------------------------------------------------------------------


def renumber(session: so.Session, version: PlanVersion) -> None:
    """Positions become 0..n-1 among siblings; codes follow them: 1, 1.2, 1.2.3."""
    session.flush()
    roots = build_tree(load_results(session, version))
    goal_count = 0

    def number(nodes, prefix: str) -> None:
        for i, node in enumerate(nodes):
            r = node.result
            if r.position != i:
                r.position = i
            code = f"{prefix}.{i + 1}" if prefix else str(i + 1)
            if r.code != code:
                r.code = code
            number(node.children, code)

    for i, root in enumerate(roots):
        r = root.result
        if r.position != i:
            r.position = i
        if r.level == Level.GOAL:
            goal_count += 1
            if r.code != "":
                r.code = ""
            number(root.children, "")
        else:  # an orphan outcome (no goal yet): number from the top
            number([root], "")
    session.flush()


# --- results ------------------------------------------------------------------------


def _orgs(session: so.Session, ids: list[int]) -> list[Organisation]:
    if not ids:
        return []
    return list(session.scalars(sa.select(Organisation).where(Organisation.id.in_(ids))))


def _provinces(session: so.Session, ids: list[int]) -> list[Province]:
    if not ids:
        return []
    return list(session.scalars(sa.select(Province).where(Province.id.in_(ids))))


def check_activity(plan: Plan, data: dict[str, Any]) -> dict[str, str]:
    """The activity rules, field by field, with translated messages (empty = fine)."""
    errors: dict[str, str] = {}
    start, end = data.get("start_date"), data.get("end_date")
    span_start, span_end = date(plan.start_year, 1, 1), date(plan.end_year, 12, 31)
    for name, value in (("start_date", start), ("end_date", end)):
        if value is None:
            errors[name] = _("Give a date.")
        elif not span_start <= value <= span_end:
            errors[name] = _(
                "The date must fall within the plan, %(start)d–%(end)d.",
                start=plan.start_year,
                end=plan.end_year,
            )
    if start and end and start > end and "end_date" not in errors:
        errors["end_date"] = _("The end date must be on or after the start date.")
    progress = data.get("progress")
    if progress is None or not 0 <= progress <= 100:
        errors["progress"] = _("Progress is a whole number from 0 to 100.")
    cost = data.get("cost")
    if cost is not None and (not isinstance(cost, Decimal) or cost < 0):
        errors["cost"] = _("The cost must be zero or more.")
    if data.get("status") not in {s.value for s in ActivityStatus}:
        errors["status"] = _("Choose a status.")
    if data.get("status") == ActivityStatus.DELAYED and not (
        (data.get("delay_note_en") or "").strip() or (data.get("delay_note_km") or "").strip()
    ):
        errors["delay_note_en"] = _("Say why the activity is delayed, in English or in Khmer.")
    return errors


def _check_statements(data: dict[str, Any]) -> None:
    if not (data.get("statement_en") or "").strip() or not (data.get("statement_km") or "").strip():
        raise PlanError(_("The statement is required in English and in Khmer."))


def _apply(session: so.Session, result: Result, data: dict[str, Any]) -> None:
    for name in TEXT_FIELDS:
        if name in data:
            value = (data[name] or "").strip()
            if getattr(result, name) != value:
                setattr(result, name, value)
    if "responsible_org_id" in data and result.responsible_org_id != data["responsible_org_id"]:
        result.responsible_org_id = data["responsible_org_id"] or None
    if "partner_ids" in data and {o.id for o in result.partners} != set(data["partner_ids"]):
        result.partners = _orgs(session, data["partner_ids"])
    if result.level == Level.ACTIVITY:
        if "province_ids" in data and {p.id for p in result.provinces} != set(data["province_ids"]):
            result.provinces = _provinces(session, data["province_ids"])
        for name in ACTIVITY_FIELDS:
            if name in data:
                value = data[name]
                if isinstance(value, str):
                    value = value.strip()
                if getattr(result, name) != value:
                    setattr(result, name, value)


def create_result(
    session: so.Session, version: PlanVersion, parent: Result | None, data: dict[str, Any]
) -> Result:
    ensure_draft(version)
    _check_statements(data)
    if parent is None:
        exists = session.scalar(
            sa.select(Result.id).where(Result.version_id == version.id, Result.level == Level.GOAL)
        )
        if exists:
            raise PlanError(_("The plan already has a goal; add outcomes under it."))
        level = Level.GOAL
    else:
        if parent.version_id != version.id:
            raise PlanError(_("The parent belongs to another version."))
        level = parent.level_enum.child
        if level is None:
            raise PlanError(_("Activities cannot hold other results."))
    if level == Level.ACTIVITY:
        errors = check_activity(version.plan, data)
        if errors:
            raise PlanError(" ".join(errors.values()))
    last = session.scalar(
        sa.select(sa.func.max(Result.position)).where(
            Result.version_id == version.id,
            Result.parent_id == parent.id if parent else Result.parent_id.is_(None),
        )
    )
    result = Result(
        version_id=version.id,
        key=data.get("key") or new_key(level),
        parent_id=parent.id if parent else None,
        level=level.value,
        position=(last + 1) if last is not None else 0,
        statement_en="",
    )
    session.add(result)
    _apply(session, result, data)
    session.flush()
    renumber(session, version)
    return result


def update_result(session: so.Session, result: Result, data: dict[str, Any]) -> Result:
    ensure_draft(result.version)
    _check_statements({**_current(result), **data})
    if result.level == Level.ACTIVITY:
        errors = check_activity(result.version.plan, {**_current(result), **data})
        if errors:
            raise PlanError(" ".join(errors.values()))
    _apply(session, result, data)
    session.flush()
    return result


def _current(result: Result) -> dict[str, Any]:
    return {name: getattr(result, name) for name in TEXT_FIELDS + ACTIVITY_FIELDS}


def move_result(session: so.Session, result: Result, direction: str) -> None:
    """Up or down among its siblings."""
    ensure_draft(result.version)
    siblings = list(
        session.scalars(
            sa.select(Result)
            .where(
                Result.version_id == result.version_id,
                Result.parent_id == result.parent_id
                if result.parent_id
                else Result.parent_id.is_(None),
            )
            .order_by(Result.position, Result.id)
        )
    )
    i = siblings.index(result)
    j = i - 1 if direction == "up" else i + 1
    if direction not in ("up", "down") or not 0 <= j < len(siblings):
        return
    siblings[i], siblings[j] = siblings[j], siblings[i]
    for pos, r in enumerate(siblings):
        if r.position != pos:
            r.position = pos
    renumber(session, result.version)


def reparent(session: so.Session, result: Result, new_parent: Result) -> None:
    """Move under another parent of the right level, as its last child."""
    ensure_draft(result.version)
    if new_parent.version_id != result.version_id:
        raise PlanError(_("The new parent belongs to another version."))
    if new_parent.level_enum.child != result.level_enum:
        raise PlanError(
            _(
                "A %(level)s can only sit under a %(parent)s.",
                level=result.level_enum.title.lower(),
                parent=Level(_parent_level(result.level_enum)).title.lower(),
            )
        )
    if new_parent.id == result.parent_id:
        return
    last = session.scalar(
        sa.select(sa.func.max(Result.position)).where(Result.parent_id == new_parent.id)
    )
    result.parent_id = new_parent.id
    result.position = (last + 1) if last is not None else 0
    renumber(session, result.version)


def _parent_level(level: Level) -> Level:
    order = list(Level)
    return order[max(0, order.index(level) - 1)]


def subtree_keys(session: so.Session, result: Result) -> list[str]:
    results = load_results(session, result.version)
    by_parent: dict[int | None, list[Result]] = {}
    for r in results:
        by_parent.setdefault(r.parent_id, []).append(r)
    keys, stack = [], [result]
    while stack:
        r = stack.pop()
        keys.append(r.key)
        stack.extend(by_parent.get(r.id, []))
    return keys


def delete_result(session: so.Session, result: Result) -> None:
    """Refused when the result has children, or when another domain holds data on it."""
    ensure_draft(result.version)
    has_children = session.scalar(
        sa.select(sa.func.count(Result.id)).where(Result.parent_id == result.id)
    )
    if has_children:
        raise PlanError(
            _(
                "%(code)s has %(n)d results under it. Delete or move them first.",
                code=result.code or _("Goal"),
                n=has_children,
            )
        )
    reasons = delete_blockers(session, subtree_keys(session, result))
    if reasons:
        raise PlanError(
            _("%(code)s cannot be deleted:", code=result.code or _("Goal"))
            + " "
            + " ".join(reasons)
        )
    version = result.version
    session.delete(result)
    session.flush()
    renumber(session, version)


# --- monitoring of the approved activity plan ---------------------------------------


def update_monitoring(session: so.Session, activity: Result, data: dict[str, Any]) -> None:
    """Status, progress and delay note are weekly monitoring data: planners keep them up to
    date in the current approved version (and in the draft's copy of the same activity),
    while everything else of an approved version stays frozen."""
    if activity.level != Level.ACTIVITY:
        raise PlanError(_("Only activities have monitoring data."))
    version = activity.version
    if version.is_approved and latest_approved(session, version.plan) is not version:
        raise PlanError(
            _("Version %(number)d is approved and cannot be changed.", number=version.number)
        )
    merged = {**_current(activity), **{k: data[k] for k in MONITORING_FIELDS if k in data}}
    errors = check_activity(version.plan, merged)
    errors = {k: v for k, v in errors.items() if k in MONITORING_FIELDS}
    if errors:
        raise PlanError(" ".join(errors.values()))
    targets = [activity]
    if version.is_approved and (draft := draft_of(session, version.plan)) is not None:
        twin = session.scalar(
            sa.select(Result).where(Result.version_id == draft.id, Result.key == activity.key)
        )
        if twin is not None:
            targets.append(twin)
    for target in targets:
        for name in MONITORING_FIELDS:
            if name in data:
                value = data[name].strip() if isinstance(data[name], str) else data[name]
                if getattr(target, name) != value:
                    setattr(target, name, value)
    session.flush()
