"""Issue 8 item 7: recording spending where an amount is already recorded shows it and
asks before replacing it; the confirmed replacement is in the audit trail (old → new)."""

from __future__ import annotations

import re
from decimal import Decimal as D

import sqlalchemy as sa

from budget.models import Spending
from leap_me.audit import AuditEntry


def _q2_khr(db) -> Spending:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(Spending).where(
            Spending.line_code == "T-2", Spending.year == 2026, Spending.quarter == 2
        )
    )


def test_no_overwrite_without_confirmation(db, tiny, login, client):
    login("planner")
    moi = db.session.scalar(sa.text("SELECT id FROM organisation WHERE code = 'MOI'"))
    data = {"line": "T-2", "source_id": moi, "year": 2026, "quarter": 2, "amount": "1000"}
    response = client.post("/budget/spending", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Spending is already recorded for T-2, MOI, 2026 Q2: 1,012,500 KHR." in page
    assert "Saving replaces it with 1,000 KHR." in page
    assert _q2_khr(db).amount == D("1012500")  # nothing written
    assert not db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.object_type == "budget_spending", AuditEntry.action == "update")
    )
    token = re.search(r'<input[^>]*name="replaces"[^>]*value="([^"]+)"', page)
    assert token, "the form carries the confirmation"
    # a forged confirmation for another amount is refused too
    forged = client.post("/budget/spending", data={**data, "replaces": "T-2/1/2026/2:5"})
    assert forged.status_code == 400 and _q2_khr(db).amount == D("1012500")
    # confirming for another quarter does not replace this one
    other = {**data, "quarter": 1, "replaces": token.group(1)}
    assert client.post("/budget/spending", data=other).status_code == 302  # Q1: new row
    assert _q2_khr(db).amount == D("1012500")
    # with the confirmation: replaced, and the trail has old → new
    confirmed = client.post("/budget/spending", data={**data, "replaces": token.group(1)})
    assert confirmed.status_code == 302
    assert _q2_khr(db).amount == D("1000")
    entry = db.session.scalar(
        sa.select(AuditEntry).where(
            AuditEntry.object_type == "budget_spending",
            AuditEntry.action == "update",
            AuditEntry.field == "amount",
        )
    )
    assert (D(entry.old_value), D(entry.new_value)) == (D("1012500"), D("1000"))


def test_the_same_amount_again_needs_no_confirmation(db, tiny, login, client):
    login("planner")
    moi = db.session.scalar(sa.text("SELECT id FROM organisation WHERE code = 'MOI'"))
    data = {"line": "T-2", "source_id": moi, "year": 2026, "quarter": 2, "amount": "1012500"}
    assert client.post("/budget/spending", data=data).status_code == 302
