"""Budget fixtures: the demo seed, and a tiny schedule whose figures are worked by hand
in docs/budget.md."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest
import sqlalchemy as sa

from budget.models import (
    BudgetLine,
    ExchangeRate,
    FundingSource,
    PlannedAmount,
    Schedule,
    Spending,
)
from leap_me import seeding
from stakeholders.models import Organisation


@pytest.fixture
def seeded(app, db):
    seeding.seed_all(db.session, Path(app.config["SEEDS_DIR"]), only=("budget",))
    db.session.commit()
    return db


@pytest.fixture
def tiny(app, db):
    """Two years, two sources (MOI, UNICEF), a USD line and a KHR line.

    2026: MOI 500 USD + 4,050,000 KHR (= 1,000 USD at 4,050); UNICEF 3,000 USD.
    2027: MOI 1,000 USD; UNICEF 2,000 USD. Path: 25 % in 2026, 100 % in 2028, linear.
    Spending 2026: Q1 MOI 100, UNICEF 600 (USD line); Q2 MOI 150 USD, 1,012,500 KHR."""
    orgs = {o.code: o for o in db.session.scalars(sa.select(Organisation))}
    db.session.add_all(
        [
            ExchangeRate(year=2026, khr_per_usd=D("4050")),
            ExchangeRate(year=2027, khr_per_usd=D("4100")),
            FundingSource(organisation=orgs["MOI"], position=0),
            FundingSource(organisation=orgs["UNICEF"], position=1),
        ]
    )
    sched = Schedule(
        name="Tiny",
        status="approved",
        current_share=D("0.25"),
        full_ownership_year=2028,
        path_mode="linear",
    )
    usd_line = BudgetLine(code="T-1", category="training", name_en="Courses", currency="USD")
    khr_line = BudgetLine(code="T-2", category="personnel", name_en="Allowances", currency="KHR")
    moi, unicef = orgs["MOI"].id, orgs["UNICEF"].id
    usd_line.amounts = [
        PlannedAmount(source_id=moi, year=2026, amount=D("500.00")),
        PlannedAmount(source_id=unicef, year=2026, amount=D("3000.00")),
        PlannedAmount(source_id=moi, year=2027, amount=D("1000.00")),
        PlannedAmount(source_id=unicef, year=2027, amount=D("2000.00")),
    ]
    khr_line.amounts = [PlannedAmount(source_id=moi, year=2026, amount=D("4050000"))]
    sched.lines = [usd_line, khr_line]
    db.session.add(sched)
    db.session.add_all(
        [
            Spending(line_code="T-1", source_id=moi, year=2026, quarter=1, amount=D("100")),
            Spending(line_code="T-1", source_id=unicef, year=2026, quarter=1, amount=D("600")),
            Spending(line_code="T-1", source_id=moi, year=2026, quarter=2, amount=D("150")),
            Spending(
                line_code="T-2",
                source_id=moi,
                year=2026,
                quarter=2,
                amount=D("1012500"),
                currency="KHR",
            ),
        ]
    )
    db.session.commit()
    return sched
