"""Issue 8 item 22: the matrix does not load activities with their partners and provinces,
and the indicators list's result filter offers outcomes and outputs only; both send a
constant number of queries as the plan grows."""

from __future__ import annotations

import re

import sqlalchemy as sa

from logframe import editing, services
from logframe.models import PlanVersion, Result
from stakeholders.models import Organisation, Province
from tests.logframe.factories import tiny_plan


def _grow(db, n: int) -> None:
    """Add n activities under P1, each with partners and provinces."""
    db.session.execute(sa.update(PlanVersion).values(status="draft"))
    db.session.expire_all()
    version = services.version_by_number(db.session, services.plan_of(db.session), 1)
    p1 = db.session.scalar(
        sa.select(Result).where(Result.version_id == version.id, Result.key == "P1")
    )
    a1 = db.session.scalar(
        sa.select(Result).where(Result.version_id == version.id, Result.key == "A1")
    )
    orgs = list(db.session.scalars(sa.select(Organisation.id).limit(2)))
    provs = list(db.session.scalars(sa.select(Province.id).limit(2)))
    for i in range(n):
        editing.create_result(
            db.session,
            version,
            p1,
            {
                "statement_en": f"Activity {i}",
                "statement_km": f"សកម្មភាព {i}",
                "start_date": a1.start_date,
                "end_date": a1.end_date,
                "status": "on_track",
                "progress": 10,
                "partner_ids": orgs,
                "province_ids": provs,
            },
        )
    db.session.execute(sa.update(PlanVersion).values(status="approved"))
    db.session.commit()


def _get(client, db, count_queries, url):
    db.session.expire_all()
    with count_queries() as q:
        response = client.get(url)
    assert response.status_code == 200
    return q, response.get_data(as_text=True)


def test_matrix_loads_no_activity_links_and_its_queries_stay_constant(
    client, login, db, count_queries
):
    tiny_plan(db.session, with_draft=False)
    db.session.commit()
    login("viewer")
    before, _page = _get(client, db, count_queries, "/plan/matrix")
    _grow(db, 12)
    after, page = _get(client, db, count_queries, "/plan/matrix")
    assert after.count == before.count
    sql = " ".join(after.statements)
    assert "result_partner" not in sql and "result_province" not in sql
    assert "Activity 3" not in page


def test_indicator_list_result_filter_lists_outcomes_and_outputs_only(
    client, login, db, count_queries
):
    tiny_plan(db.session, with_draft=False)
    db.session.commit()
    login("planner")
    before, page = _get(client, db, count_queries, "/indicators")
    _grow(db, 12)
    after, page = _get(client, db, count_queries, "/indicators")
    assert after.count == before.count
    select = re.search(r'<select[^>]*name="result"[^>]*>(.*?)</select>', page, re.S)
    assert select, "the result filter is on the page"
    keys = re.findall(r'value="([^"]*)"', select.group(1))
    version = services.version_by_number(db.session, services.plan_of(db.session), 1)
    levels = dict(
        db.session.execute(
            sa.select(Result.key, Result.level).where(Result.version_id == version.id)
        ).all()
    )
    listed = [k for k in keys if k]
    assert listed and {levels[k] for k in listed} <= {"outcome", "output"}
    assert "A1" not in listed
