"""Two planners edit the same budget line, the path or the exchange rates."""

from __future__ import annotations

from decimal import Decimal as D

import sqlalchemy as sa

from budget.models import BudgetLine, ExchangeRate, PlannedAmount, Schedule
from tests.formdata import resubmit, set_fields, two_saves


def _amounts(db, code: str) -> dict:
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(PlannedAmount.source_id, PlannedAmount.year, PlannedAmount.amount)
        .join(BudgetLine)
        .where(BudgetLine.code == code)
    )
    return {(s, y): a for s, y, a in rows}


def test_budget_line_conflict(app, db, tiny):
    line = db.session.scalar(sa.select(BudgetLine).where(BudgetLine.code == "T-1"))
    moi = next(a.source_id for a in line.amounts if a.amount == D("500.00"))
    url = "/budget/lines/T-1/edit"
    cell = f"amt-{moi}-2026"
    two, page = two_saves(
        app,
        url,
        "planner",
        set_fields,
        first={cell: "700", "name_en": "Courses (first)"},
        second={cell: "900", "name_en": "Courses (second)"},
    )
    assert "Courses (first)" in page and "Courses (second)" in page
    assert "MOI 2026" in page and ">700<" in page and ">900<" in page
    assert _amounts(db, "T-1")[(moi, 2026)] == D("700.00")
    assert db.session.scalar(sa.select(BudgetLine.name_en).where(BudgetLine.code == "T-1")) == (
        "Courses (first)"
    )
    assert resubmit(two, url, page).status_code == 302
    assert _amounts(db, "T-1")[(moi, 2026)] == D("900.00")


def test_path_conflict(app, db, tiny):
    two, page = two_saves(
        app,
        "/budget/path",
        "planner",
        set_fields,
        first={"current_share": "30"},
        second={"current_share": "40"},
    )
    assert ">30<" in page and ">40<" in page
    db.session.expire_all()
    sched = db.session.scalar(sa.select(Schedule).where(Schedule.status == "approved"))
    assert sched.current_share == D("0.3")
    assert resubmit(two, "/budget/path", page).status_code == 302
    db.session.expire_all()
    assert db.session.get(Schedule, sched.id).current_share == D("0.4")


def test_rates_conflict(app, db, tiny):
    two, page = two_saves(
        app,
        "/budget/rates",
        "planner",
        set_fields,
        first={"rate-2027": "4120"},
        second={"rate-2027": "4200"},
    )
    assert ">4120<" in page and ">4200<" in page

    def rate():
        db.session.expire_all()
        return db.session.scalar(
            sa.select(ExchangeRate.khr_per_usd).where(ExchangeRate.year == 2027)
        )

    assert rate() == D("4120")
    assert resubmit(two, "/budget/rates", page).status_code == 302
    assert rate() == D("4200")


def test_keeping_a_scenario_warns_when_the_approved_schedule_changed(app, db, tiny, login, client):
    from budget import services

    sc = services.create_scenario(db.session, "What if")
    db.session.commit()
    assert sc.based_on_fingerprint
    login("planner")
    page = client.get(f"/budget/scenarios/{sc.id}").get_data(as_text=True)
    assert "was changed after this scenario was copied" not in page
    # someone changes an amount of the approved schedule after the copy
    line = db.session.scalar(
        sa.select(BudgetLine).where(BudgetLine.code == "T-1", BudgetLine.schedule_id == tiny.id)
    )
    line.amounts[0].amount += 1
    db.session.commit()
    page = client.get(f"/budget/scenarios/{sc.id}").get_data(as_text=True)
    assert "The approved schedule was changed after this scenario was copied" in page
    assert 'name="confirm_changed"' in page
    response = client.post(f"/budget/scenarios/{sc.id}/keep")
    assert response.status_code == 302
    assert "tick the box to confirm" in client.get(response.location).get_data(as_text=True)
    db.session.expire_all()
    assert services.approved_schedule(db.session).id == tiny.id  # nothing changed
    response = client.post(f"/budget/scenarios/{sc.id}/keep", data={"confirm_changed": "yes"})
    assert response.status_code == 302
    db.session.expire_all()
    assert services.approved_schedule(db.session).id == sc.id
    from leap_me.audit import AuditEntry

    reasons = set(
        db.session.scalars(sa.select(AuditEntry.reason).where(AuditEntry.reason.is_not(None)))
    )
    assert any("(confirmed)" in r for r in reasons)


def test_a_scenario_of_an_unchanged_schedule_is_kept_without_the_question(db, tiny, login, client):
    from budget import services

    sc = services.create_scenario(db.session, "Same")
    db.session.commit()
    assert not services.approved_changed_since_copy(db.session, sc)
    login("planner")
    assert client.post(f"/budget/scenarios/{sc.id}/keep").status_code == 302
    db.session.expire_all()
    assert services.approved_schedule(db.session).id == sc.id
