"""Versions of the plan: approval (the freeze), new drafts as copies, vision and milestones.

Plain functions taking the session; they flush but never commit.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy import orm as so

from leap_me.db import utcnow
from logframe.editing import ACTIVITY_FIELDS, TEXT_FIELDS, ensure_draft
from logframe.models import Level, Milestone, Plan, PlanVersion, Result, VersionStatus
from logframe.services import PlanError, build_tree, draft_of, latest_approved, load_results

# --- versions -------------------------------------------------------------------------


def approval_problems(session: so.Session, version: PlanVersion) -> list[str]:
    problems = []
    if not version.vision_en.strip() or not version.vision_km.strip():
        problems.append(_("The vision needs a statement in English and in Khmer."))
    results = load_results(session, version)
    if not any(r.level == Level.GOAL for r in results):
        problems.append(_("The logframe has no goal."))
    missing = sorted(
        (r for r in results if not r.statement_en.strip() or not r.statement_km.strip()),
        key=lambda r: r.code,
    )
    if missing:
        problems.append(
            _(
                "These results lack a statement in one language: %(codes)s.",
                codes=", ".join(r.code or _("Goal") for r in missing),
            )
        )
    return problems


def approve_version(session: so.Session, version: PlanVersion, user_id: int | None) -> None:
    ensure_draft(version)
    problems = approval_problems(session, version)
    if problems:
        raise PlanError(" ".join(problems))
    version.status = VersionStatus.APPROVED.value
    version.approved_dt = utcnow()
    version.approved_by_id = user_id
    session.flush()


def start_draft(session: so.Session, plan: Plan, note: str = "") -> PlanVersion:
    """Copy the latest approved version into a new draft, keeping every result's key."""
    if draft_of(session, plan) is not None:
        raise PlanError(_("There is already a draft. Approve it before starting another."))
    source = latest_approved(session, plan)
    if source is None:
        raise PlanError(_("There is no approved version to start from."))
    number = (
        session.scalar(
            sa.select(sa.func.max(PlanVersion.number)).where(PlanVersion.plan_id == plan.id)
        )
        or 0
    ) + 1
    draft = PlanVersion(
        plan=plan,
        number=number,
        status=VersionStatus.DRAFT.value,
        note=note,
        vision_en=source.vision_en,
        vision_km=source.vision_km,
        based_on=source,
    )
    session.add(draft)
    for m in source.milestones:
        draft.milestones.append(Milestone(year=m.year, text_en=m.text_en, text_km=m.text_km))
    session.add(draft)
    session.flush()
    results = load_results(session, source)
    copies: dict[int, Result] = {}
    for node in (n for root in build_tree(results) for n in root.walk()):
        r = node.result
        copy = Result(
            version_id=draft.id,
            key=r.key,
            parent_id=copies[r.parent_id].id if r.parent_id else None,
            level=r.level,
            position=r.position,
            code=r.code,
            responsible_org_id=r.responsible_org_id,
            partners=list(r.partners),
            provinces=list(r.provinces),
            cost_currency=r.cost_currency,
            **{
                name: getattr(r, name)
                for name in TEXT_FIELDS + ACTIVITY_FIELDS
                if name != "cost_currency"
            },
        )
        session.add(copy)
        session.flush()  # the children need its id
        copies[r.id] = copy
    return draft


def update_vision(
    session: so.Session, version: PlanVersion, data: dict[str, Any], milestones: list[dict]
) -> None:
    """The vision and its milestones, all at once: ``milestones`` is the full new list."""
    ensure_draft(version)
    if not (data.get("vision_en") or "").strip() or not (data.get("vision_km") or "").strip():
        raise PlanError(_("The vision needs a statement in English and in Khmer."))
    years = [m["year"] for m in milestones]
    plan = version.plan
    for m in milestones:
        if not plan.start_year <= m["year"] <= plan.end_year:
            raise PlanError(
                _(
                    "Milestone years must fall within the plan, %(start)d–%(end)d.",
                    start=plan.start_year,
                    end=plan.end_year,
                )
            )
        if not m["text_en"].strip() or not m["text_km"].strip():
            raise PlanError(_("Each milestone needs its text in English and in Khmer."))
    if len(set(years)) != len(years):
        raise PlanError(_("Give one milestone per year."))
    for name in ("vision_en", "vision_km", "note"):
        if name in data and getattr(version, name) != data[name].strip():
            setattr(version, name, data[name].strip())
    existing = {m.year: m for m in version.milestones}
    for year, m in list(existing.items()):
        if year not in years:
            version.milestones.remove(m)
    for item in milestones:
        m = existing.get(item["year"])
        if m is None:
            version.milestones.append(
                Milestone(
                    year=item["year"],
                    text_en=item["text_en"].strip(),
                    text_km=item["text_km"].strip(),
                )
            )
        else:
            for name in ("text_en", "text_km"):
                if getattr(m, name) != item[name].strip():
                    setattr(m, name, item[name].strip())
    session.flush()
