"""audit.bulk_record_rows (the compact form of bulk_record that a bulk save uses for its
create entries), the snapshot text a save writes, and the paused cycle collector."""

from __future__ import annotations

import gc
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from leap_me import audit
from leap_me.audit import AuditEntry
from leap_me.db import paused_gc, utcnow


def _since(db, last_id):
    return list(
        db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id)
        )
    )


def _last_id(db) -> int:
    return db.session.scalar(sa.select(sa.func.max(AuditEntry.id))) or 0


COLUMNS = (
    "user_id",
    "actor",
    "reason",
    "action",
    "object_type",
    "object_id",
    "object_label",
    "parent_type",
    "parent_id",
    "field",
    "old_value",
    "new_value",
    "created_dt",
)


def _row(e: AuditEntry) -> tuple:
    return tuple(getattr(e, c) for c in COLUMNS)


@pytest.mark.parametrize(
    "fixed",
    [
        {"action": "create", "object_type": "data_value", "parent_type": "submission"},
        # values that are not plain codes are bound, never written into the statement
        {"action": "create", "object_type": "data_value", "parent_type": "it's; DROP"},
    ],
)
def test_bulk_record_rows_writes_what_bulk_record_writes(app, db, fixed):
    token = audit.set_actor(42, "o'brien")
    at = utcnow()
    try:
        rows = [("7", "1 KH-17", '{"value": "12"}', "3"), ("8", "2 KH", None, "3")]
        before = _last_id(db)
        with audit.reason('a workbook\'s "save" -- 100 %'):
            n = audit.bulk_record_rows(
                db.session.connection(),
                iter(rows),  # a generator is fine
                columns=("object_id", "object_label", "new_value", "parent_id"),
                fixed=fixed,
                at=at,
            )
        compact = _since(db, before)
        before = _last_id(db)
        with audit.reason('a workbook\'s "save" -- 100 %'):
            audit.bulk_record(
                db.session.connection(),
                [
                    {
                        **fixed,
                        "object_id": oid,
                        "object_label": label,
                        "new_value": new,
                        "parent_id": pid,
                    }
                    for oid, label, new, pid in rows
                ],
                at=at,
            )
        plain = _since(db, before)
    finally:
        audit.reset_actor(token)
    assert n == 2
    assert [_row(e) for e in compact] == [_row(e) for e in plain]
    assert compact[0].actor == "o'brien" and compact[0].parent_type == fixed["parent_type"]
    assert compact[1].new_value is None and compact[1].field is None


def test_bulk_record_rows_in_batches_keeps_the_order(app, db, monkeypatch):
    monkeypatch.setattr(audit, "_BATCH", 2)
    before = _last_id(db)
    started = datetime.now(UTC).replace(microsecond=0)
    n = audit.bulk_record_rows(
        db.session.connection(),
        ((str(i),) for i in range(5)),
        columns=("object_id",),
        fixed={"action": "delete", "object_type": "data_value"},
    )
    assert n == 5
    got = _since(db, before)
    assert [e.object_id for e in got] == ["0", "1", "2", "3", "4"]
    assert {e.actor for e in got} == {"system"} and {e.action for e in got} == {"delete"}
    assert len({e.created_dt for e in got}) == 1 and got[0].created_dt >= started


def test_bulk_record_rows_refuses_what_is_not_an_entry(app, db):
    conn = db.session.connection()
    with pytest.raises(ValueError, match="not audit columns"):
        audit.bulk_record_rows(conn, [], columns=("nope",), fixed={"action": "create"})
    with pytest.raises(ValueError, match="need"):
        audit.bulk_record_rows(conn, [], columns=("object_id",), fixed={"action": "create"})
    assert (
        audit.bulk_record_rows(
            conn, [], columns=("object_id",), fixed={"action": "create", "object_type": "x"}
        )
        == 0
    )


def test_paused_gc_resumes_only_what_it_paused():
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block leaves it to the outer one
    assert gc.isenabled()
    with pytest.raises(RuntimeError), paused_gc():
        raise RuntimeError
    assert gc.isenabled()
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()  # it was off: it stays off
    finally:
        gc.enable()


def test_bulk_record_from_writes_what_bulk_record_writes(app, db):
    from stakeholders.models import Province

    source = (
        sa.select(
            sa.cast(Province.id, sa.String).label("object_id"),
            Province.code.label("object_label"),
            (sa.literal('{"code": "') + Province.code + sa.literal('"}')).label("new_value"),
        )
        .where(Province.code.in_(["KH-1", "KH-12", "KH-17"]))
        .order_by(Province.id)
    )
    expected = db.session.execute(source).all()
    assert len(expected) == 3
    fixed = {"action": "create", "object_type": "province", "parent_type": "it's; DROP"}
    token = audit.set_actor(42, "o'brien")
    at = utcnow()
    try:
        with audit.reason('a "bulk" save -- 100 %'):
            before = _last_id(db)
            n = audit.bulk_record_from(db.session.connection(), source, fixed=fixed, at=at)
            made = _since(db, before)
            before = _last_id(db)
            audit.bulk_record(
                db.session.connection(),
                [
                    {**fixed, "object_id": oid, "object_label": label, "new_value": new}
                    for oid, label, new in expected
                ],
                at=at,
            )
            plain = _since(db, before)
    finally:
        audit.reset_actor(token)
    assert n == 3
    assert [_row(e) for e in made] == [_row(e) for e in plain]
    first = made[0]
    assert (first.user_id, first.actor, first.reason) == (42, "o'brien", 'a "bulk" save -- 100 %')
    assert (first.parent_type, first.parent_id, first.field, first.old_value) == (
        "it's; DROP",
        None,
        None,
        None,
    )
    assert first.new_value == '{"code": "' + first.object_label + '"}'
    assert first.created_dt.replace(tzinfo=None) == at.replace(tzinfo=None)
    # as many entries as the select has rows, none when it has none
    empty = source.where(Province.code == "nowhere")
    assert audit.bulk_record_from(db.session.connection(), empty, fixed=fixed) == 0


def test_bulk_record_from_refuses_what_is_not_an_entry(app, db):
    conn = db.session.connection()
    one = sa.select(sa.literal("1").label("object_id"))
    with pytest.raises(ValueError, match=r"not audit columns: \['nope'\]"):
        audit.bulk_record_from(
            conn, sa.select(sa.literal("1").label("nope")), fixed={"action": "create"}
        )
    with pytest.raises(ValueError, match=r"not audit columns: \['size'\]"):
        audit.bulk_record_from(conn, one, fixed={"action": "create", "size": 1})
    with pytest.raises(ValueError, match=r"need \['object_type'\]"):
        audit.bulk_record_from(conn, one, fixed={"action": "create"})
    with pytest.raises(ValueError, match=r"need \['action', 'object_type', 'object_id'\]"):
        audit.bulk_record_from(conn, sa.select(sa.literal("x").label("field")), fixed={})
