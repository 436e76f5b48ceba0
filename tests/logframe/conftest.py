"""Fixtures for the logframe: the full seeded plan only where a test asks for it."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from leap_me import seeding


@pytest.fixture
def seeded_plan(db, app):
    """The LEAP plan from seeds/plan.yaml, approved as version 1."""
    from logframe.models import Plan

    seeding.seed_all(db.session, Path(app.config["SEEDS_DIR"]), only=("plan",))
    db.session.commit()
    return db.session.scalar(sa.select(Plan))
