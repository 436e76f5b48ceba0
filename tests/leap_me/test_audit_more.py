"""The audit trail (leap_me/audit.py) pinned entry by entry: who (user id and name), which
object and field, from what to what, why, and under which parent; how each kind of value
is written; what is never written (issue 8 item 29)."""

from __future__ import annotations

import enum
import json
import types
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from leap_me import audit
from leap_me.audit import AuditEntry
from leap_me.auth.models import User
from stakeholders.models import Contact, Organisation, Province
from tests.shared_db import seeded_session

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def _all(db):
    return db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()


def _since(db, last_id):
    return [e for e in _all(db) if e.id > last_id]


def _last_id(db) -> int:
    return db.session.scalar(sa.select(sa.func.max(AuditEntry.id))) or 0


def _province(db, code):
    return db.session.scalar(sa.select(Province).where(Province.code == code))


def _org(db, code):
    return db.session.scalar(sa.select(Organisation).where(Organisation.code == code))


def _seed(session) -> None:
    from leap_me import seeding

    seeding.seed_all(session, SEEDS, only=seeding.BASE_STEPS)


@pytest.fixture(scope="module")
def _base(request):
    """Provinces, organisations and users, seeded once (mutation testing runs this module
    once per mutant); each test's flushes are rolled back after it."""
    yield from seeded_session(request, "base", _seed)


@pytest.fixture
def db(_base):
    yield types.SimpleNamespace(session=_base)
    _base.rollback()


@pytest.fixture
def actor():
    tokens = []

    def _set(user_id, name):
        tokens.append(audit.set_actor(user_id, name))

    yield _set
    for token in reversed(tokens):
        audit.reset_actor(token)


def _new_org(code="NGO-A", **extra):
    return Organisation(code=code, name_en=f"NGO {code}", name_km="អង្គការ", type="ngo", **extra)


# --- values as text --------------------------------------------------------------------


class Colour(enum.Enum):
    RED = "red"


def test_text_of_each_kind_of_value(db):
    t = audit._text
    assert t(None) is None
    assert t(datetime(2026, 5, 1, 8, 30, tzinfo=UTC)) == "2026-05-01T08:30:00+00:00"
    assert t(date(2026, 5, 1)) == "2026-05-01"
    assert t(Decimal("1.50")) == "1.50"
    assert t(Decimal("1E+2")) == "100"  # never scientific notation
    assert t(True) == "true" and t(False) == "false"
    assert t(Colour.RED) == "red"
    assert t(7) == "7" and t(2.5) == "2.5" and t("plain") == "plain"
    assert t([3, None, 1]) == '["", "1", "3"]'  # sorted, None as ""
    assert t(("b", "a")) == '["a", "b"]'
    assert t({"ក"}) == '["ក"]'  # Khmer stays readable
    assert t(_province(db, "KH-12")) == "KH-12"  # a row that is not audited: its code
    contact = Contact(name="Sok Dara")
    assert t(contact) == "Sok Dara"  # an audited row: its own label
    assert t(Province(code="", name_en="", name_km="")) == "None"  # no label: its identity
    assert audit._collection_label(None) == []
    assert audit._collection_label([_province(db, "KH-12"), None]) == ["KH-12", ""]


def test_label_of_prefers_code_then_username_then_names():
    ns = types.SimpleNamespace
    assert audit.label_of(ns(code="C", username="u", name_en="n", name="m")) == "C"
    assert audit.label_of(ns(code="", username="u", name_en="n", name="m")) == "u"
    assert audit.label_of(ns(code=None, username="", name_en="n", name="m")) == "n"
    assert audit.label_of(ns(name="m")) == "m"
    assert audit.label_of(ns(code=42)) == "42"
    assert audit.label_of(ns()) == ""
    assert audit.label_of(ns(code="x" * 300)) == "x" * 255
    assert audit.Audited().audit_parent() is None
    assert audit.Audited().audit_label() == ""


def test_repr_names_action_object_and_field():
    entry = AuditEntry(action="update", object_type="organisation", object_id="5", field="name_en")
    assert repr(entry) == "<AuditEntry update organisation#5.name_en>"


# --- who and why --------------------------------------------------------------------------


