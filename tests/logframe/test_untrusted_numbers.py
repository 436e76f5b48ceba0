"""Numbers in addresses and forms of the plan go through the one parser: a Unicode digit
(``²``, ``①``), ``NaN`` or ``Infinity`` is a clean 400 with a message, never a 500."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from logframe.models import PlanVersion, Result
from tests.logframe.factories import tiny_plan

BAD = ["²", "①", "1_000", "-1", "99999999999999999999"]
PAGES = [
    "/plan?version={v}",
    "/plan/matrix?version={v}",
    "/plan/compare?new={v}",
    "/plan/compare?old={v}",
    "/activities?year={v}",
    "/activities?province={v}",
    "/activities?org={v}",
    "/activities?version={v}",
]


@pytest.mark.parametrize("value", BAD)
@pytest.mark.parametrize("url", PAGES)
def test_bad_numbers_in_page_addresses_are_400(client, login, db, url, value):
    tiny_plan(db.session)
    login("planner")
    response = client.get(url.format(v=value))
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "in the address" in text
    assert "Traceback" not in text
    assert client.get("/plan").status_code == 200  # and the site still answers


@pytest.mark.parametrize("value", BAD)
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/results?version={v}",
        "/api/v1/periods?year={v}",
        "/api/v1/periods?page={v}",
        "/api/v1/indicators?pageSize={v}",
    ],
)
def test_bad_numbers_in_api_queries_are_json_400(client, db, api_token, url, value):
    tiny_plan(db.session)
    token = api_token("planner")
    response = client.get(url.format(v=value), headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"
    assert "in the address" in response.json["error"]["message"]


def test_khmer_digits_in_addresses_are_numbers(client, login, db):
    tiny_plan(db.session)
    login("planner")
    assert client.get("/plan?version=១").status_code == 200
    assert client.get("/activities?year=២០២៦").status_code == 200


def _activity(db) -> Result:
    v2 = db.session.scalar(sa.select(PlanVersion).where(PlanVersion.number == 2))
    return db.session.scalar(
        sa.select(Result).where(Result.version_id == v2.id, Result.key == "A1")
    )


@pytest.mark.parametrize(
    "cost, words",
    [
        ("NaN", "is not a number"),
        ("sNaN", "is not a number"),
        ("Infinity", "is not a number"),
        ("1e20", "exponent"),
        ("1000000000000", "at most 12 digits before the decimal point"),
        ("12.345", "at most 2 digits after the decimal point"),
        ("12,50", "12.50"),
    ],
)
def test_activity_cost_refuses_what_is_not_an_amount(client, login, db, cost, words):
    tiny_plan(db.session)
    login("planner")
    a1 = _activity(db)
    before = a1.cost
    data = {
        "statement_en": "Train officers",
        "statement_km": "បណ្តុះបណ្តាល",
        "parent_id": a1.parent_id,
        "responsible_org_id": 0,
        "start_date": "2026-06-01",
        "end_date": "2026-07-01",
        "status": "on_track",
        "progress": "10",
        "cost": cost,
    }
    response = client.post("/plan/v2/results/A1/edit", data=data)
    assert response.status_code == 400
    assert words in response.get_data(as_text=True)
    db.session.expire_all()
    assert _activity(db).cost == before
    assert client.get("/plan/v2/results/A1/edit").status_code == 200
