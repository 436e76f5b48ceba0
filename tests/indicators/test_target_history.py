"""Issue 8 items 8 and 17: the target history lists new targets and names provinces in
the page's language; every history page speaks in sentences with field labels."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask_babel import refresh

from leap_me.audit import AuditEntry


def _grid(client, code: str, year: int) -> dict[str, str]:
    page = client.get(f"/indicators/{code}/targets?year={year}").get_data(as_text=True)
    return dict(re.findall(r'name="(c-[^"]+)" value="([^"]*)"', page))


def test_new_province_targets_appear_in_the_history_with_the_province_name(seeded, login, client):
    login("planner")
    data = _grid(client, "AHTJP-01", 2026)
    assert data["c-2026Q2-KH-1"] == ""  # no target for Banteay Meanchey yet
    data["c-2026Q2-KH-1"] = "7"
    data["reason"] = "provincial plan"
    assert client.post("/indicators/AHTJP-01/targets?year=2026", data=data).status_code == 302
    created = seeded.scalar(
        sa.select(AuditEntry)
        .where(AuditEntry.object_type == "indicator_target", AuditEntry.action == "create")
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )
    assert created.object_label == "AHTJP-01 2026Q2 KH-1"  # the label names its indicator
    page = client.get("/indicators/AHTJP-01/targets/history").get_data(as_text=True)
    assert "No change has been recorded yet" not in page
    assert "2026Q2 · Banteay Meanchey" in page and "2026Q2 KH-1" not in page
    assert "Created target" in page and "provincial plan" in page
    client.post("/language", data={"lang": "km"})
    refresh()
    khmer = client.get("/indicators/AHTJP-01/targets/history").get_data(as_text=True)
    assert "2026Q2 · បន្ទាយមានជ័យ" in khmer
    assert "Banteay Meanchey" not in khmer


def test_closing_and_reopening_a_period_ask_for_confirmation(seeded, login, client):
    login("planner")
    page = client.get("/periods?year=2026").get_data(as_text=True)
    forms = re.findall(r'<form[^>]*action="/periods/(\w+)/(close|open)"[^>]*>', page)
    tags = re.findall(r'<form[^>]*action="/periods/\w+/(?:close|open)"[^>]*>', page)
    assert forms
    for (code, action), tag in zip(forms, tags, strict=True):
        if action == "close":
            assert f'data-confirm="Close {code}?' in tag
        elif "Reopen" in tag or "data-confirm" in tag:
            assert f'data-confirm="Reopen {code}?' in tag
    assert any(a == "close" for _c, a in forms)
