"""The indicators pages and API, driven like a browser (forms posted, pages read)."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from indicators import services
from indicators.models import DataValue, Indicator, ReportingPeriod


def _khmer(client) -> None:
    """Switch to Khmer. The db fixture keeps one app context for the whole test, in which
    Flask-Babel caches the locale, so the cache is cleared too."""
    from flask_babel import refresh

    client.post("/language", data={"lang": "km"})
    refresh()


def _text(response) -> str:
    return response.get_data(as_text=True)


def _form(ind_code: str, session, **changes) -> dict:
    ind = services.get_indicator(session, ind_code)
    v = ind.current
    data = {
        "code": ind.code,
        "result_key": ind.result_key,
        "name_en": v.name_en,
        "name_km": v.name_km,
        "definition_en": v.definition_en,
        "definition_km": v.definition_km,
        "unit_en": v.unit_en,
        "unit_km": v.unit_km,
        "measure": v.measure,
        "direction": v.direction,
        "tolerance": services.plain(v.tolerance),
        "agg_space": v.agg_space,
        "agg_time": v.agg_time,
        "frequency": v.frequency,
        "threshold_green": v.threshold_green,
        "threshold_amber": v.threshold_amber,
        "threshold_exceeded": v.threshold_exceeded,
        "data_source_en": v.data_source_en,
        "data_source_km": v.data_source_km,
        "verification_en": v.verification_en,
        "verification_km": v.verification_km,
        "baseline_value": services.plain(v.baseline_value),
        "baseline_numerator": services.plain(v.baseline_numerator),
        "baseline_denominator": services.plain(v.baseline_denominator),
        "baseline_date": v.baseline_date.isoformat() if v.baseline_date else "",
        "baseline_source": v.baseline_source,
        "categories": [c.id for c in v.categories],
        "reporters": [o.id for o in ind.reporters],
    }
    if v.by_province:
        data["by_province"] = "y"
    if v.baseline_is_demo:
        data["baseline_is_demo"] = "y"
    data.update(changes)
    return data


def test_registry_lists_searches_and_filters(seeded, login, count_queries):
    client = login("viewer")
    page = _text(client.get("/indicators"))
    assert "AHTJP-01" in page and "LEAP-8.1" in page and "Victims identified and rescued" in page
    page = _text(client.get("/indicators?q=hotline"))
    assert "AHTJP-05" in page and "AHTJP-01" not in page
    page = _text(client.get("/indicators?measure=percentage&sort=code&dir=desc"))
    assert "LEAP-8.1" in page and "AHTJP-01" not in page
    assert page.index("LEAP-8.1") < page.index("LEAP-5.1")
    page = _text(client.get("/indicators?result=O6.1"))
    assert "AHTJP-09" in page and "LEAP-1.1" not in page
    with count_queries() as few:
        client.get("/indicators?measure=ratio")
    with count_queries() as many:
        client.get("/indicators")
    assert few.count == many.count


def test_reference_sheet_shows_definition_baseline_and_targets(seeded, login, client):
    login("partner")
    page = _text(client.get("/indicators/AHTJP-01"))
    assert "Indicator reference sheet" in page
    assert "Cases of sexual abuse, sexual exploitation and trafficking investigated" in page
    assert "104 cases (2024)" in page and "Khmer Times" in page
    assert "Latest period with data" not in page and "Sum" in page
    assert ">2035<" in page and ">400<" in page and ">59<" in page  # 2027Q1 of 235
    assert "Type of crime suffered" in page and "AHTJP-SRP" in page
    assert "Edit" not in page  # partners read
    _khmer(client)
    page = _text(client.get("/indicators/AHTJP-01"))
    assert "ទិន្នន័យមូលដ្ឋាន" in page and "ចំនួនករណីការរំលោភបំពានផ្លូវភេទ" in page
    assert client.get("/indicators/NOPE").status_code == 404


def test_create_refuses_bad_input_in_both_languages(plan, login, client, db):
    login("planner")
    data = {
        "code": "TEST-1",
        "result_key": "O3.1",
        "name_en": "Test indicator",
        "name_km": "សូចនាករសាកល្បង",
        "measure": "percentage",
        "direction": "up",
        "agg_space": "sum",
        "agg_time": "sum",
        "frequency": "quarterly",
        "threshold_green": 90,
        "threshold_amber": 60,
        "threshold_exceeded": 120,
        "baseline_value": "twelve",
    }
    response = client.post("/indicators/new", data=data)
    assert response.status_code == 400 and "is not a number" in _text(response)
    response = client.post("/indicators/new", data={**data, "baseline_value": "120"})
    assert response.status_code == 400 and "cannot be over 100" in _text(response)
    response = client.post(
        "/indicators/new",
        data={**data, "baseline_value": "", "baseline_numerator": "3", "baseline_denominator": "0"},
    )
    assert response.status_code == 400 and "cannot be 0" in _text(response)
    _khmer(client)
    response = client.post("/indicators/new", data=data)
    assert response.status_code == 400 and "មិនមែនជាលេខទេ" in _text(response)
    assert db.session.scalar(sa.select(sa.func.count(Indicator.id))) == 0
    response = client.post("/indicators/new", data={**data, "baseline_value": "45.5"})
    assert response.status_code == 302
    ind = services.get_indicator(db.session, "TEST-1")
    assert ind.current.baseline_value == Decimal("45.5") and ind.result_key == "O3.1"


def test_edit_with_values_makes_a_new_version_through_the_page(
    seeded, login, client, db, org, province
):
    login("reviewer")
    ind = services.get_indicator(db.session, "AHTJP-03")
    period = db.session.scalar(sa.select(ReportingPeriod).where(ReportingPeriod.code == "2026Q3"))
    period.status = "open"  # values are taken only while a period is open
    value = services.record_value(
        db.session,
        indicator=ind,
        period=period,
        organisation=org("AHTJP-SRP"),
        province=province("KH-17"),
        disagg="nationality:VN|sex:M",
        value="4",
    )
    db.session.commit()
    page = _text(client.get("/indicators/AHTJP-03/edit"))
    assert "1 values are reported" in page
    data = _form("AHTJP-03", db.session, frequency="monthly", change_note="Monthly from 2027")
    response = client.post("/indicators/AHTJP-03/edit", data=data)
    assert response.status_code == 400  # asked first, nothing changed yet
    assert "You changed: Reporting frequency. This makes definition version 2" in _text(response)
    assert len(services.get_indicator(db.session, "AHTJP-03").versions) == 1
    data["confirm_version"] = "y"
    response = client.post("/indicators/AHTJP-03/edit", data=data, follow_redirects=True)
    assert "now has definition version 2" in _text(response)
    db.session.expire_all()
    ind = services.get_indicator(db.session, "AHTJP-03")
    assert [v.frequency for v in ind.versions] == ["quarterly", "monthly"]
    stored = db.session.get(DataValue, value.id)
    assert stored.version.number == 1 and stored.value == 4
    assert stored.disagg_key == "nationality:VN|sex:M"
    page = _text(client.get("/indicators/AHTJP-03"))
    assert "Monthly from 2027" in page and "v2" in page


def test_target_grid_saves_splits_and_refuses_bad_cells(seeded, login, client, db, province):
    login("planner")
    page = _text(client.get("/indicators/AHTJP-01/targets"))
    assert 'name="c-2026-KH" value="220"' in page and "Siemreap" in page
    response = client.post(
        "/indicators/AHTJP-01/targets",
        data={"c-2026-KH": "220", "c-2027-KH-17": "40", "c-2028-KH-17": "lots"},
    )
    assert response.status_code == 400
    assert "is not a number" in _text(response) and "nothing was saved" in _text(response)
    ind = services.get_indicator(db.session, "AHTJP-01")
    siem_reap = province("KH-17").id
    assert ("2027Q1", siem_reap) not in services.targets_by_period(db.session, ind.id)
    response = client.post(
        "/indicators/AHTJP-01/targets",
        data={"c-2026-KH": "220", "c-2027-KH-17": "42", "reason": "provincial plan"},
    )
    assert response.status_code == 302
    targets = services.targets_by_period(db.session, ind.id)
    assert [targets[(f"2027Q{i}", siem_reap)] for i in range(1, 5)] == [11, 11, 10, 10]
    assert targets[("2026Q1", None)] == 55  # unchanged national cell left alone
    # paste two years from a spreadsheet (year label, national, first provinces…)
    response = client.post("/indicators/AHTJP-01/targets", data={"paste": "2030\t500\n2031\t520"})
    targets = services.targets_by_period(db.session, ind.id)
    assert targets[("2030Q1", None)] == 125 and targets[("2031Q4", None)] == 130
    # copy across: the national 2026 value fills every empty province of that row
    client.post("/indicators/AHTJP-01/targets", data={"c-2026-KH": "220", "copy": "row:2026"})
    targets = services.targets_by_period(db.session, ind.id)
    assert targets[("2026Q1", province("KH-1").id)] == 55
    # one year's periods, one by one
    page = _text(client.get("/indicators/AHTJP-01/targets?year=2029"))
    assert 'name="c-2029Q3-KH"' in page


def test_percentage_target_over_100_is_refused(seeded, login, client):
    login("planner")
    response = client.post("/indicators/LEAP-8.1/targets", data={"c-2030-KH": "140"})
    assert response.status_code == 400 and "cannot be over 100" in _text(response)
    _khmer(client)
    response = client.post("/indicators/LEAP-8.1/targets", data={"c-2030-KH": "140"})
    assert "មិនអាចលើសពី ១០០" in _text(response)


def test_retire_and_replace_from_the_pages(seeded, login, client, db):
    login("planner")
    response = client.post("/indicators/LEAP-6.1/replace", data={"new_code": "LEAP-6.1B"})
    assert response.status_code == 302 and response.location.endswith("/indicators/LEAP-6.1B/edit")
    page = _text(client.get("/indicators/LEAP-6.1"))
    assert "Replaced by" in page and "LEAP-6.1B" in page and "Retired" in page
    assert "Replaces" in _text(client.get("/indicators/LEAP-6.1B"))
    client.post("/indicators/LEAP-6.2/retire")
    assert services.get_indicator(db.session, "LEAP-6.2").is_retired
    client.post("/indicators/LEAP-6.2/reactivate")
    assert not services.get_indicator(db.session, "LEAP-6.2").is_retired
    client.post("/indicators/LEAP-4.1/delete")
    assert services.get_indicator(db.session, "LEAP-4.1") is None


def test_planner_runs_periods_reviewer_reads(seeded, login, client, db):
    login("reviewer")
    page = _text(client.get("/periods?year=2026"))
    assert "2026Q4" in page and "Unlock" not in page and "Create the periods" not in page
    assert client.post("/periods/2026Q4/lock").status_code == 403
    client.post("/logout")
    login("planner")
    client.post("/periods/2026Q4/lock")
    period = services.get_period(db.session, "2026Q4")
    assert period.status == "locked"
    response = client.post("/periods/2026Q4/unlock", data={"reason": ""}, follow_redirects=True)
    assert "Say why" in _text(response) and services.get_period(db.session, "2026Q4").is_locked
    client.post("/periods/2026Q4/unlock", data={"reason": "correction from Takeo"})
    db.session.expire_all()
    assert services.get_period(db.session, "2026Q4").status == "closed"
    client.post("/periods/2026Q4/deadline", data={"deadline": "2027-01-31"})
    db.session.expire_all()
    assert services.get_period(db.session, "2026Q4").deadline.isoformat() == "2027-01-31"
    response = client.post("/periods/generate", data={"year": "2027"}, follow_redirects=True)
    assert "periods of 2027 are created" in _text(response)
    page = _text(client.get("/periods?year=2027&frequency=quarterly"))
    assert "2027Q3" in page and "202703" not in page


def test_disaggregations_page_adds_categories_and_options(seeded, login, client, db):
    login("planner")
    client.post(
        "/disaggregations",
        data={"code": "disability", "name_en": "Disability", "name_km": "ពិការភាព"},
    )
    client.post(
        "/disaggregations/disability/options",
        data={"code": "yes", "name_en": "With a disability", "name_km": "មានពិការភាព"},
    )
    page = _text(client.get("/disaggregations"))
    assert "Disability" in page and "With a disability" in page and "Under 12" in page


def test_api_indicators_and_periods(seeded, client, api_token):
    headers = {"Authorization": f"Bearer {api_token('viewer')}"}
    body = client.get("/api/v1/indicators?result=O7.3", headers=headers).json
    assert body["pager"]["total"] == 1
    ind = body["indicators"][0]
    assert ind["code"] == "LEAP-7.3" and ind["measure"] == "percentage"
    assert ind["baseline"] == {
        "value": "12.5",
        "numerator": "25",
        "denominator": "200",
        "date": "2025-12-31",
        "source": "Demo value",
        "isDemo": True,
    }
    assert {"period": "2026S1", "orgUnit": "KH", "value": "14"} in ind["targets"]
    assert ind["aggregation"] == {"space": "sum", "time": "latest"}
    assert "AHTJP-SRP" in ind["reporters"]
    body = client.get("/api/v1/indicators?pageSize=5&page=2", headers=headers).json
    assert len(body["indicators"]) == 5 and body["pager"]["total"] >= 20
    two = client.get("/api/v1/indicators?result=G", headers=headers).json["indicators"]
    disagg = next(i for i in two if i["code"] == "AHTJP-02")["disaggregations"]
    assert [d["code"] for d in disagg] == ["age", "nationality", "sex", "victim_type"]
    periods = client.get("/api/v1/periods?year=2026&status=open", headers=headers).json
    assert {p["code"] for p in periods["periods"]} == {"2026Q4", "202610", "202611"}
    q4 = next(p for p in periods["periods"] if p["code"] == "2026Q4")
    assert q4["deadline"] == "2027-01-15" and q4["startDate"] == "2026-10-01"
    bad = client.get("/api/v1/periods?status=nope", headers=headers)
    assert bad.status_code == 400 and "status must be one of" in bad.json["error"]["message"]


def test_pasting_a_year_outside_the_plan_is_refused(seeded, login, client, db):
    login("planner")
    response = client.post(
        "/indicators/AHTJP-01/targets",
        data={"paste": "Year\tNational\n2034\t380\n2040\t900"},
        follow_redirects=True,
    )
    text = _text(response)
    assert response.status_code == 400
    assert "2040 is outside the plan (2026–2035)" in text and "Nothing was saved" in text
    ind = services.get_indicator(db.session, "AHTJP-01")
    assert services.targets_by_period(db.session, ind.id)[("2034Q1", None)] == 93  # unchanged
    _khmer(client)
    response = client.post("/indicators/AHTJP-01/targets", data={"paste": "2040\t900"})
    assert "នៅក្រៅផែនការ" in _text(response)


def test_every_seeded_indicator_renders_its_pages(seeded, login, client, db):
    login("planner")
    codes = list(db.session.scalars(sa.select(Indicator.code)))
    assert len(codes) >= 20
    for code in codes:
        assert client.get(f"/indicators/{code}").status_code == 200, code
        assert client.get(f"/indicators/{code}/targets").status_code == 200, code
        assert client.get(f"/indicators/{code}/edit").status_code == 200, code
    text = _text(client.get("/indicators/LEAP-4.1/targets"))
    assert "A text indicator has no numeric targets." in text
    monthly = _text(client.get("/indicators/AHTJP-05/targets?year=2026"))
    assert 'name="c-202612-KH" value="216"' in monthly  # 2600 a year: 217 × 8, 216 × 4


def test_target_history_says_who_changed_what_and_why(seeded, login, client):
    login("planner")
    client.post(
        "/indicators/AHTJP-01/targets", data={"c-2026-KH": "240", "reason": "new NCCT figures"}
    )
    client.post("/logout")
    login("reviewer")
    page = _text(client.get("/indicators/AHTJP-01/targets/history"))
    assert "new NCCT figures" in page and "planner" in page
    assert "2026Q1 KH" in page and ">55<" in page and ">60<" in page
    assert "AHTJP-02" not in page
