"""The DHIS2 Web API, driven the way a DHIS2 client does."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from leap_me import seeding

UID = re.compile(r"^[A-Za-z][A-Za-z0-9]{10}$")


@pytest.fixture
def seeded(app, db):
    seeding.seed_all(
        db.session,
        Path(app.config["SEEDS_DIR"]),
        only=("disaggregations", "indicators", "periods"),
    )
    db.session.commit()
    return db


def hdr(token: str, scheme: str = "ApiToken") -> dict:
    return {"Authorization": f"{scheme} {token}"}


def basic(username: str, password: str = "leap-demo-2026") -> dict:
    raw = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


@pytest.mark.parametrize("prefix", ["/api", "/api/40", "/api/38", "/api/41"])
def test_system_info_on_every_version(client, api_token, prefix):
    r = client.get(f"{prefix}/system/info", headers=hdr(api_token("viewer")))
    assert r.status_code == 200
    assert r.json["version"] == "2.40.0"


def test_unsupported_version_is_404(client, api_token):
    assert client.get("/api/37/system/info", headers=hdr(api_token("viewer"))).status_code == 404


def test_auth_schemes(client, api_token):
    token = api_token("partner")
    for headers in (hdr(token), hdr(token, "Bearer"), basic("partner")):
        r = client.get("/api/me", headers=headers)
        assert r.status_code == 200, headers
        assert r.json["username"] == "partner"
    r = client.get("/api/me")
    assert r.status_code == 401
    assert r.json["httpStatusCode"] == 401 and r.json["status"] == "ERROR"
    assert client.get("/api/me", headers=basic("partner", "wrong")).status_code == 401
    assert client.get("/api/me", headers=hdr("nope")).status_code == 401
    assert client.get("/api/me", headers={"Authorization": "Basic !!!"}).status_code == 401


def test_basic_auth_is_throttled_like_the_sign_in_page(app, client):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert client.get("/api/me", headers=basic("partner", "wrong")).status_code == 401
    r = client.get("/api/me", headers=basic("partner"))
    assert r.status_code == 429
    assert r.json["httpStatusCode"] == 429


def test_me_lists_the_partners_provinces_and_organisation(client, api_token, seeded):
    r = client.get("/api/me", headers=hdr(api_token("partner")))
    codes = [u["code"] for u in r.json["organisationUnits"]]
    assert codes == ["KH-17"]  # AHTJP Siem Reap
    assert r.json["attributeOptionCombo"]["code"] == "AHTJP-SRP"
    assert "F_DATAVALUE_ADD" in r.json["authorities"]
    viewer = client.get("/api/me", headers=hdr(api_token("viewer")))
    assert [u["code"] for u in viewer.json["organisationUnits"]] == ["KH"]


def test_metadata_fields_and_paging(client, api_token, seeded):
    from indicators.models import Indicator

    h = hdr(api_token("viewer"))
    r = client.get("/api/dataElements?fields=id,code,name&paging=false", headers=h)
    assert r.status_code == 200
    assert "pager" not in r.json
    elements = r.json["dataElements"]
    assert all(set(e) == {"id", "code", "name"} and UID.match(e["id"]) for e in elements)
    codes = {e["code"] for e in elements}
    ratio = seeded.session.scalars(sa.select(Indicator)).all()
    for ind in ratio:
        if ind.current.measure in ("ratio", "percentage"):
            assert {f"{ind.code}.num", f"{ind.code}.den"} <= codes
            assert ind.code not in codes
        else:
            assert ind.code in codes
    # UIDs are stable: the same on a second read
    again = client.get("/api/dataElements?fields=id,code&paging=false", headers=h).json
    assert {e["code"]: e["id"] for e in again["dataElements"]} == {
        e["code"]: e["id"] for e in elements
    }
    page = client.get("/api/dataElements?fields=id&pageSize=5&page=2", headers=h).json
    assert page["pager"]["page"] == 2 and page["pager"]["pageSize"] == 5
    assert page["pager"]["total"] == len(elements)
    assert len(page["dataElements"]) == 5
    star = client.get("/api/dataElements?fields=*&pageSize=1", headers=h).json
    assert {"id", "code", "valueType", "categoryCombo"} <= set(star["dataElements"][0])
    nested = client.get(
        "/api/dataSets?fields=id,periodType,dataSetElements[dataElement[id]]&paging=false",
        headers=h,
    ).json["dataSets"]
    assert {d["periodType"] for d in nested} == {"Monthly", "Quarterly", "SixMonthly", "Yearly"}
    assert all(set(x) == {"dataElement"} for d in nested for x in d["dataSetElements"])
    bad = client.get("/api/dataElements?pageSize=²", headers=h)
    assert bad.status_code == 400 and bad.json["status"] == "ERROR"


def test_org_units_and_combos(client, api_token, seeded):
    h = hdr(api_token("viewer"))
    units = client.get("/api/organisationUnits?fields=id,code,level&paging=false", headers=h)
    units = units.json["organisationUnits"]
    assert len(units) == 26
    assert [u["code"] for u in units if u["level"] == 1] == ["KH"]
    assert all(re.fullmatch(r"KH-\d+", u["code"]) for u in units if u["level"] == 2)
    combos = client.get("/api/categoryOptionCombos?fields=id,code&paging=false", headers=h)
    combos = combos.json["categoryOptionCombos"]
    assert {"id": "HllvX50cXC0", "code": "default"} in combos
    assert any("sex:" in c["code"] for c in combos)
    types = client.get("/api/periodTypes", headers=h).json["periodTypes"]
    assert [t["name"] for t in types] == ["Monthly", "Quarterly", "SixMonthly", "Yearly"]


def test_uids_are_stored_and_never_change(app, db, seeded):
    from leap_me.exchange.dhis2.ids import Catalogue, derive_uid, ensure
    from leap_me.exchange.models import ExternalId

    cat = Catalogue(db.session)
    db.session.commit()
    first = {e.code: e.uid for e in cat.elements}
    # a stored UID wins over the derived one, whatever changes later
    row = db.session.scalar(sa.select(ExternalId).where(ExternalId.kind == "dataElement"))
    row.uid = "Abcdefghij1"
    db.session.commit()
    assert ensure(db.session, "dataElement", [row.key]) == {row.key: "Abcdefghij1"}
    assert derive_uid("dataElement", "1") == derive_uid("dataElement", "1")
    assert all(UID.match(u) for u in first.values())
