"""Issue 8 item 21: the "Form expired" page keeps what was typed and, for our own pages,
sends it again with a fresh token (one mechanism in the CSRF error handler)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from stakeholders.models import Organisation
from tests.conftest import PASSWORD, make_config


@pytest.fixture
def csrf_client(app, database_url):
    from leap_me import create_app

    secured = create_app(make_config(database_url, WTF_CSRF_ENABLED=True))
    client = secured.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    r = client.post(
        "/login", data={"username": "planner", "password": PASSWORD, "csrf_token": token}
    )
    assert r.status_code == 302
    return client


TYPED = {"code": "NEW-NGO", "name_en": "New NGO", "name_km": "អង្គការថ្មី", "type": "ngo",
         "parent_id": "0", "notes": "Typed <b>before</b> the token expired"}  # fmt: skip


def test_expired_form_is_shown_again_and_can_be_sent(csrf_client, db):
    response = csrf_client.post(
        "/organisations/new",
        data={**TYPED, "csrf_token": "expired"},
        headers={"Referer": "http://localhost/organisations/new"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Form expired" in page
    assert "What you typed is kept below" in page
    assert "Typed &lt;b&gt;before&lt;/b&gt; the token expired" in page  # escaped, kept
    form = re.search(r'<form method="post" action="([^"]+)">(.*?)</form>', page, re.S)
    assert form.group(1) == "/organisations/new"
    fields = dict(
        re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(2))
    )
    assert fields["csrf_token"] not in ("", "expired")  # a fresh token
    import html

    data = {k: html.unescape(v) for k, v in fields.items()}
    resent = csrf_client.post("/organisations/new", data=data)
    assert resent.status_code == 302, resent.get_data(as_text=True)
    org = db.session.scalar(sa.select(Organisation).where(Organisation.code == "NEW-NGO"))
    assert org.notes == TYPED["notes"] and org.name_km == "អង្គការថ្មី"


def test_a_form_from_another_site_is_not_offered_again(csrf_client, db):
    response = csrf_client.post(
        "/organisations/new",
        data={**TYPED, "csrf_token": "x", "password": "secret-value"},
        headers={"Origin": "https://evil.example"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Send it again" not in page and "secret-value" not in page
    assert "New NGO" in page  # still shown, to copy
