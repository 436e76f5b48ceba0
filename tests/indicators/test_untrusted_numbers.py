"""Target cells and indicator addresses go through the one number parser."""

from __future__ import annotations

import pytest

from indicators import services


@pytest.mark.parametrize(
    "cell, words",
    [
        ("0E-2000000", "exponent"),  # was a 500 in split_year
        ("1E-2000000", "exponent"),
        ("NaN", "is not a number"),
        ("Infinity", "is not a number"),
        ("12,50", "12.50"),  # a decimal comma, never 1250
        ("1,2,3", "groups of three"),  # never 123
        ("1_000", "is not a number"),  # never 1000
        ("1234567890123456", "at most 14 digits before the decimal point"),
        ("0.1234567", "at most 6 digits after the decimal point"),
    ],
)
def test_target_cells_refuse_what_is_not_a_number(seeded, login, client, db, cell, words):
    login("planner")
    ind = services.get_indicator(db.session, "AHTJP-01")
    before = services.targets_by_period(db.session, ind.id)
    response = client.post(
        "/indicators/AHTJP-01/targets", data={"c-2026-KH": "220", "c-2027-KH": cell}
    )
    assert response.status_code == 400
    assert words in response.get_data(as_text=True)
    db.session.expire_all()
    assert services.targets_by_period(db.session, ind.id) == before


def test_target_grid_year_in_the_address(seeded, login, client):
    login("planner")
    assert client.get("/indicators/AHTJP-01/targets?year=²").status_code == 400
    assert client.get("/indicators/AHTJP-01/targets?year=២០២៦").status_code == 200


def test_thousands_separators_in_a_target(seeded, login, client, db):
    login("planner")
    response = client.post(
        "/indicators/AHTJP-01/targets", data={"c-2026-KH": "220", "c-2027-KH": "1,200"}
    )
    assert response.status_code == 302
    ind = services.get_indicator(db.session, "AHTJP-01")
    targets = services.targets_by_period(db.session, ind.id)
    assert sum(targets[(f"2027Q{i}", None)] for i in range(1, 5)) == 1200
