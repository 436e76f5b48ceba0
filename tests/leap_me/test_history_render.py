"""Issue 8 item 17: history pages are sentences with field labels in the page's language,
never raw column names or JSON; every audited model names all of its fields."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask_babel import refresh

from leap_me.audit import IGNORED_FIELDS, Audited
from leap_me.db import Base
from leap_me.history import COMMON_FIELDS, labels_for
from stakeholders.models import Contact, Organisation


def test_every_audited_model_labels_every_field(app):
    missing = []
    for mapper in Base.registry.mappers:
        cls = mapper.class_
        if not issubclass(cls, Audited):
            continue
        labels = labels_for(cls.__tablename__)
        if labels is None:
            missing.append(cls.__tablename__)
            continue
        keys = [a.key for a in mapper.column_attrs if a.key not in IGNORED_FIELDS]
        keys += [r.key for r in mapper.relationships if r.secondary is not None]
        missing += [
            f"{cls.__tablename__}.{k}"
            for k in keys
            if k not in labels.fields and k not in COMMON_FIELDS
        ]
    assert missing == [], "register a label in the domain's audit_labels.py"


def _visible(html: str) -> str:
    main = re.search(r"<main.*?</main>", html, re.S).group(0)
    return re.sub(r"<[^>]+>", " ", main)


def test_organisation_history_reads_as_sentences_in_both_languages(client, login, db):
    org = db.session.scalar(sa.select(Organisation).where(Organisation.code == "IOM"))
    parent = db.session.scalar(sa.select(Organisation).where(Organisation.code == "MOI"))
    org.contacts.append(Contact(name="Sok Dara", email="dara@example.org"))
    org.parent_id = parent.id
    org.is_active = False
    db.session.commit()
    login("planner")
    page = _visible(client.get("/organisations/IOM/history").get_data(as_text=True))
    assert "Created contact “Sok Dara”." in page
    assert "Changed Active from “yes” to “no”." in page
    assert f"Set Parent organisation to “{parent.name_en}”." in page  # a name, not an id
    assert "system / seed data" in page  # the seeded creation
    for raw in ("is_active", "parent_id", "organisation_id", '{"', "name_en"):
        assert raw not in page, raw
    client.post("/language", data={"lang": "km"})
    refresh()
    khmer = _visible(client.get("/organisations/IOM/history").get_data(as_text=True))
    assert parent.name_km in khmer
    for english in ("system / seed data", "Created", "Changed", "Active", "seed data"):
        assert english not in khmer, english


def test_plan_version_history_shows_the_approval_date_with_its_label(client, login, db):
    from tests.logframe.factories import tiny_plan

    tiny_plan(db.session, with_draft=True)
    db.session.commit()
    login("planner")
    assert client.post("/plan/v2/approve", data={"confirm": "y"}).status_code in (302, 400)
    page = _visible(client.get("/plan/v2/history").get_data(as_text=True))
    assert "approved_dt" not in page and "approved_by_id" not in page
    assert "No change has been recorded yet" not in page
