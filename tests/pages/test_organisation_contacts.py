"""Issue 8 item 2: an organisation page with a contact renders for everyone who edits it,
and the contact can be removed from it (the macro needs no template context)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from stakeholders.models import Contact, Organisation


def _add_contact(db) -> int:
    org = db.session.scalar(sa.select(Organisation).where(Organisation.code == "IOM"))
    contact = Contact(name="Sok Dara", position="Officer", email="dara@example.org")
    org.contacts.append(contact)
    db.session.commit()
    return contact.id


@pytest.mark.parametrize("role", ["admin", "planner"])
def test_organisation_page_with_a_contact_renders_and_removes_it(client, login, db, role):
    contact_id = _add_contact(db)
    login(role)
    response = client.get("/organisations/IOM")
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert "Sok Dara" in page
    action = f"/organisations/IOM/contacts/{contact_id}/delete"
    assert f'action="{action}"' in page  # the Remove button is there
    assert client.post(action).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 0


def test_post_button_carries_a_csrf_token_when_imported_without_context(app):
    """The macro works in any template, whatever that template's context holds."""
    app.config["WTF_CSRF_ENABLED"] = True
    with app.test_request_context("/"):
        template = app.jinja_env.from_string(
            '{% from "_macros.html" import post_button %}{{ post_button("/x", "Go") }}'
        )
        html = template.render()
    assert 'name="csrf_token"' in html and 'value=""' not in html
