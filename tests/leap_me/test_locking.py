"""Optimistic locking (leap_me.locking): two people edit the same record; the second save
is refused with the conflict page, nothing is overwritten, and the second person can then
save deliberately from the conflict page."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from leap_me import locking
from logframe import services
from logframe.models import Result
from tests.formdata import client_as, edit_form, resubmit, set_fields, two_saves
from tests.logframe.factories import tiny_plan


def _result(db, number, key) -> Result:
    version = services.version_by_number(db.session, services.plan_of(db.session), number)
    db.session.expire_all()
    return db.session.scalar(
        sa.select(Result).where(Result.version_id == version.id, Result.key == key)
    )


def test_result_second_save_gets_the_conflict_page_and_can_win(app, db):
    tiny_plan(db.session)
    url = "/plan/v2/results/O1/edit"
    before = _result(db, 2, "O1").row_version
    two, page = two_saves(
        app,
        url,
        "planner",
        set_fields,
        first={"statement_en": "First planner's wording"},
        second={"statement_en": "Second planner's wording", "risks_en": "Floods"},
    )
    assert "Someone else saved this record while you were editing it" in page
    assert "First planner&#39;s wording" in page and "Second planner&#39;s wording" in page
    assert "Last saved by planner" in page
    stored = _result(db, 2, "O1")
    assert stored.statement_en == "First planner's wording"  # nothing overwritten
    assert stored.risks_en == ""
    assert stored.row_version == before + 1
    # the form on the conflict page carries the new version: one click saves theirs
    assert re.search(rf'name="row_version"[^>]*value="{stored.row_version}"', page)
    response = resubmit(two, url, page)
    assert response.status_code == 302
    stored = _result(db, 2, "O1")
    assert stored.statement_en == "Second planner's wording" and stored.risks_en == "Floods"
    assert stored.row_version == before + 2


def test_the_stored_version_can_be_taken_instead(app, db):
    tiny_plan(db.session)
    url = "/plan/v2/results/O1/edit"
    two, page = two_saves(
        app,
        url,
        "planner",
        set_fields,
        first={"statement_en": "Kept"},
        second={"statement_en": "Lost"},
    )
    assert f'href="{url}"' in page  # "take the stored values" reopens the stored record
    assert "Kept" in two.get(url).get_data(as_text=True)


def test_the_version_counter_stays_out_of_the_history(app, db):
    from leap_me.audit import AuditEntry

    tiny_plan(db.session)
    one = client_as(app, "planner")
    form = edit_form(one, "/plan/v2/results/O1/edit")
    set_fields(form, {"statement_en": "New"})
    assert one.post("/plan/v2/results/O1/edit", data=form).status_code == 302
    fields = set(
        db.session.scalars(sa.select(AuditEntry.field).where(AuditEntry.field.is_not(None)))
    )
    assert "statement_en" in fields and "row_version" not in fields


def test_a_race_inside_the_request_is_a_conflict_too(app, db):
    """Two sessions load the same version; the slower flush finds 0 rows (StaleDataError)."""
    from sqlalchemy.orm.exc import StaleDataError

    tiny_plan(db.session)
    result_id = _result(db, 2, "O1").id
    other = sa.orm.Session(db.engine)
    mine = db.session.get(Result, result_id)
    theirs = other.get(Result, result_id)
    theirs.statement_en = "theirs"
    other.commit()
    other.close()
    mine.statement_en = "mine"
    with pytest.raises(StaleDataError):
        db.session.flush()
    db.session.rollback()
    assert _result(db, 2, "O1").statement_en == "theirs"


def test_fingerprint_ignores_order_and_sees_every_change():
    a = locking.fingerprint([("2026", 1, "10"), ("2027", None, "5")])
    assert a == locking.fingerprint([("2027", None, "5"), ("2026", 1, "10")])
    assert a != locking.fingerprint([("2026", 1, "10"), ("2027", None, "6")])
    assert a != locking.fingerprint([("2026", 1, "10")])
    assert locking.check("", a) and locking.check(a, a) and not locking.check("x", a)
