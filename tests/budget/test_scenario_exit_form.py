"""Issue 8 item 21: the donor-exit form asks for confirmation and keeps the donor chosen."""

from __future__ import annotations

import re

import sqlalchemy as sa


def test_donor_exit_form_confirms_and_remembers_the_donor(db, tiny, login, client):
    unicef = db.session.scalar(sa.text("SELECT id FROM organisation WHERE code = 'UNICEF'"))
    login("planner")
    r = client.post("/budget/scenarios", data={"name": "Try"})
    sc_id = int(r.location.rstrip("/").split("/")[-1])
    page = client.get(f"/budget/scenarios/{sc_id}").get_data(as_text=True)
    form = re.search(r'<form[^>]*class="budget-exit"[^>]*>', page).group(0)
    assert "data-confirm=" in form
    r = client.post(
        f"/budget/scenarios/{sc_id}/exit", data={"source_id": str(unicef), "from_year": "2027"}
    )
    assert r.status_code == 302
    page = client.get(r.location).get_data(as_text=True)
    assert re.search(
        rf'<option selected value="{unicef}">|<option value="{unicef}" selected>', page
    )
    assert re.search(r'<option selected value="2027">|<option value="2027" selected>', page)
