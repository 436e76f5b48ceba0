"""The path is compared within a stated rounding tolerance of USD 1 (docs/budget.md §2).

Hand-computed on the tiny schedule: 2026 plans MOI 500 USD + 4,050,000 KHR (= 1,000 USD
at 4,050) and UNICEF u USD; the path asks 25 %. Gap = 0.25 × (1,500 + u) − 1,500.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from budget import calc, services
from budget.models import BudgetLine, PlannedAmount
from stakeholders.models import Organisation


@pytest.mark.parametrize(
    ("gap", "reading"),
    [
        (D("0.48"), "on"),
        (D("1.00"), "on"),
        (D("1.01"), "below"),
        (D("-1.00"), "on"),
        (D("-1.01"), "above"),
        (D("0"), "on"),
        (None, None),
    ],
)
def test_reading_of_a_gap(gap, reading):
    assert calc.path_reading(gap) == reading


def _set_unicef_2026(db, amount: str) -> None:
    unicef = db.session.scalar(sa.select(Organisation.id).where(Organisation.code == "UNICEF"))
    cell = db.session.scalar(
        sa.select(PlannedAmount)
        .join(BudgetLine)
        .where(
            BudgetLine.code == "T-1", PlannedAmount.source_id == unicef, PlannedAmount.year == 2026
        )
    )
    cell.amount = D(amount)
    db.session.commit()


def _year(db, year: int) -> dict:
    data = services.schedule_summary(db.session)
    return next(r for r in data["years_rows"] if r["year"] == year), data


@pytest.mark.parametrize(
    ("unicef", "gap", "below"),
    [
        ("4501.92", D("0.48"), False),  # 0.25 × 6,001.92 = 1,500.48 → 0.48: rounding
        ("4504.00", D("1.00"), False),  # exactly the tolerance: still on the path
        ("4504.04", D("1.01"), True),  # 0.25 × 6,004.04 = 1,501.01 → 1.01: below
    ],
)
def test_small_gap_is_not_below_the_path(db, tiny, unicef, gap, below):
    _set_unicef_2026(db, unicef)
    row, data = _year(db, 2026)
    assert row["gap_usd"] == gap
    assert row["below_path"] is below
    # 2027 stays 875.00 below the path (docs/budget.md): the total counts only real gaps
    assert data["totals"]["gap_to_cover_usd"] == D("875.00") + (gap if below else 0)


def test_page_states_the_tolerance(db, tiny, login, client):
    _set_unicef_2026(db, "4501.92")
    login("planner")
    page = client.get("/budget").get_data(as_text=True)
    assert "within the rounding tolerance" in page
    assert "only when its gap is more than 1.00 USD either way" in page