def test_actor_and_reason_nest_and_reset():
    assert audit._current_actor() == (None, "system")
    outer = audit.set_actor(3, "planner")
    inner = audit.set_actor(4, "admin")
    assert audit._current_actor() == (4, "admin")
    audit.reset_actor(inner)
    assert audit._current_actor() == (3, "planner")
    audit.reset_actor(outer)
    assert audit._current_actor() == (None, "system")
    assert audit._reason.get() is None
    with audit.reason("outer"):
        assert audit._reason.get() == "outer"
        with audit.reason(""):
            assert audit._reason.get() is None  # an empty reason is no reason
        with audit.reason("inner"):
            assert audit._reason.get() == "inner"
        assert audit._reason.get() == "outer"
    assert audit._reason.get() is None
    with pytest.raises(RuntimeError), audit.reason("failing"):
        raise RuntimeError
    assert audit._reason.get() is None  # reset even when the block fails


def test_create_entry_has_every_column(db, actor):
    actor(77, "tester")
    before = _last_id(db)
    with audit.reason("new partner"):
        org = _new_org("NGO-A", acronym="NA")
        org.provinces = [_province(db, "KH-17"), _province(db, "KH-12")]
        db.session.add(org)
        db.session.flush()
    (entry,) = _since(db, before)
    assert entry.user_id == 77
    assert entry.actor == "tester"
    assert entry.action == "create"
    assert (entry.object_type, entry.object_id, entry.object_label) == (
        "organisation",
        str(org.id),
        "NGO-A",
    )
    assert (entry.parent_type, entry.parent_id, entry.field, entry.old_value) == (
        None,
        None,
        None,
        None,
    )
    assert entry.reason == "new partner"
    assert entry.created_dt is not None
    snap = json.loads(entry.new_value)
    assert snap["code"] == "NGO-A" and snap["name_km"] == "អង្គការ" and snap["acronym"] == "NA"
    assert snap["provinces"] == '["KH-12", "KH-17"]'  # labels, sorted
    assert "id" not in snap and "created_dt" not in snap and "updated_dt" not in snap
    assert "អង្គការ" in entry.new_value  # stored readable, not \\u escapes
    assert list(snap) == sorted(snap)  # keys sorted: entries compare as text


def test_the_actor_name_is_cut_to_the_column(db, actor):
    actor(None, "x" * 100)
    before = _last_id(db)
    db.session.add(_new_org("NGO-L"))
    db.session.flush()
    (entry,) = _since(db, before)
    assert entry.actor == "x" * 80 and entry.user_id is None


def test_without_actor_or_request_the_system_is_named(db):
    before = _last_id(db)
    db.session.add(_new_org("NGO-S"))
    db.session.flush()
    (entry,) = _since(db, before)
    assert (entry.user_id, entry.actor, entry.reason) == (None, "system", None)


def test_update_entries_one_per_changed_field(db, actor):
    actor(5, "planner")
    org = _new_org("NGO-U", notes="")
    db.session.add(org)
    db.session.flush()
    before = _last_id(db)
    with audit.reason("corrected"):
        org.name_en = "NGO U renamed"
        org.notes = "now with notes"
        org.acronym = org.acronym  # assigned but unchanged: no entry
        org.provinces = [_province(db, "KH-12")]
        db.session.flush()
    got = {
        e.field: (e.action, e.old_value, e.new_value, e.reason, e.user_id)
        for e in _since(db, before)
    }
    assert got == {
        "name_en": ("update", "NGO NGO-U", "NGO U renamed", "corrected", 5),
        "notes": ("update", "", "now with notes", "corrected", 5),
        "provinces": ("update", "[]", '["KH-12"]', "corrected", 5),
    }
    entry = _since(db, before)[0]
    assert (entry.object_type, entry.object_id, entry.object_label) == (
        "organisation",
        str(org.id),
        "NGO-U",
    )


def test_no_entry_when_nothing_really_changed(db):
    org = _new_org("NGO-N")
    org.provinces = [_province(db, "KH-12")]
    db.session.add(org)
    db.session.flush()
    before = _last_id(db)
    org.name_en = "NGO NGO-N"  # the same value
    org.provinces = [_province(db, "KH-12")]  # the same members
    db.session.flush()
    org.name_en = "temporary"
    org.name_en = "NGO NGO-N"  # changed and changed back before the flush
    db.session.flush()
    assert _since(db, before) == []


def test_collection_changes_show_before_and_after(db):
    org = _new_org("NGO-P")
    org.provinces = [_province(db, "KH-12"), _province(db, "KH-17")]
    db.session.add(org)
    db.session.flush()
    kh17, kh2 = _province(db, "KH-17"), _province(db, "KH-2")
    before = _last_id(db)
    org.provinces.remove(kh17)
    org.provinces.append(kh2)
    db.session.flush()
    (entry,) = _since(db, before)
    assert (entry.field, entry.old_value, entry.new_value) == (
        "provinces",
        '["KH-12", "KH-17"]',
        '["KH-12", "KH-2"]',
    )


