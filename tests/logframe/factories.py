"""A tiny plan for tests that need one of each level but not the whole seed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from logframe import editing
from logframe import versions as plan_versions
from logframe.models import Plan, PlanVersion


def tiny_plan(session, with_draft: bool = True) -> Plan:
    """Version 1 approved (goal G, outcome O1, output P1, activity A1); version 2 a draft."""
    plan = Plan(
        code="LEAP-SP", title_en="LEAP plan", title_km="ផែនការ", start_year=2026, end_year=2035
    )
    version = PlanVersion(plan=plan, number=1, vision_en="Vision", vision_km="ចក្ខុវិស័យ")
    session.add(plan)
    session.flush()
    txt = {"statement_en": "Statement", "statement_km": "សេចក្តីថ្លែង"}
    goal = editing.create_result(session, version, None, {**txt, "key": "G"})
    outcome = editing.create_result(session, version, goal, {**txt, "key": "O1"})
    output = editing.create_result(session, version, outcome, {**txt, "key": "P1"})
    editing.create_result(
        session,
        version,
        output,
        {
            **txt,
            "key": "A1",
            "start_date": date(2026, 3, 1),
            "end_date": date(2026, 9, 30),
            "status": "on_track",
            "progress": 30,
            "cost": Decimal("1500.00"),
        },
    )
    plan_versions.approve_version(session, version, None)
    if with_draft:
        plan_versions.start_draft(session, plan)
    session.commit()
    return plan
