import sqlalchemy as sa

from stakeholders.models import Contact, Organisation, Province


def _form(**changes):
    data = {
        "code": "NGO-HC",
        "acronym": "HC",
        "name_en": "Hagar Cambodia",
        "name_km": "អង្គការហាហ្គារ កម្ពុជា",
        "type": "ngo",
        "parent_id": 0,
        "provinces": [],
        "website": "",
        "notes": "",
        "is_active": "y",
        "reason": "",
    }
    data.update(changes)
    return data


def test_list_search_filter_sort_and_paginate(client, login, app):
    login("viewer")
    page = client.get("/organisations?q=embassy").get_data(as_text=True)
    assert "UK-EMB" in page and "FR-EMB" in page and "UNICEF" not in page
    page = client.get("/organisations?type=un_agency").get_data(as_text=True)
    assert "IOM" in page and "OHCHR" in page and "MOJ" not in page
    page = client.get("/organisations?sort=code&dir=desc").get_data(as_text=True)
    assert page.index("WVC") < page.index("AHTJP-BMC")
    app.config["PAGE_SIZE"] = 5
    page = client.get("/organisations?page=2").get_data(as_text=True)
    assert "6–10 of 22" in page and "Page 2 of 5" in page
    empty = client.get("/organisations?q=zzzz").get_data(as_text=True)
    assert "No organisation matches this search." in empty


def test_search_treats_wildcards_literally(client, login):
    login("viewer")
    page = client.get("/organisations?q=%25").get_data(as_text=True)
    assert "No organisation matches this search." in page


def test_planner_creates_an_organisation(client, login, db):
    login("planner")
    kh12 = db.session.scalar(sa.select(Province.id).where(Province.code == "KH-12"))
    response = client.post("/organisations/new", data=_form(provinces=[kh12]))
    assert response.status_code == 302 and response.location == "/organisations/NGO-HC"
    org = db.session.scalar(sa.select(Organisation).where(Organisation.code == "NGO-HC"))
    assert org.name_km == "អង្គការហាហ្គារ កម្ពុជា" and [p.code for p in org.provinces] == ["KH-12"]


def test_bad_input_is_refused_and_nothing_is_written(client, login, db):
    login("planner")
    before = db.session.scalar(sa.select(sa.func.count(Organisation.id)))
    response = client.post("/organisations/new", data=_form(code="bad code", name_km=""))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Use capital letters, digits and dashes." in page
    assert "Nothing was saved" in page
    response = client.post("/organisations/new", data=_form(code="UNICEF"))
    assert "Another organisation already has the code UNICEF." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Organisation.id))) == before


def test_parent_cycle_is_refused(client, login, db):
    login("planner")
    moi = db.session.scalar(sa.select(Organisation).where(Organisation.code == "MOI"))
    ahtjp = db.session.scalar(sa.select(Organisation).where(Organisation.code == "AHTJP"))
    response = client.post(
        "/organisations/MOI/edit",
        data=_form(
            code="MOI",
            name_en=moi.name_en,
            name_km=moi.name_km,
            type="ministry",
            parent_id=ahtjp.id,
        ),
    )
    assert response.status_code == 400
    assert "cannot sit under itself" in response.get_data(as_text=True)


def test_contacts_are_added_and_removed(client, login, db):
    login("planner")
    response = client.post(
        "/organisations/IOM/contacts",
        data={
            "name": "Sok Dara",
            "position": "Programme officer",
            "email": "dara@example.org",
            "phone": "+855 12 345 678",
        },
    )
    assert response.status_code == 302
    contact = db.session.scalar(sa.select(Contact))
    assert contact.name == "Sok Dara"
    page = client.get("/organisations/IOM").get_data(as_text=True)
    assert "Sok Dara" in page
    client.post(f"/organisations/IOM/contacts/{contact.id}/delete")
    assert db.session.scalar(sa.select(Contact)) is None


def test_contacts_are_hidden_from_partners_and_viewers(client, login, db):
    org = db.session.scalar(sa.select(Organisation).where(Organisation.code == "IOM"))
    org.contacts.append(Contact(name="Private Person", phone="012"))
    db.session.commit()
    login("viewer")
    assert "Private Person" not in client.get("/organisations/IOM").get_data(as_text=True)


def test_api_lists_organisations(client, api_token):
    headers = {"Authorization": f"Bearer {api_token('viewer')}"}
    body = client.get("/api/v1/organisations?type=police_unit", headers=headers).json
    codes = [o["code"] for o in body["organisations"]]
    assert "AHTJP-SRP" in codes and "UNICEF" not in codes
    srp = next(o for o in body["organisations"] if o["code"] == "AHTJP-SRP")
    assert srp["provinces"] == ["KH-17"] and srp["parent"] == "AHTJP"
    assert srp["name"]["km"].startswith("ការិយាល័យ")
    assert body["pager"]["total"] == len(codes) == 11
    bad = client.get("/api/v1/organisations?page=x", headers=headers)
    assert bad.status_code == 400 and bad.json["error"]["code"] == "bad_request"


def test_organisation_list_query_count_is_constant(client, login, db, count_queries, app):
    login("viewer")
    client.get("/organisations")
    with count_queries() as few:
        client.get("/organisations")
    for i in range(15):
        db.session.add(
            Organisation(
                code=f"NGO-{i}",
                name_en=f"N{i}",
                name_km="ក",
                type="ngo",
                provinces=list(db.session.scalars(sa.select(Province).limit(3))),
            )
        )
    db.session.commit()
    client.get("/organisations")
    with count_queries() as many:
        client.get("/organisations")
    # the page's own 3, plus the session check and the unread-notification count
    assert many.count == few.count <= 5


def test_provinces_page_lists_all_25(client, login):
    login("viewer")
    page = client.get("/provinces").get_data(as_text=True)
    assert page.count("<tr>") == 26  # header + 25
    assert "ភ្នំពេញ" in page
