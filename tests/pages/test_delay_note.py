"""Issue 8 item 20: a delayed activity needs its note in one language, and says so."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from logframe import services
from logframe.models import Result
from tests.logframe.factories import tiny_plan


def _a1(db) -> Result:
    version = services.version_by_number(db.session, services.plan_of(db.session), 1)
    return db.session.scalar(
        sa.select(Result).where(Result.version_id == version.id, Result.key == "A1")
    )


@pytest.mark.parametrize("notes", [{"delay_note_en": "Rain"}, {"delay_note_km": "ភ្លៀងធ្លាក់ខ្លាំង"}])
def test_a_delayed_activity_needs_a_note_in_one_language(client, login, db, notes):
    tiny_plan(db.session, with_draft=False)
    db.session.commit()
    login("planner")
    form = client.get("/activities/A1/monitoring").get_data(as_text=True)
    assert "in English or in Khmer, one is enough" in form  # the field says it is required
    data = {"status": "delayed", "progress": "35", "delay_note_en": "", "delay_note_km": ""}
    refused = client.post("/activities/A1/monitoring", data=data)
    assert refused.status_code == 400
    assert "needs a note on why, in English or in Khmer" in refused.get_data(as_text=True)
    assert _a1(db).status != "delayed"
    response = client.post("/activities/A1/monitoring", data={**data, **notes})
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    a1 = _a1(db)
    assert a1.status == "delayed"
    assert (a1.delay_note_en or a1.delay_note_km) == next(iter(notes.values()))
    # the note shows on the activity page whatever the language it was written in
    assert next(iter(notes.values())) in client.get("/plan/v1/results/A1").get_data(as_text=True)
