"""A mixed dataValueSet (valid, invalid, warned, unchanged, updated, deleted values, and
values the organisation does not owe) gives the same import summaries, conflicts, stored
rows, audit trail, findings and events as the implementation before the one-pass import
(tests/fixtures/golden_dhis2.json)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from leap_me import seeding
from tests.fixtures import golden


@pytest.fixture
def seeded(app, db):
    seeding.seed_all(
        db.session,
        Path(app.config["SEEDS_DIR"]),
        only=("disaggregations", "indicators", "periods"),
    )
    db.session.commit()
    return db


def _open(db, code: str):
    from indicators.models import ReportingPeriod

    period = db.session.scalar(sa.select(ReportingPeriod).where(ReportingPeriod.code == code))
    period.status = "open"
    db.session.commit()


FIRST = [
    {"dataElement": "AHTJP-09", "value": "14"},
    {"dataElement": "AHTJP-01", "value": "10"},  # a total that is not the sum of its parts
    {
        "dataElement": "AHTJP-01",
        "categoryOptionCombo": "victim_type:other",
        "value": "3",
        "comment": "two from Banteay Meanchey",
    },
    {"dataElement": "LEAP-3.1.num", "value": "6"},  # a ratio above one: a warning
    {"dataElement": "LEAP-3.1.den", "value": "5"},
    {"dataElement": "AHTJP-02", "value": "abc"},  # not a number
    {
        "dataElement": "AHTJP-01",
        "categoryOptionCombo": "victim_type:labour_trafficking",
        "value": "-2",  # negative
    },
    {"dataElement": "AHTJP-03", "value": "1.5"},  # not plain digits
    {"dataElement": "AHTJP-09", "orgUnit": "KH-12", "value": "1"},  # not owed
    {"dataElement": "AHTJP-04", "value": ""},  # empty
    {"dataElement": "AHTJP-02", "value": "2", "deleted": True},  # nothing to delete
    {"dataElement": "AHTJP-04", "value": "१२"},  # not digits we read
    {"dataElement": "AHTJP-04", "value": "០៧"},  # Khmer digits: read in English too
    {"dataElement": "LEAP-3.1.num", "orgUnit": "KH-12", "value": "1"},  # ratio, half
]
SECOND = [
    {"dataElement": "AHTJP-09", "value": "14"},  # unchanged
    {"dataElement": "AHTJP-01", "value": "3"},  # updated, the warning goes
    {
        "dataElement": "AHTJP-01",
        "categoryOptionCombo": "victim_type:other",
        "value": "3",
        "deleted": True,
    },
    {"dataElement": "AHTJP-03", "value": "1.50"},  # the same number
    {"dataElement": "LEAP-3.1.num", "value": "4"},
    {"dataElement": "LEAP-3.1.den", "value": "5"},
    {"dataElement": "LEAP-3.1.num", "orgUnit": "KH-17", "value": "x"},  # bad side
]


def _post(client, headers, values, query=""):
    body = {"period": "2026Q4", "orgUnit": "KH-17", "dataValues": values}
    r = client.post(f"/api/dataValueSets?idScheme=CODE{query}", json=body, headers=headers)
    assert r.status_code in (200, 409), r.get_data(as_text=True)
    return {"status": r.status_code, "body": r.json}


def test_a_mixed_payload_gives_what_it_gave_before(client, api_token, seeded):
    _open(seeded, "2026Q4")
    h = {"Authorization": f"ApiToken {api_token('partner')}"}
    replies = {
        "first_dry": _post(client, h, FIRST, "&dryRun=true"),
        "first": _post(client, h, FIRST),
        "second_dry": _post(client, h, SECOND, "&dryRun=true"),
        "second": _post(client, h, SECOND),
        "second_again": _post(client, h, SECOND),
        "create_only": _post(client, h, FIRST[:3], "&importStrategy=CREATE"),
        "atomic": _post(
            client, h, [{"dataElement": "AHTJP-09", "value": "9"}, FIRST[5]], "&atomicMode=ALL"
        ),
    }
    seeded.session.rollback()
    assert replies["first"]["body"]["response"]["importCount"] == {
        "imported": 7,
        "updated": 0,
        "ignored": 3,
        "deleted": 0,
    }
    golden.compare("dhis2", {"replies": replies, **golden.snapshot(seeded)})
