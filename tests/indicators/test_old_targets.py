"""Stored targets never vanish from the grid: after a change of frequency or measure the
old ones are listed, and can be re-split to the new periods or removed (confirmed and
audited)."""

from __future__ import annotations

from decimal import Decimal as D

import sqlalchemy as sa

from indicators import services
from indicators.models import Target
from leap_me.audit import AuditEntry


def _to_monthly(db):
    ind = services.get_indicator(db.session, "AHTJP-01")
    assert ind.current.frequency == "quarterly" and ind.current.agg_time == "sum"
    ind.current.frequency = "monthly"
    db.session.commit()
    return ind


def _targets(db, ind):
    db.session.expire_all()
    return services.targets_by_period(db.session, ind.id)


def test_old_targets_are_listed_in_the_grid(seeded, db, login, client):
    ind = _to_monthly(db)
    login("planner")
    page = client.get("/indicators/AHTJP-01/targets").get_data(as_text=True)
    assert "Targets of an earlier definition" in page
    assert "<td>2026Q1</td>" in page and "a period of another frequency" in page
    assert len(services.old_targets(db.session, ind)) == len(_targets(db, ind))


def test_resplit_to_the_new_frequency(seeded, db, login, client):
    """Hand-computed: 2026 national 55 + 55 + 55 + 55 = 220 a year, summed over time;
    220 / 12 = 18 remainder 4 → four months of 19, then eight of 18 (76 + 144 = 220).
    2027 already has a monthly target typed after the change: it is left alone."""
    ind = _to_monthly(db)
    db.session.add(Target(indicator_id=ind.id, period_code="202701", year=2027, value=D(5)))
    db.session.commit()
    before = _targets(db, ind)
    assert [before[(f"2026Q{i}", None)] for i in range(1, 5)] == [55] * 4
    login("planner")
    # without the confirmation nothing happens
    response = client.post("/indicators/AHTJP-01/targets/old/resplit")
    assert response.status_code == 302 and _targets(db, ind) == before
    response = client.post(
        "/indicators/AHTJP-01/targets/old/resplit", data={"confirm": "yes", "reason": "Monthly"}
    )
    assert response.status_code == 302
    after = _targets(db, ind)
    months = [after[(f"2026{m:02d}", None)] for m in range(1, 13)]
    assert months == [19, 19, 19, 19] + [18] * 8 and sum(months) == 220
    assert not any(code.startswith("2026Q") for code, _p in after)
    # 2027 kept its quarters and its one monthly target
    assert after[("202701", None)] == 5 and ("2027Q1", None) in after
    assert ("202702", None) not in after
    reasons = set(
        db.session.scalars(
            sa.select(AuditEntry.reason).where(AuditEntry.object_type == "indicator_target")
        )
    )
    assert "Monthly" in reasons
    page = client.get("/indicators/AHTJP-01/targets?year=2026").get_data(as_text=True)
    assert 'name="c-202601-KH" value="19"' in page


def test_remove_old_targets(seeded, db, login, client):
    ind = _to_monthly(db)
    count = len(_targets(db, ind))
    login("planner")
    response = client.post("/indicators/AHTJP-01/targets/old/remove", data={"confirm": "yes"})
    assert response.status_code == 302
    assert _targets(db, ind) == {}
    deleted = db.session.scalar(
        sa.select(sa.func.count(AuditEntry.id)).where(
            AuditEntry.object_type == "indicator_target", AuditEntry.action == "delete"
        )
    )
    assert deleted == count
    page = client.get("/indicators/AHTJP-01/targets").get_data(as_text=True)
    assert "Targets of an earlier definition" not in page


def test_a_measure_change_to_text_still_shows_the_targets(seeded, db, login, client):
    ind = services.get_indicator(db.session, "AHTJP-01")
    ind.current.measure = "text"
    db.session.commit()
    login("planner")
    page = client.get("/indicators/AHTJP-01/targets").get_data(as_text=True)
    assert "A text indicator has no numeric targets." in page
    assert "not a valid target for the current measure" in page
    assert "Re-split the old targets" not in page and "Remove the old targets" in page
