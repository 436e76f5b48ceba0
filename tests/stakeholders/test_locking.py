"""Two people edit the same organisation or user account."""

from __future__ import annotations

import sqlalchemy as sa

from leap_me.auth.models import User
from stakeholders.models import Organisation
from tests.formdata import resubmit, set_fields, two_saves


def test_organisation_conflict(app, db):
    url = "/organisations/UNICEF/edit"
    two, page = two_saves(
        app,
        url,
        "admin",
        set_fields,
        first={"website": "https://first.example.org"},
        second={"website": "https://second.example.org", "notes": "Second"},
    )
    assert "https://first.example.org" in page and "https://second.example.org" in page

    def org():
        db.session.expire_all()
        return db.session.scalar(sa.select(Organisation).where(Organisation.code == "UNICEF"))

    assert org().website == "https://first.example.org" and org().notes != "Second"
    assert resubmit(two, url, page).status_code == 302
    assert org().website == "https://second.example.org" and org().notes == "Second"


def test_user_conflict(app, db):
    viewer = db.session.scalar(sa.select(User).where(User.username == "viewer"))
    url = f"/admin/users/{viewer.id}/edit"
    two, page = two_saves(
        app,
        url,
        "admin",
        set_fields,
        first={"full_name": "Donor Viewer (first)"},
        second={"full_name": "Donor Viewer (second)"},
    )
    assert "Donor Viewer (first)" in page and "Donor Viewer (second)" in page

    def name():
        db.session.expire_all()
        return db.session.get(User, viewer.id).full_name

    assert name() == "Donor Viewer (first)"
    assert resubmit(two, url, page).status_code == 302
    assert name() == "Donor Viewer (second)"
