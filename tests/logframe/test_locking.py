"""Two planners edit the vision of the same draft."""

from __future__ import annotations

import sqlalchemy as sa

from logframe.models import PlanVersion
from tests.formdata import resubmit, set_fields, two_saves
from tests.logframe.factories import tiny_plan


def test_vision_conflict(app, db):
    tiny_plan(db.session)
    url = "/plan/v2/vision"
    two, page = two_saves(
        app,
        url,
        "planner",
        set_fields,
        first={"vision_en": "A safer Cambodia (first)"},
        second={
            "vision_en": "A safer Cambodia (second)",
            "milestones-0-year": "2030",
            "milestones-0-text_en": "Half the provinces",
            "milestones-0-text_km": "ពាក់កណ្តាល",
        },
    )
    assert "A safer Cambodia (first)" in page and "A safer Cambodia (second)" in page
    assert "Milestones" in page and "2030: Half the provinces" in page

    def draft():
        db.session.expire_all()
        return db.session.scalar(sa.select(PlanVersion).where(PlanVersion.number == 2))

    assert draft().vision_en == "A safer Cambodia (first)" and draft().milestones == []
    assert resubmit(two, url, page).status_code == 302
    assert draft().vision_en == "A safer Cambodia (second)"
    assert [m.year for m in draft().milestones] == [2030]
