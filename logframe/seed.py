"""``leap-me seed``: seeds/plan.yaml as approved version 1 of the plan."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import orm as so

from leap_me.db import utcnow
from leap_me.seeding import load_yaml
from logframe.editing import renumber
from logframe.models import (
    ActivityStatus,
    Level,
    Milestone,
    Plan,
    PlanVersion,
    Result,
    VersionStatus,
)
from stakeholders.models import Organisation


def seed_plan(session: so.Session, seeds_dir) -> int:
    """seeds/plan.yaml as approved version 1; skipped when the plan code exists."""
    from pathlib import Path

    from stakeholders.services import organisations_by_code, provinces_by_code

    path = Path(seeds_dir) / "plan.yaml"
    if not path.exists():
        return 0
    data = load_yaml(path)
    meta = data["plan"]
    if session.scalar(sa.select(Plan.id).where(Plan.code == meta["code"])):
        return 0
    orgs = organisations_by_code(session)
    provinces = provinces_by_code(session)
    plan = Plan(
        code=meta["code"],
        title_en=meta["title_en"],
        title_km=meta.get("title_km", ""),
        start_year=meta["start_year"],
        end_year=meta["end_year"],
    )
    vision = meta.get("vision", {})
    version = PlanVersion(
        plan=plan,
        number=1,
        status=VersionStatus.DRAFT.value,
        note=meta.get("note", ""),
        vision_en=vision.get("statement_en", ""),
        vision_km=vision.get("statement_km", ""),
    )
    for m in vision.get("milestones", []):
        version.milestones.append(
            Milestone(year=m["year"], text_en=m["text_en"], text_km=m["text_km"])
        )
    session.add(plan)
    session.flush()
    count = 0

    def org(code: str | None) -> Organisation | None:
        if not code:
            return None
        if code not in orgs:
            raise ValueError(f"plan.yaml: unknown organisation {code!r}")
        return orgs[code]

    def add(item: dict, parent: Result | None, level: str, position: int) -> None:
        nonlocal count
        result = Result(
            version_id=version.id,
            key=item["key"],
            parent_id=parent.id if parent else None,
            level=level,
            position=position,
            statement_en=item["statement_en"],
            statement_km=item.get("statement_km", ""),
            responsible=org(item.get("responsible") or item.get("lead")),
            partners=[org(c) for c in item.get("partners", [])],
        )
        for name in ("assumptions", "risks", "verification", "delay_note"):
            for lang in ("en", "km"):
                setattr(result, f"{name}_{lang}", item.get(f"{name}_{lang}") or "")
        if level == Level.ACTIVITY:
            result.provinces = [provinces[c] for c in item.get("provinces", [])]
            result.start_date = item["start"]
            result.end_date = item["end"]
            result.status = item.get("status", ActivityStatus.NOT_STARTED.value)
            result.progress = int(item.get("progress", 0))
            result.cost = (
                Decimal(str(item["cost_usd"])) if item.get("cost_usd") is not None else None
            )
            result.cost_currency = "USD"
        session.add(result)
        session.flush()
        count += 1
        children = item.get("children", [])
        for i, child in enumerate(children):
            add(child, result, child["level"], i)
        for i, act in enumerate(item.get("activities", [])):
            add(act, result, Level.ACTIVITY.value, len(children) + i)

    for i, item in enumerate(data.get("results", [])):
        add(item, None, item["level"], i)
    renumber(session, version)
    version.status = VersionStatus.APPROVED.value
    version.approved_dt = utcnow()
    session.flush()
    return count
