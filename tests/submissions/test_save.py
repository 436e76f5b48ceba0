"""The one save: rows owed, stored rows, invalid cells kept, refusals, conflicts, audit,
and a statement count that does not grow with the cells."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from indicators.models import DataValue, Submission, SubmissionEvent
from indicators.services import owed as owed_service
from indicators.services import submissions as S
from indicators.services.common import ValidationError
from leap_me.audit import AuditEntry


def _stored(db, sub):
    return {
        (v.indicator.code, v.province.code if v.province else None, v.disagg_key): v
        for v in db.session.scalars(sa.select(DataValue).where(DataValue.submission_id == sub.id))
    }


def test_owed_rows_are_indicators_x_provinces_x_combinations(seeded, db, org, period):
    rows = owed_service.owed_rows(db.session, org("AHTJP-SRP"), period("2026Q4"))
    codes = {r.indicator.code for r in rows}
    # quarterly indicators SRP is assigned to; not the monthly or MoJ ones
    assert {"AHTJP-01", "AHTJP-02", "LEAP-3.1", "LEAP-5.1"} <= codes
    assert "AHTJP-05" not in codes and "LEAP-G.1" not in codes and "LEAP-2.1" not in codes
    ahtjp02 = [r for r in rows if r.indicator.code == "AHTJP-02"]
    # sex 2 × age 4 × nationality 3 × victim type 5 = 120 parts + the total, one province
    assert len(ahtjp02) == 121
    assert sum(r.is_total for r in ahtjp02) == 1
    assert {r.province.code for r in ahtjp02} == {"KH-17"}
    part = next(r for r in ahtjp02 if not r.is_total)
    assert part.disagg_key.count("|") == 3 and part.label["en"]
    # a nationwide body (no provinces listed) owes every province
    moj = owed_service.owed_rows(db.session, org("MOJ"), period("2026S2"))
    assert {r.province.code for r in moj if r.indicator.code == "LEAP-G.1"} and len(
        {r.province.code for r in moj if r.indicator.code == "LEAP-G.1"}
    ) == 25
    # who owes: assigned organisations only
    owing = {o.code for o in owed_service.owing_organisations(db.session, period("2026Q4"))}
    assert "AHTJP-SRP" in owing and "UK-EMB" not in owing


def test_owed_rows_query_count_does_not_grow(seeded, db, org, period, count_queries):
    with count_queries() as small:
        owed_service.owed_rows(db.session, org("AHTJP-SRP"), period("2026Q4"))
    with count_queries() as big:
        owed_service.owed_rows(db.session, org("MOSVY"), period("2026Q4"))  # 25 provinces
    assert big.count <= small.count + 2 and big.count <= 12


def test_save_stores_values_keeps_invalid_cells_and_refuses_rows_not_owed(db, sub, cell, user):
    s = sub()
    result = S.save(
        db.session,
        s,
        [
            cell("AHTJP-01", value="12", comment="from the register"),
            cell("AHTJP-01", disagg="victim_type:other", value="1O"),  # letter O
            cell("LEAP-5.1", disagg="", numerator="9", denominator="8"),
            cell("LEAP-3.1", numerator="5", denominator="0"),
            cell("AHTJP-01", prov="KH-12", value="3"),  # SRP does not cover Phnom Penh
            cell("AHTJP-01", disagg="victim_type:other"[:0] + "sex:F", value="3"),
        ],
        user=user("partner"),
        expected_version=s.version,
    )
    db.session.commit()
    assert result.counts == {"new": 1, "changed": 0, "unchanged": 0, "refused": 2, "invalid": 3}
    rows = _stored(db, s)
    assert set(rows) == {
        ("AHTJP-01", "KH-17", ""),
        ("AHTJP-01", "KH-17", "victim_type:other"),
        ("LEAP-5.1", "KH-17", ""),
        ("LEAP-3.1", "KH-17", ""),
    }
    good = rows[("AHTJP-01", "KH-17", "")]
    assert good.value == 12 and good.error is None and good.comment == "from the register"
    assert good.status == "draft" and good.raw_value is None
    bad = rows[("AHTJP-01", "KH-17", "victim_type:other")]
    assert bad.value is None and bad.raw_value == "1O" and "not a number" in bad.error
    pct = rows[("LEAP-5.1", "KH-17", "")]
    assert pct.raw_numerator == "9" and pct.raw_denominator == "8" and pct.numerator is None
    zero = rows[("LEAP-3.1", "KH-17", "")]
    assert zero.denominator is None and zero.raw_denominator == "0" and zero.error
    refused = [c for c in result.cells if c.status == "refused"]
    assert {c.errors[0].code for c in refused} == {"not_owed"}
    # the grid shows the invalid cells as invalid, with what was typed
    g = S.grid(db.session, s)
    assert g.counts["errors"] == 3 and g.counts["filled"] == 4
    # a second save: corrected cell changes, the good one is unchanged
    result = S.save(
        db.session,
        s,
        [cell("AHTJP-01", value="12"), cell("AHTJP-01", disagg="victim_type:other", value="10")],
        user=user("partner"),
        expected_version=result.version,
    )
    db.session.commit()
    assert [c.status for c in result.cells] == ["unchanged", "changed"]
    fixed = _stored(db, s)[("AHTJP-01", "KH-17", "victim_type:other")]
    assert fixed.value == 10 and fixed.error is None and fixed.raw_value is None


def test_save_writes_the_audit_trail_in_bulk_and_an_event(db, sub, cell, user):
    s = sub()
    r = S.save(db.session, s, [cell("AHTJP-01", value="12")], user=user("partner"),
               expected_version=s.version)
    S.save(db.session, s, [cell("AHTJP-01", value="14")], user=user("partner"),
           expected_version=r.version)
    db.session.commit()
    value = _stored(db, s)[("AHTJP-01", "KH-17", "")]
    entries = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.object_type == "data_value", AuditEntry.object_id == str(value.id)
        ).order_by(AuditEntry.id)
    ).all()
    assert [e.action for e in entries] == ["create", "update"]
    assert (entries[1].field, entries[1].old_value, entries[1].new_value) == (
        "value", "12.000000", "14"
    ) or (entries[1].old_value.startswith("12") and entries[1].new_value.startswith("14"))
    assert entries[1].parent_type == "submission" and entries[1].parent_id == str(s.id)
    events = db.session.scalars(
        sa.select(SubmissionEvent.action).where(SubmissionEvent.submission_id == s.id)
    ).all()
    assert sorted(events) == ["created", "saved", "saved"]


def test_dry_run_writes_nothing(db, sub, cell, user):
    s = sub()
    before = s.version
    result = S.save(db.session, s, [cell("AHTJP-01", value="12")], user=user("partner"),
                    expected_version=s.version, dry_run=True)
    db.session.commit()
    assert result.counts["new"] == 1 and _stored(db, s) == {}
    assert db.session.get(Submission, s.id).version == before


@pytest.mark.parametrize("status", ["planned", "closed", "locked"])
def test_only_an_open_period_takes_values(db, sub, cell, user, status):
    s = sub(status=status)
    with pytest.raises(S.SaveRefused, match=status if status != "planned" else "not open"):
        S.save(db.session, s, [cell("AHTJP-01", value="12")], user=user("partner"),
               expected_version=s.version)
    assert _stored(db, s) == {}


def test_record_value_refuses_a_planned_period(seeded, db, org, period, indicator):
    from indicators.services import record_value

    with pytest.raises(ValidationError, match="not open"):
        record_value(db.session, indicator=indicator("LEAP-1.1"), period=period("2026"),
                     organisation=org("MOI"), value="1")


def test_conflict_lists_both_versions_and_writes_nothing(db, sub, cell, user):
    s = sub()
    start = s.version
    S.save(db.session, s, [cell("AHTJP-01", value="12")], user=user("partner"),
           expected_version=start)
    db.session.commit()
    with pytest.raises(S.ConflictError) as info:
        S.save(db.session, s, [cell("AHTJP-01", value="15"), cell("AHTJP-03", value="2")],
               user=user("partner"), expected_version=start)
    err = info.value
    assert err.theirs == start + 1 and err.mine == start
    by_key = {c["key"][0]: c for c in err.cells}
    assert len(err.cells) == 2
    ahtjp01 = next(c for k, c in by_key.items() if c["theirs"].get("value") == "12")
    assert ahtjp01["mine"]["value"] == "15"
    db.session.rollback()
    assert _stored(db, s)[("AHTJP-01", "KH-17", "")].value == 12


def test_approved_values_are_refused_unless_reopened(db, sub, cell, user):
    s = sub()
    r = S.save(db.session, s, [cell("AHTJP-01", value="12")], user=user("partner"),
               expected_version=s.version)
    S.submit(db.session, s, user=user("partner"))
    S.approve(db.session, s, user=user("reviewer"))
    db.session.commit()
    with pytest.raises(S.SaveRefused, match="approved"):
        S.save(db.session, s, [cell("AHTJP-01", value="13")], user=user("partner"),
               expected_version=None)
    value = _stored(db, s)[("AHTJP-01", "KH-17", "")]
    S.reopen_value(db.session, value, user=user("reviewer"), reason="Register says 13")
    db.session.commit()
    result = S.save(
        db.session, s, [cell("AHTJP-01", value="13"), cell("AHTJP-03", value="4")],
        user=user("partner"), expected_version=None,
    )
    db.session.commit()
    assert [c.status for c in result.cells] == ["changed", "refused"]
    assert _stored(db, s).get(("AHTJP-03", "KH-17", "")) is None
    assert r.version is not None


def test_save_statement_count_does_not_grow_with_cells(db, sub, cell, user, count_queries,
                                                       indicator, province):
    s = sub()
    small = [cell("AHTJP-01", value="1")]
    ind = indicator("AHTJP-02")
    from indicators.services.owed import combinations

    big = [S.CellInput(ind.id, province("KH-17").id, key, value=str(i % 7))
           for i, (key, _o, _l) in enumerate(combinations(ind.current_version))]
    big += [cell("AHTJP-01", value="1"), cell("AHTJP-03", value="2")]
    with count_queries() as q_small:
        S.save(db.session, s, small, user=user("partner"), expected_version=None)
    db.session.commit()
    with count_queries() as q_big:
        S.save(db.session, s, big, user=user("partner"), expected_version=None)
    db.session.commit()
    assert len(big) > 100
    assert q_big.count <= q_small.count + 3, q_big.statements
    # and updating all of them again
    again = [S.CellInput(c.indicator_id, c.province_id, c.disagg_key, value="3") for c in big]
    with count_queries() as q_update:
        S.save(db.session, s, again, user=user("partner"), expected_version=None)
    db.session.commit()
    assert q_update.count <= q_small.count + 3
    assert len(_stored(db, s)) == len(big)
    assert all(v.value == D(3) for v in _stored(db, s).values())
