"""The comparison of two plan versions lists the indicators that came or went with
their results, and the definitions changed in between."""

import sqlalchemy as sa

from indicators.models import Indicator, IndicatorVersion
from logframe import editing
from logframe import versions as plan_versions
from logframe.models import Result
from logframe.services import version_diff_sections
from tests.logframe.factories import tiny_plan


def _indicator(session, code: str, key: str) -> Indicator:
    ind = Indicator(code=code, result_key=key)
    ind.versions.append(
        IndicatorVersion(
            number=1,
            is_current=True,
            name_en=f"Name {code}",
            name_km="ឈ្មោះ",
            measure="number",
            frequency="quarterly",
        )
    )
    session.add(ind)
    session.flush()
    return ind


def test_indicators_section_of_the_version_comparison(db):
    plan = tiny_plan(db.session)
    v1, v2 = plan.versions
    kept = _indicator(db.session, "IND-KEPT", "P1")
    outcome = db.session.scalar(
        sa.select(Result).where(Result.version_id == v2.id, Result.key == "O1")
    )
    txt = {"statement_en": "New output", "statement_km": "សមិទ្ធផលថ្មី"}
    editing.create_result(db.session, v2, outcome, {**txt, "key": "P9"})
    kept.versions[0].is_current = False
    kept.versions.append(
        IndicatorVersion(
            number=2,
            is_current=True,
            name_en="Name IND-KEPT",
            name_km="ឈ្មោះ",
            measure="percentage",
            frequency="quarterly",
        )
    )
    plan_versions.approve_version(db.session, v2, None)
    db.session.commit()
    _indicator(db.session, "IND-NEW", "P9")

    (section,) = version_diff_sections(db.session, v1, v2)
    assert section["title"] == "Indicators"
    assert section["added"] == ["IND-NEW — Name IND-NEW"]
    assert section["removed"] == []
    assert section["changed"] == [
        {"label": "IND-KEPT", "changes": [("Definition version", "v1", "v2")]}
    ]
