"""Numbering, versions, the freeze, comparisons and refused deletes, at the service level."""

from __future__ import annotations

import contextlib
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from leap_me import seeding
from logframe import editing, services
from logframe import versions as plan_versions
from logframe.compare import compare
from logframe.models import Level, Plan, PlanVersion, Result, VersionStatus
from logframe.services import PlanError


def _codes(db, version) -> dict[str, str]:
    return dict(
        db.session.execute(
            sa.select(Result.key, Result.code).where(Result.version_id == version.id)
        ).all()
    )


def _result(db, version, key) -> Result:
    return db.session.scalar(
        sa.select(Result).where(Result.version_id == version.id, Result.key == key)
    )


@pytest.fixture
def small_plan(db):
    """A goal, two outcomes, outputs and activities: small enough to reason about."""
    plan = Plan(code="T", title_en="Test plan", start_year=2026, end_year=2030)
    version = PlanVersion(plan=plan, number=1, vision_en="Vision", vision_km="ចក្ខុវិស័យ")
    db.session.add(plan)
    db.session.flush()
    txt = {"statement_en": "S", "statement_km": "ស"}
    goal = editing.create_result(db.session, version, None, {**txt, "key": "G"})
    o1 = editing.create_result(db.session, version, goal, {**txt, "key": "O1"})
    o2 = editing.create_result(db.session, version, goal, {**txt, "key": "O2"})
    p11 = editing.create_result(db.session, version, o1, {**txt, "key": "P11"})
    p12 = editing.create_result(db.session, version, o1, {**txt, "key": "P12"})
    p21 = editing.create_result(db.session, version, o2, {**txt, "key": "P21"})
    act = {
        **txt,
        "start_date": date(2026, 2, 1),
        "end_date": date(2026, 5, 31),
        "status": "on_track",
        "progress": 10,
        "cost": Decimal("100.00"),
    }
    for parent, keys in ((p11, ["A111", "A112"]), (p12, ["A121"]), (p21, ["A211"])):
        for k in keys:
            editing.create_result(db.session, version, parent, {**act, "key": k})
    db.session.commit()
    return version


def test_codes_follow_positions(db, small_plan):
    assert _codes(db, small_plan) == {
        "G": "",
        "O1": "1",
        "O2": "2",
        "P11": "1.1",
        "P12": "1.2",
        "P21": "2.1",
        "A111": "1.1.1",
        "A112": "1.1.2",
        "A121": "1.2.1",
        "A211": "2.1.1",
    }


def test_move_up_and_down_renumbers_the_subtree(db, small_plan):
    editing.move_result(db.session, _result(db, small_plan, "O2"), "up")
    codes = _codes(db, small_plan)
    assert (codes["O2"], codes["P21"], codes["A211"]) == ("1", "1.1", "1.1.1")
    assert (codes["O1"], codes["P12"], codes["A121"]) == ("2", "2.2", "2.2.1")
    editing.move_result(db.session, _result(db, small_plan, "O2"), "up")  # already first
    assert _codes(db, small_plan)["O2"] == "1"
    editing.move_result(db.session, _result(db, small_plan, "A112"), "up")
    codes = _codes(db, small_plan)
    assert (codes["A112"], codes["A111"]) == ("2.1.1", "2.1.2")


def test_reparent_renumbers_old_and_new_siblings(db, small_plan):
    editing.reparent(db.session, _result(db, small_plan, "P11"), _result(db, small_plan, "O2"))
    codes = _codes(db, small_plan)
    assert codes["P12"] == "1.1" and codes["A121"] == "1.1.1"
    assert codes["P21"] == "2.1" and codes["P11"] == "2.2"
    assert (codes["A111"], codes["A112"]) == ("2.2.1", "2.2.2")


def test_reparent_refuses_the_wrong_level(db, small_plan):
    with pytest.raises(PlanError, match="can only sit under"):
        editing.reparent(db.session, _result(db, small_plan, "A111"), _result(db, small_plan, "O2"))


def test_delete_renumbers_and_refuses_parents(db, small_plan):
    with pytest.raises(PlanError, match="results under it"):
        editing.delete_result(db.session, _result(db, small_plan, "P11"))
    editing.delete_result(db.session, _result(db, small_plan, "A111"))
    assert _codes(db, small_plan)["A112"] == "1.1.1"
    editing.delete_result(db.session, _result(db, small_plan, "A121"))
    editing.delete_result(db.session, _result(db, small_plan, "P12"))
    assert "P12" not in _codes(db, small_plan)


def test_delete_refused_by_a_guard_of_another_domain(db, small_plan):
    def guard(session, keys):
        return ["Indicator X-1 measures it."] if "A211" in keys else []

    services.register_delete_guard(guard)
    try:
        with pytest.raises(PlanError, match="Indicator X-1 measures it"):
            editing.delete_result(db.session, _result(db, small_plan, "A211"))
        assert _result(db, small_plan, "A211") is not None
        editing.delete_result(db.session, _result(db, small_plan, "A121"))  # not guarded
    finally:
        services._delete_guards.remove(guard)


def test_activity_rules(db, small_plan):
    a = _result(db, small_plan, "A111")
    bad = [
        ({"end_date": date(2026, 1, 1)}, "on or after the start"),
        ({"start_date": date(2025, 12, 1)}, "within the plan"),
        ({"progress": 101}, "0 to 100"),
        ({"cost": Decimal("-1")}, "zero or more"),
        ({"status": "delayed"}, "why the activity is delayed"),
        ({"statement_km": " "}, "English and in Khmer"),
    ]
    for data, message in bad:
        with pytest.raises(PlanError, match=message):
            editing.update_result(db.session, a, data)
    db.session.rollback()
    a = _result(db, small_plan, "A111")
    assert a.progress == 10 and a.end_date == date(2026, 5, 31)


