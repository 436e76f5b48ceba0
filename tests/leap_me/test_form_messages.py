"""Issue 8 item 17: WTForms' own messages and drop-down names in the page's language."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask_babel import refresh

from stakeholders.models import Organisation


def _khmer(client):
    client.post("/language", data={"lang": "km"})
    refresh()


def test_wtforms_messages_are_in_khmer_on_khmer_pages(client, login):
    login("planner")
    bad = {"code": "NEW-ORG", "name_en": "", "name_km": "", "type": "bogus",
           "website": "not a url", "parent_id": "0"}  # fmt: skip
    english = client.post("/organisations/new", data=bad).get_data(as_text=True)
    assert "This field is required." in english and "Not a valid choice." in english
    _khmer(client)
    response = client.post("/organisations/new", data=bad)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "ប្រអប់នេះត្រូវតែបំពេញ។" in page  # This field is required.
    assert "មិនមែនជាជម្រើសត្រឹមត្រូវទេ។" in page  # Not a valid choice.
    assert "អាសយដ្ឋានគេហទំព័រមិនត្រឹមត្រូវ។" in page  # Invalid URL.
    for english_message in ("This field is required.", "Not a valid choice.", "Invalid URL."):
        assert english_message not in page


def test_organisation_drop_downs_use_the_page_language(client, login, db):
    unicef = db.session.scalar(sa.select(Organisation).where(Organisation.code == "UNICEF"))
    from tests.logframe.factories import tiny_plan

    tiny_plan(db.session, with_draft=True)
    db.session.commit()
    login("planner")
    _khmer(client)
    response = client.get("/plan/v2/results/A1/edit")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    options = re.findall(r"<option[^>]*>([^<]*)</option>", page)
    assert f"UNICEF — {unicef.name_km}" in options
    assert f"UNICEF — {unicef.name_en}" not in options
