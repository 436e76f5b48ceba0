"""The variance page, its drill-down, de-duplication and the API, through HTTP."""

from __future__ import annotations

import pytest

from leap_me.reports.models import DedupAdjustment
from tests.conftest import QueryCounter
from tests.reports import factories as f


@pytest.fixture
def figures(plan):
    s = plan
    f.quarters(s)
    ind = f.indicator(s, "T-SUM", baseline="104")
    f.target(s, ind, "2026Q1", 20)
    f.target(s, ind, "2026Q2", 25)
    f.value(s, ind, "2026Q1", "AHTJP-PNP", "KH-12", 10)
    f.value(s, ind, "2026Q1", "WVC", "KH-12", 5)
    f.value(s, ind, "2026Q1", "AHTJP-SRP", "KH-17", 7)
    f.value(s, ind, "2026Q2", "AHTJP-PNP", "KH-12", 12)
    f.value(s, ind, "2026Q2", "AHTJP-SRP", "KH-17", 8)
    f.value(s, ind, "2026Q2", "WVC", "KH-12", 50, status="submitted")
    pct = f.indicator(s, "T-PCT", result_key="O2.1", measure="percentage", agg_time="latest")
    f.target(s, pct, "2026Q2", 80)
    f.value(s, pct, "2026Q2", "AHTJP-PNP", "KH-12", numerator=1, denominator=4)
    s.commit()
    return ind


def test_variance_page_shows_the_table_and_the_chart(figures, login):
    client = login("viewer")
    page = client.get("/variance?period=2026Q2&span=ytd").get_data(as_text=True)
    assert "T-SUM" in page and "T-PCT" in page
    assert "42" in page and "45" in page  # actual and target year to date
    assert "<svg" in page and "<title" in page  # the chart and its text alternative
    assert "Preview" not in page.split("<main")[1].split("Preview: include")[0]


def test_preview_is_marked_and_only_for_reviewers_and_planners(figures, login):
    client = login("reviewer")
    page = client.get("/variance?period=2026Q2&status=submitted").get_data(as_text=True)
    assert "preview-banner" in page and "not yet approved" in page
    assert ">70<" in page  # 12 + 8 + 50 submitted
    client.post("/logout")
    viewer = login("viewer")
    assert viewer.get("/variance?period=2026Q2&status=submitted").status_code == 403


def test_filters_sorting_and_status(figures, login):
    client = login("planner")
    page = client.get("/variance?period=2026Q2&outcome=O2").get_data(as_text=True)
    assert "T-PCT" in page and "T-SUM" not in page
    page = client.get("/variance?period=2026Q2&show=red").get_data(as_text=True)
    assert "T-PCT" in page and ">T-SUM<" not in page  # 25 % of 80: red; T-SUM is amber
    page = client.get("/variance?period=2026Q2&sort=progress&dir=desc").get_data(as_text=True)
    assert page.index(">T-SUM<") < page.index(">T-PCT<")
    assert client.get("/variance?period=2026Q9").status_code == 400
    assert client.get("/variance?period=2027Q4").status_code == 404
    assert client.get("/variance?period=2026Q2&span=week").status_code == 400
    assert client.get("/variance?period=2026Q2&province=KH-99").status_code == 400


def test_drill_down_and_deduplication(figures, login, db):
    client = login("reviewer")
    page = client.get("/variance/T-SUM?period=2026Q2&span=ytd").get_data(as_text=True)
    assert "By province" in page and "By organisation" in page and "WVC" in page
    response = client.post(
        "/variance/T-SUM/dedup",
        data={"period": "2026Q1", "province": "KH-12", "value": "-3", "reason": "Same children"},
    )
    assert response.status_code == 302
    stored = db.session.query(DedupAdjustment).one()
    assert stored.value == -3 and stored.reason == "Same children"
    page = client.get("/variance?period=2026Q2&span=ytd").get_data(as_text=True)
    assert "de-duplication adjustment of -3" in page
    # a positive figure is refused and nothing changes
    client.post(
        "/variance/T-SUM/dedup",
        data={"period": "2026Q1", "province": "KH-12", "value": "4", "reason": "x"},
    )
    db.session.expire_all()
    assert db.session.query(DedupAdjustment).one().value == -3
    assert client.post(f"/variance/dedup/{stored.id}/delete").status_code == 302
    assert db.session.query(DedupAdjustment).count() == 0


def test_api_variance(figures, api_token, client):
    headers = {"Authorization": f"Bearer {api_token('viewer')}"}
    body = client.get("/api/v1/variance?period=2026Q2&span=ytd", headers=headers).json
    row = next(i for i in body["indicators"] if i["code"] == "T-SUM")
    assert (row["actual"], row["target"], row["status"]) == (42, 45, "green")
    assert body["preview"] is False and body["status"] == "approved"
    by = client.get("/api/v1/variance?period=2026Q2&span=ytd&by=province", headers=headers).json
    assert {i["group"] for i in by["indicators"] if i["code"] == "T-SUM"} == {"KH-12", "KH-17"}
    bad = client.get("/api/v1/variance?period=nope", headers=headers)
    assert bad.status_code == 400 and set(bad.json["error"]) == {"code", "message", "details"}
    refused = client.get("/api/v1/variance?period=2026Q2&status=submitted", headers=headers)
    assert refused.status_code == 403
    reviewer = {"Authorization": f"Bearer {api_token('reviewer')}"}
    preview = client.get("/api/v1/variance?period=2026Q2&status=submitted", headers=reviewer).json
    assert preview["preview"] is True
    assert next(i for i in preview["indicators"] if i["code"] == "T-SUM")["actual"] == 70


def _count(app, client, url):
    from leap_me.extensions import db

    with app.app_context():
        counter = QueryCounter(db.engine)
        with counter:
            assert client.get(url).status_code == 200
    return counter.count


def test_query_counts_do_not_grow_with_the_data(app, figures, login, plan):
    client = login("planner")
    urls = ["/variance?period=2026Q2&span=plan", "/variance/T-SUM?period=2026Q2&span=plan"]
    before = [_count(app, client, u) for u in urls]
    for i in range(6):
        ind = f.indicator(plan, f"T-X{i}", result_key="O1.2")
        f.target(plan, ind, "2026Q2", 10)
        for org, prov in (("AHTJP-PNP", "KH-12"), ("AHTJP-SRP", "KH-17"), ("IOM", "KH-1")):
            f.value(plan, ind, "2026Q1", org, prov, 3)
            f.value(plan, ind, "2026Q2", org, prov, 4)
    plan.commit()
    after = [_count(app, client, u) for u in urls]
    assert after == before
