"""Fixtures for the indicators tests: a plan loaded from seeds/plan.yaml (a minimal
loader: the logframe's own loader is not needed here) and the indicator seed."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from leap_me.extensions import db as _db
from leap_me.seeding import load_yaml

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def load_plan(session) -> None:
    from logframe.models import Plan, PlanVersion, Result

    data = load_yaml(SEEDS / "plan.yaml")
    p = data["plan"]
    plan = Plan(
        code=p["code"], title_en=p["title_en"], start_year=p["start_year"], end_year=p["end_year"]
    )
    version = PlanVersion(plan=plan, number=1)
    session.add_all([plan, version])

    def add(items, parent, level_default):
        for pos, item in enumerate(items):
            key = item["key"]
            result = Result(
                version=version,
                key=key,
                parent=parent,
                level=item.get("level", level_default),
                position=pos,
                code="" if key == "G" else key.lstrip("OA"),
                statement_en=item["statement_en"],
                statement_km=item.get("statement_km", ""),
            )
            session.add(result)
            add(item.get("children", []), result, "output")
            add(item.get("activities", []), result, "activity")

    add(data["results"], None, "goal")
    session.flush()


@pytest.fixture
def plan(db):
    load_plan(db.session)
    db.session.commit()
    return db.session


@pytest.fixture
def seeded(plan):
    """The plan, plus disaggregations, the twenty-odd indicators and 2026's periods."""
    from indicators.services import seed_steps

    for name, step in seed_steps():
        if name in ("crosschecks", "submissions"):  # demo data: their own tests load them
            continue
        step(_db.session, SEEDS)
    _db.session.commit()
    return _db.session


@pytest.fixture
def org(db):
    from stakeholders.models import Organisation

    def _org(code: str):
        return db.session.scalar(sa.select(Organisation).where(Organisation.code == code))

    return _org


@pytest.fixture
def province(db):
    from stakeholders.models import Province

    def _province(code: str):
        return db.session.scalar(sa.select(Province).where(Province.code == code))

    return _province
