"""IATI 2.03 export: valid against the official schema, every code from the codelists,
approved data only, deterministic, scoped to viewers and above."""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from lxml import etree

from leap_me import seeding
from leap_me.exchange import iati

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "iati-2.03"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

#: (element, attribute) → codelist file
CODED = {
    ("iati-activities", "version"): "Version",
    ("iati-activity", "default-currency"): "Currency",
    ("iati-activity", XML_LANG): "Language",
    ("narrative", XML_LANG): "Language",
    ("reporting-org", "type"): "OrganisationType",
    ("participating-org", "type"): "OrganisationType",
    ("participating-org", "role"): "OrganisationRole",
    ("provider-org", "type"): "OrganisationType",
    ("activity-status", "code"): "ActivityStatus",
    ("activity-date", "type"): "ActivityDateType",
    ("recipient-country", "code"): "Country",
    ("location-reach", "code"): "GeographicLocationReach",
    ("exactness", "code"): "GeographicExactness",
    ("location-class", "code"): "GeographicLocationClass",
    ("sector", "vocabulary"): "SectorVocabulary",
    ("sector", "code"): "Sector",
    ("budget", "type"): "BudgetType",
    ("budget", "status"): "BudgetStatus",
    ("planned-disbursement", "type"): "BudgetType",
    ("value", "currency"): "Currency",
    ("related-activity", "type"): "RelatedActivityType",
    ("result", "type"): "ResultType",
    ("indicator", "measure"): "IndicatorMeasure",
}


def codelist(name: str) -> set[str]:
    with (FIXTURES / "codelists" / f"{name}.csv").open(encoding="utf-8") as fh:
        return {row["code"] for row in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(FIXTURES / "iati-activities-schema.xsd")))


@pytest.fixture
def seeded(app, db):
    """Everything but the demo submissions, so that the figures here are the test's own."""
    names = tuple(name for name, _step in seeding.steps() if name != "submissions")
    seeding.seed_all(db.session, Path(app.config["SEEDS_DIR"]), only=names)
    db.session.commit()
    return db


def _number_indicator(db):
    from indicators.models import Indicator

    for ind in db.session.scalars(sa.select(Indicator).order_by(Indicator.code)):
        v = ind.current
        if v.measure == "number" and v.agg_space == "sum" and v.agg_time == "sum" and ind.reporters:
            return ind
    raise AssertionError("the seed has no summed number indicator with reporters")


def _periods(db, frequency: str, year: int):
    from indicators.models import ReportingPeriod

    return list(
        db.session.scalars(
            sa.select(ReportingPeriod)
            .where(ReportingPeriod.frequency == frequency, ReportingPeriod.year == year)
            .order_by(ReportingPeriod.start_date)
        )
    )


def _record(db, ind, period, status, value, province=None, disagg=""):
    from indicators.services.values import record_value

    version = ind.current
    org = ind.reporters[0]
    period.status = "open"  # the value store takes values only in open periods
    if version.by_province and province is None:
        province = org.provinces[0] if org.provinces else _any_province(db)
    return record_value(
        db.session,
        indicator=ind,
        period=period,
        organisation=org,
        province=province if version.by_province else None,
        disagg=disagg,
        value=value,
        status=status,
    )


def _any_province(db):
    from stakeholders.models import Province

    return db.session.scalar(sa.select(Province).order_by(Province.code))


def _export(db, app, now=None) -> bytes:
    settings = iati.settings(app.config, Path(app.config["SEEDS_DIR"]))
    return iati.build(db.session, settings, now=now)


def _values_fixture(seeded):
    """Two approved values in one year (summed), a draft and a submitted one (ignored)."""
    db = seeded
    ind = _number_indicator(db)
    periods = _periods(db, ind.current.frequency, 2026)
    assert len(periods) >= 2
    _record(db, ind, periods[0], "approved", "7")
    _record(db, ind, periods[1], "approved", "5")
    if len(periods) > 2:
        _record(db, ind, periods[2], "draft", "1000")
    if len(periods) > 3:
        _record(db, ind, periods[3], "submitted", "2000")
    db.session.commit()
    return ind


def test_export_validates_and_uses_only_codelist_codes(app, seeded, schema):
    _values_fixture(seeded)
    body = _export(seeded, app)
    doc = etree.fromstring(body)
    assert schema.validate(doc), schema.error_log
    seen: dict[str, set[str]] = {}
    for el in doc.iter():
        for (tag, attr), listname in CODED.items():
            if el.tag == tag and el.get(attr) is not None:
                if tag == "sector" and attr == "code" and el.get("vocabulary") != "1":
                    continue
                seen.setdefault(listname, set()).add(el.get(attr))
    for listname, codes in seen.items():
        unknown = codes - codelist(listname)
        assert not unknown, f"{listname}: {unknown} not in the codelist"
    # the lists that must be used at all
    for needed in ("OrganisationRole", "Sector", "BudgetType", "IndicatorMeasure", "Language"):
        assert needed in seen, needed


