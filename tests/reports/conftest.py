"""The reports' tests start from the seeded plan (2026–2035) and build their own
indicators, so that every expected figure can be worked out by hand."""

from __future__ import annotations

import pytest

from tests.indicators.conftest import load_plan


@pytest.fixture
def plan(db):
    load_plan(db.session)
    db.session.commit()
    return db.session