def test_approved_version_is_frozen(db, small_plan):
    plan_versions.approve_version(db.session, small_plan, None)
    goal = _result(db, small_plan, "G")
    for attempt in (
        lambda: editing.update_result(db.session, goal, {"statement_en": "New"}),
        lambda: editing.create_result(db.session, small_plan, goal, {"statement_en": "x"}),
        lambda: editing.delete_result(db.session, _result(db, small_plan, "A111")),
        lambda: editing.move_result(db.session, _result(db, small_plan, "O2"), "up"),
        lambda: plan_versions.update_vision(db.session, small_plan, {"vision_en": "x"}, []),
        lambda: plan_versions.approve_version(db.session, small_plan, None),
    ):
        with pytest.raises(PlanError, match="approved and cannot be changed"):
            attempt()
    # ... except the weekly monitoring fields of the current approved version
    editing.update_monitoring(
        db.session,
        _result(db, small_plan, "A111"),
        {"status": "delayed", "progress": 20, "delay_note_en": "Rain", "delay_note_km": "ភ្លៀង"},
    )
    assert _result(db, small_plan, "A111").status == "delayed"
    db.session.commit()


@contextlib.contextmanager
def _label(i):
    try:
        yield
    except BaseException as exc:
        exc.add_note(f"attempt {i}")
        raise


def test_the_flush_refuses_what_bypasses_the_services(db, small_plan):
    plan_versions.approve_version(db.session, small_plan, None)
    db.session.commit()
    attempts = [
        lambda: setattr(_result(db, small_plan, "G"), "statement_en", "Sneaky"),
        lambda: setattr(_result(db, small_plan, "A111"), "cost", Decimal("1")),
        lambda: db.session.delete(_result(db, small_plan, "A111")),
        lambda: setattr(small_plan, "vision_en", "Sneaky"),
        lambda: setattr(small_plan, "status", "draft"),
        lambda: db.session.add(
            Result(version_id=small_plan.id, key="X", level="outcome", statement_en="x")
        ),
    ]
    for i, attempt in enumerate(attempts):
        attempt()
        with _label(i), pytest.raises(PlanError, match="approved and cannot be changed"):
            db.session.flush()
        db.session.rollback()
    _result(db, small_plan, "A111").progress = 90  # weekly monitoring passes
    db.session.flush()


def test_new_draft_copies_keys_and_one_draft_at_a_time(db, small_plan):
    plan_versions.approve_version(db.session, small_plan, None)
    draft = plan_versions.start_draft(db.session, small_plan.plan)
    assert draft.number == 2 and draft.status == VersionStatus.DRAFT
    assert _codes(db, draft) == _codes(db, small_plan)
    assert _result(db, draft, "P21").parent.key == "O2"
    with pytest.raises(PlanError, match="already a draft"):
        plan_versions.start_draft(db.session, small_plan.plan)
    # monitoring in the approved version follows into the draft's copy
    editing.update_monitoring(db.session, _result(db, small_plan, "A111"), {"progress": 55})
    assert _result(db, draft, "A111").progress == 55


def test_comparison_field_by_field(db, small_plan):
    plan_versions.approve_version(db.session, small_plan, None)
    draft = plan_versions.start_draft(db.session, small_plan.plan)
    editing.update_result(db.session, _result(db, draft, "O1"), {"statement_en": "Better"})
    editing.delete_result(db.session, _result(db, draft, "A112"))
    new = editing.create_result(
        db.session,
        draft,
        _result(db, draft, "O2"),
        {"statement_en": "New output", "statement_km": "ថ្មី"},
    )
    editing.move_result(db.session, _result(db, draft, "O2"), "up")
    plan_versions.update_vision(
        db.session,
        draft,
        {"vision_en": "Vision 2", "vision_km": "ចក្ខុវិស័យ"},
        [{"year": 2028, "text_en": "M", "text_km": "ម"}],
    )
    diff = compare(db.session, small_plan, draft)
    assert [d.key for d in diff.added] == [new.key]
    assert [d.key for d in diff.removed] == ["A112"]
    changed = {d.key: {c.field: (c.old, c.new) for c in d.changes} for d in diff.changed}
    assert changed["O1"] == {"code": ("1", "2"), "statement_en": ("S", "Better")}
    assert changed["O2"] == {"code": ("2", "1")}
    assert changed["P21"] == {"code": ("2.1", "1.1")}
    assert "A111" in changed  # renumbered under the moved outcome
    assert [(c.field, c.old, c.new) for c in diff.vision] == [("vision_en", "Vision", "Vision 2")]
    assert [m.year for m in diff.milestones_added] == [2028]
    assert compare(db.session, small_plan, small_plan).is_empty


def test_seed_builds_an_approved_plan_once(db, app, seeded_plan):
    versions = seeded_plan.versions
    assert [(v.number, v.status) for v in versions] == [(1, "approved")]
    results = services.load_results(db.session, versions[0])
    levels = {lv: sum(r.level == lv for r in results) for lv in Level}
    assert levels[Level.GOAL] == 1 and levels[Level.OUTCOME] >= 4 and levels[Level.ACTIVITY] >= 20
    assert all(r.statement_km for r in results)
    assert {r.code for r in results if r.level == Level.OUTCOME} >= {"1", "2", "3", "4"}
    assert seeding.seed_all(db.session, Path(app.config["SEEDS_DIR"]), only=("plan",)) == {
        "plan": 0
    }
    assert services.current_version(db.session).number == 1
