"""Two planners edit the same indicator definition or target grid: the second save gets the
conflict page (409), nothing is overwritten, and a deliberate second save wins."""

from __future__ import annotations

from decimal import Decimal

from indicators import services
from tests.formdata import resubmit, set_fields, two_saves


def test_indicator_definition_conflict(app, db, seeded):
    url = "/indicators/AHTJP-01/edit"
    two, page = two_saves(
        app,
        url,
        "planner",
        set_fields,
        first={"name_en": "Victims identified (first)"},
        second={"name_en": "Victims identified (second)", "definition_en": "Typed by two"},
    )
    assert "Victims identified (first)" in page and "Victims identified (second)" in page
    db.session.expire_all()
    ind = services.get_indicator(db.session, "AHTJP-01")
    assert ind.current.name_en == "Victims identified (first)"
    assert ind.current.definition_en != "Typed by two"
    assert resubmit(two, url, page).status_code == 302
    db.session.expire_all()
    ind = services.get_indicator(db.session, "AHTJP-01")
    assert ind.current.name_en == "Victims identified (second)"
    assert ind.current.definition_en == "Typed by two"


def test_target_grid_conflict_keeps_the_first_save(app, db, seeded):
    url = "/indicators/AHTJP-01/targets"
    two, page = two_saves(
        app, url, "planner", set_fields, first={"c-2027-KH": "300"}, second={"c-2027-KH": "260"}
    )
    assert "Someone else saved this record while you were editing it" in page
    assert "2027 · National" in page and ">300<" in page and ">260<" in page
    assert 'value="260"' in page  # the grid is shown again with what was typed
    ind = services.get_indicator(db.session, "AHTJP-01")
    targets = services.targets_by_period(db.session, ind.id)
    assert [targets[(f"2027Q{i}", None)] for i in range(1, 5)] == [75] * 4
    assert resubmit(two, url, page).status_code == 302
    targets = services.targets_by_period(db.session, ind.id)
    assert sum(targets[(f"2027Q{i}", None)] for i in range(1, 5)) == Decimal(260)
    assert [targets[(f"2027Q{i}", None)] for i in range(1, 5)] == [65] * 4