def test_structure_parent_children_budgets_and_both_languages(app, seeded):
    from budget import compute, services
    from logframe import services as plan_services
    from logframe.models import Level

    _values_fixture(seeded)
    doc = etree.fromstring(_export(seeded, app))
    activities = doc.findall("iati-activity")
    version = plan_services.current_version(seeded.session)
    outcomes = [
        r for r in plan_services.load_results(seeded.session, version) if r.level == Level.OUTCOME
    ]
    assert len(activities) == 1 + len(outcomes)
    parent = activities[0]
    ident = parent.findtext("iati-identifier")
    assert ident == "KH-MOI-LEAP-2026"
    children = parent.findall("related-activity[@type='2']")
    assert len(children) == len(outcomes)
    for child, rel in zip(activities[1:], children, strict=True):
        assert child.findtext("iati-identifier") == rel.get("ref")
        assert child.find("related-activity").get("ref") == ident
        assert child.find("related-activity").get("type") == "1"
    # titles in English and Khmer
    kms = [n for n in parent.find("title").findall("narrative") if n.get(XML_LANG) == "km"]
    assert kms and re.search("[\u1780-\u17ff]", kms[0].text)
    # one budget per fiscal year of the approved schedule, in USD, with its value-date
    schedule = services.approved_schedule(seeded.session)
    data = compute.compute(seeded.session, schedule, detail=False)
    budgets = parent.findall("budget")
    assert [b.find("period-start").get("iso-date")[:4] for b in budgets] == [
        str(r["year"]) for r in data["years_rows"]
    ]
    first = data["years_rows"][0]
    assert Decimal(budgets[0].findtext("value")) == first["planned_usd"]
    assert budgets[0].find("value").get("value-date") == f"{first['year']}-01-01"
    # planned disbursements per funding source and year add up to the year's budget
    year = str(first["year"])
    total = sum(
        Decimal(pd.findtext("value"))
        for pd in parent.findall("planned-disbursement")
        if pd.find("period-start").get("iso-date").startswith(year)
    )
    assert total == first["planned_usd"]
    roles = {p.get("role") for p in parent.findall("participating-org")}
    assert roles == {"1", "2", "4"}
    # the 25 provinces or those the plan works in, each with its ISO code and Khmer name
    locations = parent.findall("location")
    assert locations and all(re.fullmatch(r"KH-\d+", loc.get("ref")) for loc in locations)
    assert all(len(loc.find("name").findall("narrative")) == 2 for loc in locations)


def test_actuals_come_from_approved_values_only(app, seeded):
    ind = _values_fixture(seeded)
    doc = etree.fromstring(_export(seeded, app))
    found = [
        i
        for i in doc.iter("indicator")
        if i.find("title/narrative").text.startswith(ind.code + " ")
    ]
    assert len(found) == 1
    period = next(
        p
        for p in found[0].findall("period")
        if p.find("period-start").get("iso-date") == "2026-01-01"
    )
    actuals = [a for a in period.findall("actual") if a.find("dimension") is None]
    assert [a.get("value") for a in actuals] == ["12"]  # 7 + 5; the draft and submitted ignored
    assert found[0].get("measure") == "1"
    assert found[0].get("ascending") == ("0" if ind.current.direction == "down" else "1")


def test_disaggregated_actuals_are_dimensions(app, seeded):
    from indicators.models import Indicator

    db = seeded
    ind = next(
        i
        for i in db.session.scalars(sa.select(Indicator).order_by(Indicator.code))
        if i.current.categories and i.current.measure == "number" and i.reporters
    )
    version = ind.current
    key = "|".join(sorted(f"{c.code}:{c.options[0].code}" for c in version.categories))
    period = _periods(db, version.frequency, 2026)[0]
    _record(db, ind, period, "approved", "3", disagg=key)
    db.session.commit()
    doc = etree.fromstring(_export(db, app))
    indicator = next(
        i for i in doc.iter("indicator") if i.find("title/narrative").text.startswith(ind.code)
    )
    dims = [
        {d.get("name"): d.get("value") for d in a.findall("dimension")}
        for a in indicator.iter("actual")
        if a.find("dimension") is not None
    ]
    expected = dict(part.split(":") for part in key.split("|"))
    assert expected in dims


def test_export_is_deterministic(app, seeded):
    _values_fixture(seeded)
    one = _export(seeded, app, now=datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    two = _export(seeded, app, now=datetime(2026, 12, 2, 9, 30, tzinfo=UTC))
    strip = re.compile(rb'generated-datetime="[^"]*"')
    assert one != two
    assert strip.sub(b"", one) == strip.sub(b"", two)


def test_settings_come_from_the_environment_first(app, seeded, monkeypatch):
    monkeypatch.setenv("IATI_ACTIVITY_ID", "XM-DAC-41114-LEAP")
    doc = etree.fromstring(_export(seeded, app))
    assert doc.find("iati-activity/iati-identifier").text == "XM-DAC-41114-LEAP"
    assert (
        doc.findall("iati-activity")[1]
        .findtext("iati-identifier")
        .startswith("XM-DAC-41114-LEAP-O")
    )


def test_api_scope(app, client, seeded, api_token, schema):
    ok = client.get(
        "/api/v1/iati/activities.xml", headers={"Authorization": f"Bearer {api_token('viewer')}"}
    )
    assert ok.status_code == 200
    assert ok.mimetype == "application/xml"
    assert schema.validate(etree.fromstring(ok.data))
    partner = client.get(
        "/api/v1/iati/activities.xml", headers={"Authorization": f"Bearer {api_token('partner')}"}
    )
    assert partner.status_code == 403 and partner.is_json
    assert client.get("/api/v1/iati/activities.xml").status_code == 401


def test_cli_writes_a_valid_file(app, seeded, runner, tmp_path, schema):
    out = tmp_path / "iati.xml"
    result = runner.invoke(args=["export", "iati", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert schema.validate(etree.parse(str(out)))
    missing = runner.invoke(args=["export", "iati", "-o", str(tmp_path / "no" / "x.xml")])
    assert missing.exit_code != 0
    assert "does not exist" in missing.output
    assert "Traceback" not in missing.output
