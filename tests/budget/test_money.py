"""Money is exact on both databases (leap_me.db.Money)."""

from __future__ import annotations

from decimal import Decimal as D

import sqlalchemy as sa

from budget.models import PlannedAmount, Spending


def test_the_largest_amount_round_trips_exactly(db, tiny):
    row = db.session.scalars(sa.select(PlannedAmount)).first()
    row.amount = D("99999999999999.99")
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(PlannedAmount, row.id).amount == D("99999999999999.99")
    raw = db.session.scalar(sa.select(PlannedAmount.amount).where(PlannedAmount.id == row.id))
    assert raw == D("99999999999999.99") and isinstance(raw, D)
    found = db.session.scalar(
        sa.select(sa.func.count()).where(PlannedAmount.amount == D("99999999999999.99"))
    )
    assert found == 1


def test_sums_are_exact(db, tiny):
    rows = db.session.scalars(sa.select(Spending)).all()
    for r in rows:
        r.amount = D("0.10") if r.currency == "USD" else D("1")
    rows[0].amount = D("99999999999999.99") if rows[0].currency == "USD" else rows[0].amount
    db.session.commit()
    expected = sum((r.amount for r in rows), D(0))
    assert db.session.scalar(sa.select(sa.func.sum(Spending.amount))) == expected