def test_delete_entry_keeps_the_last_state(db, actor):
    actor(9, "admin")
    org = _new_org("NGO-D")
    db.session.add(org)
    db.session.flush()
    oid = org.id
    before = _last_id(db)
    with audit.reason("duplicate"):
        db.session.delete(org)
        db.session.flush()
    (entry,) = _since(db, before)
    assert (entry.action, entry.object_type, entry.object_id, entry.object_label) == (
        "delete",
        "organisation",
        str(oid),
        "NGO-D",
    )
    assert (entry.user_id, entry.actor, entry.reason, entry.field, entry.new_value) == (
        9,
        "admin",
        "duplicate",
        None,
        None,
    )
    assert json.loads(entry.old_value)["name_en"] == "NGO NGO-D"


def test_rows_that_are_not_audited_leave_no_entry(db):
    before = _last_id(db)
    db.session.add(Province(code="KH-99", national_code="99", name_en="Test", name_km="តេស្ត"))
    db.session.flush()
    province = _province(db, "KH-99")
    province.name_en = "Test 2"
    db.session.flush()
    db.session.delete(province)
    db.session.flush()
    assert _since(db, before) == []


# --- masked fields ---------------------------------------------------------------------


def test_password_hash_is_masked_on_create_and_update(db):
    before = _last_id(db)
    user = User(username="masked", role="viewer", full_name="M")
    user.set_password("first-secret-1")
    db.session.add(user)
    db.session.flush()
    (created,) = _since(db, before)
    assert json.loads(created.new_value)["password_hash"] == "***"
    before = _last_id(db)
    user.set_password("second-secret-2")
    user.full_name = "Masked"
    db.session.flush()
    got = {e.field: (e.old_value, e.new_value) for e in _since(db, before)}
    assert got == {"password_hash": ("***", "***"), "full_name": ("M", "Masked")}


def test_snapshot_masks_only_what_is_set(db):
    user = User(username="nopass", role="viewer", full_name="N")
    snap = audit._snapshot(user)
    assert snap["password_hash"] is None  # nothing set: nothing to hide, nothing shown
    assert snap["username"] == "nopass"
    user.password_hash = "pbkdf2:secret"
    assert audit._snapshot(user)["password_hash"] == "***"


def test_changes_mask_a_first_password(db):
    user = User(username="late", role="viewer", full_name="L", password_hash="")
    db.session.add(user)
    db.session.flush()
    user.password_hash = "pbkdf2:secret"
    changes = dict((f, (o, n)) for f, o, n in audit._changes(user))
    assert changes["password_hash"] == (None, "***")  # there was none before


# --- parents: a contact's changes are in its organisation's history ------------------------


def test_contact_changes_appear_in_the_organisation_history(db, actor):
    actor(2, "planner")
    org = _org(db, "WVC")
    other = _org(db, "MOI")
    start = _last_id(db)
    contact = Contact(organisation=org, name="Sok Dara", email="sok@example.org")
    db.session.add(contact)
    db.session.flush()
    contact.phone = "012 345 678"
    db.session.flush()
    other.notes = "unrelated change"
    db.session.flush()
    db.session.delete(contact)
    db.session.flush()
    own = [e for e in _since(db, start) if e.object_type == "contact"]
    assert [(e.action, e.field) for e in own] == [
        ("create", None),
        ("update", "phone"),
        ("delete", None),
    ]
    for e in own:
        assert (e.parent_type, e.parent_id, e.object_label) == (
            "organisation",
            str(org.id),
            "Sok Dara",
        )
    history = db.session.scalars(audit.history_select("organisation", org.id)).all()
    mine = [(e.object_type, e.action, e.field) for e in history if e.id > start]
    assert mine == [  # newest first
        ("contact", "delete", None),
        ("contact", "update", "phone"),
        ("contact", "create", None),
    ]
    others = db.session.scalars(audit.history_select("organisation", str(other.id))).all()
    assert [(e.object_type, e.field) for e in others if e.id > start] == [("organisation", "notes")]


