"""A backup restores into an empty database with nothing lost."""

import sqlalchemy as sa

from leap_me.backup import RestoreError, restore, write_backup
from leap_me.db import Base
from tests.conftest import empty_all_tables


def _dump(db):
    out = {}
    for table in Base.metadata.sorted_tables:
        rows = db.session.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
        out[table.name] = [tuple(r) for r in rows]
    return out


def test_backup_then_restore_loses_nothing(db, tmp_path, client, login):
    login("planner")  # produce audit rows, login attempts, a token...
    client.post("/profile/tokens", data={"name": "t"})
    before = _dump(db)
    assert before["organisation"] and before["audit_entry"] and before["api_token"]
    path = tmp_path / "backup.jsonl.gz"
    with path.open("wb") as fh:
        write_backup(db.session, fh)
    empty_all_tables()
    assert _dump(db)["organisation"] == []
    restore(db.session, path)
    db.session.commit()
    assert _dump(db) == before
    # New rows after a restore get fresh ids (sequences were reset on PostgreSQL).
    from stakeholders.models import Organisation

    db.session.add(Organisation(code="NEW-ORG", name_en="New", name_km="ថ្មី", type="ngo"))
    db.session.commit()


def test_restore_refuses_a_non_empty_database(db, tmp_path):
    path = tmp_path / "b.gz"
    with path.open("wb") as fh:
        write_backup(db.session, fh)
    try:
        restore(db.session, path)
    except RestoreError as exc:
        assert "not empty" in str(exc)
    else:
        raise AssertionError("restore into a full database must be refused")


def test_restore_refuses_a_file_that_is_not_a_backup(db, tmp_path):
    path = tmp_path / "junk.gz"
    path.write_bytes(b"not gzip at all")
    empty_all_tables()
    try:
        restore(db.session, path)
    except RestoreError as exc:
        assert "not a LEAP M&E backup" in str(exc)
    else:
        raise AssertionError("junk must be refused")


def test_cli_backup_and_restore(runner, tmp_path, db):
    path = tmp_path / "cli.gz"
    result = runner.invoke(args=["backup", "-o", str(path)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["restore", str(path)])
    assert result.exit_code != 0 and "Nothing was restored" in result.output
    empty_all_tables()
    result = runner.invoke(args=["restore", str(path)])
    assert result.exit_code == 0, result.output
    from stakeholders.models import Province

    assert db.session.scalar(sa.select(sa.func.count(Province.id))) == 25
