import json

import sqlalchemy as sa

from leap_me import audit
from leap_me.audit import AuditEntry
from stakeholders.models import Organisation, Province


def _entries(db, object_type="organisation"):
    return db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.object_type == object_type).order_by(AuditEntry.id)
    ).all()


def test_create_update_delete_are_recorded_with_actor_and_reason(db):
    token = audit.set_actor(None, "tester")
    try:
        with audit.reason("new partner joined"):
            org = Organisation(code="NGO-X", name_en="NGO X", name_km="អង្គការ X", type="ngo")
            db.session.add(org)
            db.session.flush()
        with audit.reason("name corrected"):
            org.name_en = "NGO Ex"
            org.provinces = [db.session.scalar(sa.select(Province).where(Province.code == "KH-12"))]
            db.session.flush()
        db.session.delete(org)
        db.session.commit()
    finally:
        audit.reset_actor(token)

    rows = [e for e in _entries(db) if e.object_label in ("NGO-X",)]
    created, *updates, deleted = rows
    assert created.action == "create" and created.actor == "tester"
    assert created.reason == "new partner joined"
    assert json.loads(created.new_value)["name_en"] == "NGO X"
    fields = {u.field: (u.old_value, u.new_value, u.reason) for u in updates}
    assert fields["name_en"] == ("NGO X", "NGO Ex", "name corrected")
    assert fields["provinces"] == ("[]", '["KH-12"]', "name corrected")
    assert deleted.action == "delete" and json.loads(deleted.old_value)["name_en"] == "NGO Ex"


def test_rolled_back_change_leaves_no_trace(db):
    before = len(_entries(db))
    org = db.session.scalar(sa.select(Organisation).where(Organisation.code == "MOI"))
    org.name_en = "Changed"
    db.session.flush()
    db.session.rollback()
    assert len(_entries(db)) == before


def test_web_edit_is_recorded_with_the_user_and_why(client, login, db):
    login("planner")
    org = db.session.scalar(sa.select(Organisation).where(Organisation.code == "WVC"))
    response = client.post(
        "/organisations/WVC/edit",
        data={
            "code": "WVC",
            "acronym": "WVC",
            "name_en": "World Vision Cambodia",
            "name_km": org.name_km,
            "type": "intl_ngo",
            "parent_id": 0,
            "provinces": [p.id for p in org.provinces],
            "notes": "Field offices in three provinces",
            "is_active": "y",
            "reason": "annual update",
        },
    )
    assert response.status_code == 302
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.field == "notes", AuditEntry.object_label == "WVC")
    )
    assert entry.actor == "planner" and entry.reason == "annual update"
    assert entry.old_value == "" and entry.new_value == "Field offices in three provinces"
    history = client.get("/organisations/WVC/history").get_data(as_text=True)
    assert "annual update" in history and "Field offices in three provinces" in history


def test_password_hashes_never_reach_the_trail(db):
    from leap_me.auth.models import User

    user = db.session.scalar(sa.select(User).where(User.username == "viewer"))
    user.set_password("another-secret-1")
    db.session.commit()
    entry = db.session.scalar(
        sa.select(AuditEntry)
        .where(AuditEntry.field == "password_hash")
        .order_by(AuditEntry.id.desc())
    )
    assert entry.new_value == "***"
    for e in db.session.scalars(sa.select(AuditEntry)):
        assert "pbkdf2" not in (e.new_value or "") and "scrypt" not in (e.new_value or "")