def test_history_is_newest_first_by_time_then_id(db):
    oid = "424242"
    t1, t2 = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)

    def entry(when, field, **kw):
        return AuditEntry(
            created_dt=when,
            actor="t",
            action="update",
            object_type="organisation",
            object_id=kw.pop("object_id", oid),
            field=field,
            **kw,
        )

    db.session.add_all(
        [
            entry(t1, "a"),
            entry(t2, "b"),
            entry(t2, "c"),
            entry(t1, "child", object_id="1", parent_type="organisation", parent_id=oid),
            entry(t2, "elsewhere", object_id="999"),
            entry(t2, "other type", parent_type="plan", parent_id=oid, object_id="5"),
        ]
    )
    db.session.flush()
    got = [e.field for e in db.session.scalars(audit.history_select("organisation", 424242))]
    assert got == ["c", "b", "child", "a"]


# --- identities and installation -------------------------------------------------------


def test_identity_of_rows():
    assert audit._identity(_new_org("NGO-I")) == ""  # not yet flushed


def test_install_twice_still_writes_one_entry(db):
    audit.install(db.session)
    audit.install(db.session)
    before = _last_id(db)
    db.session.add(_new_org("NGO-T"))
    db.session.flush()
    assert len(_since(db, before)) == 1


def test_install_attaches_the_listener_to_a_new_session_class():
    class S(sa.orm.Session):
        pass

    assert not sa.event.contains(S, "after_flush", audit._after_flush)
    audit.install(S)
    assert sa.event.contains(S, "after_flush", audit._after_flush)
    sa.event.remove(S, "after_flush", audit._after_flush)


# --- the web: the signed-in user's id goes into the trail ------------------------------------


def test_web_changes_carry_the_users_id(db):
    """Last in this module: the request commits what it writes."""
    from flask import current_app

    client = current_app.test_client()
    signed = client.post("/login", data={"username": "planner", "password": "leap-demo-2026"})
    assert signed.status_code == 302
    planner = db.session.scalar(sa.select(User).where(User.username == "planner"))
    before = _last_id(db)
    response = client.post(
        "/organisations/WVC/contacts",
        data={"name": "Chan Sopheap", "position": "M&E officer", "email": "", "phone": ""},
    )
    assert response.status_code in (200, 302)
    created = [e for e in _since(db, before) if e.object_type == "contact"]
    assert len(created) == 1
    assert (created[0].user_id, created[0].actor, created[0].action) == (
        planner.id,
        "planner",
        "create",
    )
    assert created[0].parent_type == "organisation"
    assert created[0].parent_id == str(_org(db, "WVC").id)


# --- edges of the change detection (placed after the web test is fine: each rolls back) ---


def test_decimal_specials_and_rows_without_a_label(db):
    assert audit._text(Decimal("NaN")) == "NaN"
    assert audit._text(Decimal("Infinity")) == "Infinity"
    from indicators.models import DisaggCategory, DisaggOption

    # an audited row's own label wins over the generic one (which would be its code)
    option = DisaggOption(code="F", category=DisaggCategory(code="sex"))
    assert audit._text(option) == "sex:F"
    nameless = Province(code="", national_code="98", name_en="", name_km="")
    db.session.add(nameless)
    db.session.flush()
    assert audit._text(nameless) == str((nameless.id,))  # its identity


def test_all_entries_of_one_flush_share_one_time(db):
    org = _new_org("NGO-W")
    db.session.add(org)
    db.session.flush()
    before = _last_id(db)
    org.name_en, org.notes, org.acronym = "W1", "W2", "W3"
    db.session.add(_new_org("NGO-W2"))
    db.session.flush()
    entries = _since(db, before)
    assert len(entries) == 4
    assert len({e.created_dt for e in entries}) == 1


def test_an_unloaded_old_value_is_recorded_as_unknown(db):
    org = _new_org("NGO-E", notes="before")
    db.session.add(org)
    db.session.flush()
    db.session.expire(org, ["notes"])
    before = _last_id(db)
    org.notes = "after"  # the old value was never loaded: the entry says "from unknown"
    db.session.flush()
    (entry,) = _since(db, before)
    assert (entry.field, entry.old_value, entry.new_value) == ("notes", None, "after")
    db.session.expire(org, ["parent_id"])
    before = _last_id(db)
    org.parent_id = None  # unknown to nothing: nothing to say
    db.session.flush()
    assert _since(db, before) == []


def test_clearing_a_value_is_recorded(db):
    parent = _org(db, "MOI")
    org = _new_org("NGO-C", parent=parent)
    db.session.add(org)
    db.session.flush()
    before = _last_id(db)
    org.parent_id = None
    db.session.flush()
    (entry,) = _since(db, before)
    assert (entry.field, entry.old_value, entry.new_value) == ("parent_id", str(parent.id), None)


