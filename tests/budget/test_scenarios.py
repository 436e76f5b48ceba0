"""What-if: a scenario is a copy; a donor's exit changes only the scenario; keeping it
archives the old schedule; throwing it away leaves the approved one as it was."""

from __future__ import annotations

from decimal import Decimal as D

import sqlalchemy as sa

from budget import services
from budget.models import PlannedAmount, Schedule
from leap_me.audit import AuditEntry
from stakeholders.models import Organisation


def _row(data, year):
    return next(r for r in data["years_rows"] if r["year"] == year)


def _unicef(db):
    return db.session.scalar(sa.select(Organisation.id).where(Organisation.code == "UNICEF"))


def test_donor_exit_changes_the_scenario_only(db, tiny):
    sc = services.create_scenario(db.session, "UNICEF leaves in 2027")
    db.session.commit()
    removed = services.donor_exit(db.session, sc, _unicef(db), 2027)
    db.session.commit()
    assert removed == 1
    scenario = services.compute(db.session, sc)
    approved = services.compute(db.session, tiny)
    # 2027 without UNICEF: total 1,000, MoI 1,000 → share 100 %, gap 0.625 × 1,000 − 1,000
    assert _row(scenario, 2027)["planned_usd"] == D("1000.00")
    assert _row(scenario, 2027)["moi_share"] == D("1.0000")
    assert _row(scenario, 2027)["gap_usd"] == D("-375.00")
    # the approved schedule is untouched
    assert _row(approved, 2027)["planned_usd"] == D("3000.00")
    assert _row(approved, 2027)["gap_usd"] == D("875.00")
    assert _row(scenario, 2026)["planned_usd"] == _row(approved, 2026)["planned_usd"]


def test_keep_archives_the_old_schedule(db, tiny, login, client):
    sc = services.create_scenario(db.session, "Faster path")
    db.session.commit()
    login("planner")
    r = client.post(
        f"/budget/scenarios/{sc.id}/path",
        data={"current_share": "30", "full_ownership_year": "2027", "mode": "linear"},
    )
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(Schedule, tiny.id).current_share == D("0.2500")  # untouched
    r = client.post(f"/budget/scenarios/{sc.id}/keep")
    assert r.status_code == 302
    db.session.expire_all()
    assert services.approved_schedule(db.session).id == sc.id
    assert db.session.get(Schedule, tiny.id).status == "archived"
    data = services.schedule_summary(db.session)
    assert _row(data, 2027)["path_share"] == D("1.0000")
    # the trail says who did it and why
    entries = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.object_type == "budget_schedule", AuditEntry.field == "status"
        )
    ).all()
    assert {e.new_value for e in entries} >= {"archived", "approved"}
    assert all(e.actor == "planner" for e in entries)


def test_discard_leaves_the_approved_schedule(db, tiny, login, client):
    before = db.session.scalar(sa.select(sa.func.count(PlannedAmount.id)))
    login("planner")
    r = client.post("/budget/scenarios", data={"name": "Try"})
    assert r.status_code == 302
    sc_id = int(r.location.rstrip("/").split("/")[-1])
    page = client.get(f"/budget/scenarios/{sc_id}").get_data(as_text=True)
    assert "Try" in page and "scenario-compare" in page
    r = client.post(
        f"/budget/scenarios/{sc_id}/exit",
        data={"source_id": str(_unicef(db)), "from_year": "2026"},
    )
    assert r.status_code == 302
    page = client.get(f"/budget/scenarios/{sc_id}").get_data(as_text=True)
    assert "UNICEF stops funding from 2026" in page
    # 2026 loses UNICEF's 3,000 USD, 2027 its 2,000: both shown as not funded
    assert "3,000.00" in page and "5,000.00" in page
    assert client.post(f"/budget/scenarios/{sc_id}/discard").status_code == 302
    assert db.session.get(Schedule, sc_id) is None
    assert db.session.scalar(sa.select(sa.func.count(PlannedAmount.id))) == before
    assert services.approved_schedule(db.session).id == tiny.id
    assert client.get(f"/budget/scenarios/{sc_id}").status_code == 404


def test_hand_made_donor_exit_post_cannot_remove_the_ministry(db, tiny, login, client):
    sc = services.create_scenario(db.session, "Hand-made POST")
    db.session.commit()
    moi = db.session.scalar(sa.text("SELECT id FROM organisation WHERE code = 'MOI'"))
    count = sa.select(sa.func.count(PlannedAmount.id)).where(PlannedAmount.source_id == moi)
    before = db.session.scalar(count)
    login("planner")
    r = client.post(
        f"/budget/scenarios/{sc.id}/exit", data={"source_id": moi, "from_year": 2026}
    )
    assert r.status_code == 302
    assert db.session.scalar(count) == before  # the Ministry is not a choice of the form
    r = client.post(
        f"/budget/scenarios/{sc.id}/exit", data={"source_id": _unicef(db), "from_year": 1999}
    )
    assert db.session.scalar(count) == before
    r = client.post(
        f"/budget/scenarios/{sc.id}/exit", data={"source_id": _unicef(db), "from_year": 2027}
    )
    assert r.status_code == 302