def test_an_equal_value_does_not_hide_later_changes(db):
    org = _new_org("NGO-Q")
    db.session.add(org)
    db.session.flush()
    before = _last_id(db)
    org.code = "".join(["NGO", "-Q"])  # equal, but another object: not a change
    org.notes = "later column changed"
    db.session.flush()
    got = [(e.field, e.new_value) for e in _since(db, before)]
    assert got == [("notes", "later column changed")]


def test_an_unchanged_collection_does_not_hide_a_changed_one(db):
    from logframe.models import Plan, PlanVersion, Result

    plan = Plan(code="P-T", title_en="Test plan", start_year=2026, end_year=2030)
    version = PlanVersion(plan=plan, number=1)
    result = Result(
        version=version, key="O1", level="outcome", position=0, code="1", statement_en="R"
    )
    result.partners = [_org(db, "MOI")]
    db.session.add_all([plan, version, result])
    db.session.flush()
    before = _last_id(db)
    result.partners = [_org(db, "MOI")]  # the same partner (listed first)
    result.provinces = [_province(db, "KH-12")]  # a change in the collection after it
    db.session.flush()
    got = [(e.object_type, e.field, e.old_value, e.new_value) for e in _since(db, before)]
    assert got == [("result", "provinces", "[]", '["KH-12"]')]


def test_delete_snapshot_is_readable_and_sorted(db):
    org = _new_org("NGO-K")
    db.session.add(org)
    db.session.flush()
    before = _last_id(db)
    db.session.delete(org)
    db.session.flush()
    (entry,) = _since(db, before)
    assert "អង្គការ" in entry.old_value  # not \\u escapes
    snap = json.loads(entry.old_value)
    assert list(snap) == sorted(snap)


def test_bulk_record_writes_every_column_of_each_entry(db, actor):
    """The set-based writes' entries (the value store's saves): who and why filled in as
    the listener would, values written as text, one timestamp for the statement."""
    actor(42, "bulk-user")
    before = _last_id(db)
    started = datetime.now(UTC).replace(microsecond=0)
    with audit.reason("a workbook"):
        n = audit.bulk_record(
            db.session.connection(),
            [
                {
                    "action": "create",
                    "object_type": "data_value",
                    "object_id": "7",
                    "object_label": "1 KH-17",
                    "parent_type": "submission",
                    "parent_id": "3",
                    "new_value": '{"value": "12"}',
                },
                {
                    "action": "update",
                    "object_type": "data_value",
                    "object_id": "8",
                    "field": "value",
                    "old_value": Decimal("1.50"),
                    "new_value": 2,
                },
                {"action": "delete", "object_type": "data_value", "object_id": "9"},
            ],
        )
    assert n == 3
    a, b, c = _since(db, before)
    for e in (a, b, c):
        assert (e.user_id, e.actor, e.reason) == (42, "bulk-user", "a workbook")
        assert e.created_dt >= started and e.created_dt.tzinfo is not None
    assert a.created_dt == b.created_dt == c.created_dt  # one statement, one time
    assert (a.action, a.object_type, a.object_id, a.object_label) == (
        "create",
        "data_value",
        "7",
        "1 KH-17",
    )
    assert (a.parent_type, a.parent_id, a.field, a.old_value, a.new_value) == (
        "submission",
        "3",
        None,
        None,
        '{"value": "12"}',
    )
    assert (b.action, b.field, b.old_value, b.new_value) == ("update", "value", "1.50", "2")
    assert (b.object_label, b.parent_type, b.parent_id) == ("", None, None)
    assert (c.action, c.object_id, c.field, c.old_value, c.new_value) == (
        "delete",
        "9",
        None,
        None,
        None,
    )


def test_bulk_record_of_nothing_writes_nothing(db):
    before = _last_id(db)
    assert audit.bulk_record(db.session.connection(), []) == 0
    assert _since(db, before) == []


def test_bulk_record_writes_in_batches_and_keeps_the_order(db, monkeypatch):
    monkeypatch.setattr(audit, "_BATCH", 2)
    before = _last_id(db)
    entries = [
        {"action": "create", "object_type": "data_value", "object_id": str(i)} for i in range(5)
    ]
    assert audit.bulk_record(db.session.connection(), entries) == 5
    assert [e.object_id for e in _since(db, before)] == ["0", "1", "2", "3", "4"]
    assert {e.actor for e in _since(db, before)} == {"system"}
