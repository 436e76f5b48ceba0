"""IATI 2.03 activity export: the LEAP programme as one IATI activity, with one child
activity per outcome, results from approved data only.

The export reads the domains through their services (logframe, indicators, budget,
stakeholders) and writes XML with lxml. It is deterministic: the same data give the same
bytes, apart from ``generated-datetime`` (and ``last-updated-datetime``, which is the
latest change of the data, not the time of the export). Codes come from the IATI 2.03
codelists; ``tests/leap_me/test_iati.py`` checks every code the file uses against them
(copied under ``tests/fixtures/iati-2.03/``) and validates it against the official schema.

Mapping (see docs/api.md, "IATI"):
- iati-identifier and reporting-org: settings ``IATI_ACTIVITY_ID``, ``IATI_REPORTING_ORG_REF``,
  ``IATI_REPORTING_ORG_TYPE`` (environment, else ``seeds/iati.yaml``'s demo values);
  a child activity is ``<activity id>-O<outcome code>``.
- participating-org: funding (1) = the budget's funding sources; accountable (2) = the
  Ministry of Interior; implementing (4) = the organisations assigned to report indicators
  and the partners of activities.
- sectors: DAC 5-digit (vocabulary 1): 15130 legal and judicial development (50 %),
  15180 ending violence against women and girls (25 %), 16010 social protection (25 %).
- budgets per fiscal year (Cambodia's fiscal year is the calendar year) and
  planned-disbursements per funding source and year, from the approved budget schedule,
  in USD, ``value-date`` the first day of the year.
- results: the goal's (impact, type 3) in the programme activity, and one per outcome
  (type 2) in that outcome's child activity, its outputs' indicators included; an indicator per
  outcome indicator with its baseline and yearly periods (target and actual, the actual
  from approved values, added up as METHOD.md §2 says), disaggregated actuals as
  ``dimension`` elements.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from lxml import etree
from sqlalchemy import orm as so

IATI_VERSION = "2.03"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

#: Our organisation types → IATI OrganisationType codes.
ORG_TYPES = {
    "ministry": "10",  # Government
    "police_unit": "10",
    "un_agency": "40",  # Multilateral
    "intl_ngo": "21",  # International NGO
    "ngo": "22",  # National NGO
    "donor": "10",  # donor governments' agencies
    "embassy": "10",
    "other": "90",
}
#: Our measures → IATI IndicatorMeasure codes.
MEASURES = {"number": "1", "ratio": "1", "percentage": "2", "yesno": "3", "text": "5"}
SECTORS = (("15130", "50"), ("15180", "25"), ("16010", "25"))
ROLE_FUNDING, ROLE_ACCOUNTABLE, ROLE_IMPLEMENTING = "1", "2", "4"


@dataclass(frozen=True)
class Settings:
    activity_id: str
    reporting_org_ref: str
    reporting_org_type: str
    reporting_org_name_en: str
    reporting_org_name_km: str
    accountable_org: str  # our organisation code of the accountable body


def settings(config: dict[str, Any], seeds_dir: Path) -> Settings:
    """Settings from the app config (environment), falling back to the seed's demo values."""
    path = seeds_dir / "iati.yaml"
    seed = yaml.safe_load(path.read_text(encoding="utf-8"))["iati"] if path.exists() else {}

    def pick(key: str, default: str = "") -> str:
        name = f"IATI_{key.upper()}"
        return str(config.get(name) or os.environ.get(name) or seed.get(key) or default)

    return Settings(
        activity_id=pick("activity_id", "KH-MOI-LEAP"),
        reporting_org_ref=pick("reporting_org_ref", "KH-MOI"),
        reporting_org_type=pick("reporting_org_type", "10"),
        reporting_org_name_en=pick("reporting_org_name_en", "Ministry of Interior, Cambodia"),
        reporting_org_name_km=pick("reporting_org_name_km", "ក្រសួងមហាផ្ទៃ"),
        accountable_org=pick("accountable_org", "MOI"),
    )


def _num(value: Decimal | None) -> str:
    """A decimal as IATI wants it: plain digits, no exponent, no trailing zeros."""
    if value is None:
        return ""
    text = format(value.normalize() if value != 0 else Decimal(0), "f")
    return text


def _el(parent: etree._Element, tag: str, attrs: dict[str, str] | None = None) -> etree._Element:
    node = etree.SubElement(parent, tag)
    for key, val in (attrs or {}).items():
        if val not in (None, ""):
            node.set(key, str(val))
    return node


def _narratives(parent: etree._Element, tag: str, en: str, km: str) -> etree._Element:
    node = etree.SubElement(parent, tag)
    _narrative(node, en, km)
    return node


def _narrative(node: etree._Element, en: str, km: str) -> None:
    first = etree.SubElement(node, "narrative")
    first.text = en or km or "-"
    if km and en:
        second = etree.SubElement(node, "narrative")
        second.set(XML_LANG, "km")
        second.text = km


def _org_ref(org: Any, settings_: Settings) -> str:
    """An organisation identifier: the reporting org's for the MoI, else ours, prefixed."""
    if org.code == settings_.accountable_org:
        return settings_.reporting_org_ref
    return f"XM-LEAP-{org.code}"


# --- reading the domains -------------------------------------------------------------


def _actuals(session: so.Session, indicators: list[Any]) -> dict[int, dict]:
    """{indicator id: {(year, disagg_key): Decimal}} from approved values only.

    One grouped query; the rules of METHOD.md §2 are applied in pandas-free Python over
    the grouped rows (a few per indicator and year): across space first (per period), then
    across the periods of the year; ratios and percentages from summed numerators and
    denominators; yes/no as the count of yes.
    """
    from indicators.services.approved import approved_totals

    rows = approved_totals(session, [i.id for i in indicators])
    versions = {i.id: i.current for i in indicators}
    # (indicator, disagg, year) -> [(period start, space aggregate)]
    per_period: dict[tuple[int, str, int], list[tuple[date, dict]]] = defaultdict(list)
    for r in rows:
        per_period[(r.indicator_id, r.disagg_key, r.year)].append((r.start_date, r._asdict()))
    out: dict[int, dict] = defaultdict(dict)
    for (ind_id, key, year), items in per_period.items():
        version = versions[ind_id]
        value = _over_time(version, sorted(items, key=lambda it: it[0]))
        if value is not None:
            out[ind_id][(year, key)] = value
    return out


def _space(version: Any, row: dict) -> dict:
    agg = version.agg_space
    if version.measure in ("ratio", "percentage"):
        return {"num": row["num_sum"], "den": row["den_sum"]}
    if version.measure == "yesno":
        return {"value": row["value_sum"]}
    value = {
        "sum": row["value_sum"],
        "average": (row["value_sum"] / row["n"]) if row["n"] else None,
        "max": row["value_max"],
        "min": row["value_min"],
    }[agg]
    return {"value": value}


def _over_time(version: Any, items: list[tuple[date, dict]]) -> Decimal | None:
    parts = [_space(version, row) for _start, row in items]
    agg = version.agg_time
    if version.measure in ("ratio", "percentage"):
        if agg == "latest":
            parts = parts[-1:]
        num = sum((p["num"] or 0 for p in parts), Decimal(0))
        den = sum((p["den"] or 0 for p in parts), Decimal(0))
        if not den:
            return None
        factor = Decimal(100) if version.measure == "percentage" else Decimal(1)
        return (Decimal(num) / Decimal(den) * factor).quantize(Decimal("0.01"))
    values = [Decimal(p["value"]) for p in parts if p["value"] is not None]
    if not values:
        return None
    if agg == "latest":
        result = values[-1]
    elif agg == "average":
        result = sum(values, Decimal(0)) / len(values)
    elif agg == "max":
        result = max(values)
    else:
        result = sum(values, Decimal(0))
    return result.quantize(Decimal("0.01")) if result != result.to_integral() else result


# --- building the XML ----------------------------------------------------------------


def build(session: so.Session, settings_: Settings, now: datetime | None = None) -> bytes:
    """The IATI activities file, as bytes (UTF-8, with an XML declaration)."""
    from budget import compute as budget_compute
    from budget import services as budget_services
    from indicators.models import Indicator
    from indicators.services.targets import national_yearly_targets
    from logframe import services as plan_services
    from logframe.models import Level
    from stakeholders.models import Organisation, Province

    now = now or datetime.now(UTC)
    plan = plan_services.plan_of(session)
    version = plan_services.current_version(session, approved_only=True)
    version = version or plan_services.current_version(session)
    results = plan_services.load_results(session, version) if version is not None else []
    outcomes = [r for r in results if r.level == Level.OUTCOME]
    outcomes.sort(key=lambda r: plan_services.code_sort_key(r.code))
    goal = next((r for r in results if r.level == Level.GOAL), None)

    indicators = list(
        session.scalars(
            sa.select(Indicator)
            .where(Indicator.status == "active")
            .options(so.selectinload(Indicator.reporters))
            .order_by(Indicator.code)
        )
    )
    by_result: dict[str, list[Any]] = defaultdict(list)
    for ind in indicators:
        by_result[ind.result_key].append(ind)
    # an output's indicators count towards its outcome's result
    outcome_of: dict[str, str] = {}
    parent_key = {r.id: r for r in results}
    for r in results:
        node = r
        while node is not None and node.level != Level.OUTCOME:
            node = parent_key.get(node.parent_id)
        if node is not None:
            outcome_of[r.key] = node.key
    targets = national_yearly_targets(session, indicators)
    actuals = _actuals(session, indicators)

    orgs = {o.code: o for o in session.scalars(sa.select(Organisation))}
    schedule = budget_services.approved_schedule(session)
    budget = budget_compute.compute(session, schedule, detail=False) if schedule else None
    funders = [orgs[s["code"]] for s in (budget["sources"] if budget else []) if s["code"] in orgs]
    implementers = sorted(
        {o.code for ind in indicators for o in ind.reporters}
        | {o.code for r in results for o in r.partners}
        | {r.responsible.code for r in results if r.responsible is not None},
        key=str,
    )
    provinces = list(session.scalars(sa.select(Province).order_by(Province.code)))
    used_provinces = {p.code for r in results for p in r.provinces} | {
        p.code for code in implementers for p in orgs[code].provinces
    }
    provinces = [p for p in provinces if p.code in used_provinces] or provinces

    stamp = _last_updated(session) or now
    root = etree.Element("iati-activities")
    root.set("version", IATI_VERSION)
    root.set("generated-datetime", now.strftime("%Y-%m-%dT%H:%M:%SZ"))

    start = date(plan.start_year, 1, 1) if plan else None
    end = date(plan.end_year, 12, 31) if plan else None
    title = (plan.title_en, plan.title_km) if plan else ("LEAP", "")
    vision = (version.vision_en, version.vision_km) if version else ("", "")

    parent = _activity(root, settings_, settings_.activity_id, stamp, hierarchy="1")
    _narratives(parent, "title", *title)
    _narratives(parent, "description", *vision).set("type", "1")
    if goal is not None:
        _narratives(parent, "description", goal.statement_en, goal.statement_km).set("type", "2")
    _participants(parent, settings_, orgs, funders, implementers)
    _status_dates(parent, start, end, now.date())
    _el(parent, "recipient-country", {"code": "KH", "percentage": "100"})
    for p in provinces:
        _location(parent, p)
    for code, pct in SECTORS:
        _el(parent, "sector", {"vocabulary": "1", "code": code, "percentage": pct})
    if budget is not None:
        _budgets(parent, settings_, budget, orgs)
    for outcome in outcomes:
        _el(
            parent,
            "related-activity",
            {"ref": f"{settings_.activity_id}-O{outcome.code}", "type": "2"},
        )
    goal_indicators = by_result.get(goal.key, []) if goal is not None else []
    if goal_indicators:
        _result(parent, goal, goal_indicators, targets, actuals, plan, result_type="3")

    for outcome in outcomes:
        child = _activity(root, settings_, f"{settings_.activity_id}-O{outcome.code}", stamp, "2")
        _narratives(child, "title", outcome.statement_en, outcome.statement_km)
        _narratives(child, "description", outcome.statement_en, outcome.statement_km).set(
            "type", "1"
        )
        _participants(child, settings_, orgs, funders, implementers)
        _status_dates(child, start, end, now.date())
        _el(child, "recipient-country", {"code": "KH", "percentage": "100"})
        for code, pct in SECTORS:
            _el(child, "sector", {"vocabulary": "1", "code": code, "percentage": pct})
        _el(child, "related-activity", {"ref": settings_.activity_id, "type": "1"})
        inds = [
            ind
            for key in sorted(k for k, o in outcome_of.items() if o == outcome.key)
            for ind in by_result.get(key, [])
        ]
        if inds:
            _result(child, outcome, sorted(inds, key=lambda i: i.code), targets, actuals, plan)

    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _last_updated(session: so.Session) -> datetime | None:
    from leap_me.audit import AuditEntry

    value = session.scalar(sa.select(sa.func.max(AuditEntry.created_dt)))
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def _activity(
    root: etree._Element, s: Settings, ident: str, stamp: datetime, hierarchy: str
) -> etree._Element:
    act = etree.SubElement(root, "iati-activity")
    act.set(XML_LANG, "en")
    act.set("default-currency", "USD")
    act.set("last-updated-datetime", stamp.strftime("%Y-%m-%dT%H:%M:%SZ"))
    act.set("hierarchy", hierarchy)
    etree.SubElement(act, "iati-identifier").text = ident
    rep = _el(act, "reporting-org", {"ref": s.reporting_org_ref, "type": s.reporting_org_type})
    _narrative(rep, s.reporting_org_name_en, s.reporting_org_name_km)
    return act


def _participants(
    act: etree._Element,
    s: Settings,
    orgs: dict[str, Any],
    funders: Iterable[Any],
    implementers: Iterable[str],
) -> None:
    def add(org: Any, role: str) -> None:
        node = _el(
            act,
            "participating-org",
            {"ref": _org_ref(org, s), "role": role, "type": ORG_TYPES.get(org.type, "90")},
        )
        _narrative(node, org.name_en, org.name_km)

    for org in funders:
        add(org, ROLE_FUNDING)
    if s.accountable_org in orgs:
        add(orgs[s.accountable_org], ROLE_ACCOUNTABLE)
    for code in implementers:
        add(orgs[code], ROLE_IMPLEMENTING)


def _status_dates(act: etree._Element, start: date | None, end: date | None, today: date) -> None:
    if start and today < start:
        status = "1"  # pipeline / identification
    elif end and today > end:
        status = "3"  # finalisation
    else:
        status = "2"  # implementation
    _el(act, "activity-status", {"code": status})
    if start:
        _el(act, "activity-date", {"iso-date": start.isoformat(), "type": "1"})
    if end:
        _el(act, "activity-date", {"iso-date": end.isoformat(), "type": "3"})


def _location(act: etree._Element, province: Any) -> None:
    loc = _el(act, "location", {"ref": province.code})
    _el(loc, "location-reach", {"code": "1"})
    _narratives(loc, "name", province.name_en, province.name_km)
    _el(loc, "exactness", {"code": "1"})
    _el(loc, "location-class", {"code": "1"})  # administrative region


def _budgets(act: etree._Element, s: Settings, budget: dict, orgs: dict[str, Any]) -> None:
    for row in budget["years_rows"]:
        year = row["year"]
        node = _el(act, "budget", {"type": "1", "status": "1"})
        _el(node, "period-start", {"iso-date": f"{year}-01-01"})
        _el(node, "period-end", {"iso-date": f"{year}-12-31"})
        value = _el(node, "value", {"currency": "USD", "value-date": f"{year}-01-01"})
        value.text = _num(row["planned_usd"])
    for row in budget["years_rows"]:
        year = row["year"]
        for code, amounts in sorted(row["sources"].items()):
            if code not in orgs or not amounts["planned_usd"]:
                continue
            node = _el(act, "planned-disbursement", {"type": "1"})
            _el(node, "period-start", {"iso-date": f"{year}-01-01"})
            _el(node, "period-end", {"iso-date": f"{year}-12-31"})
            value = _el(node, "value", {"currency": "USD", "value-date": f"{year}-01-01"})
            value.text = _num(amounts["planned_usd"])
            org = orgs[code]
            provider = _el(
                node,
                "provider-org",
                {"ref": _org_ref(org, s), "type": ORG_TYPES.get(org.type, "90")},
            )
            _narrative(provider, org.name_en, org.name_km)


def _dimensions(node: etree._Element, key: str) -> None:
    for part in key.split("|") if key else []:
        name, _sep, value = part.partition(":")
        _el(node, "dimension", {"name": name, "value": value})


def _result(
    act: etree._Element,
    outcome: Any,
    indicators: list[Any],
    targets: dict[int, dict],
    actuals: dict[int, dict],
    plan: Any,
    result_type: str = "2",
) -> None:
    res = _el(act, "result", {"type": result_type, "aggregation-status": "1"})
    _narratives(res, "title", outcome.statement_en, outcome.statement_km)
    for ind in indicators:
        version = ind.current
        qualitative = version.measure == "text"
        attrs = {"measure": MEASURES[version.measure]}
        if not qualitative:
            attrs["ascending"] = "0" if version.direction == "down" else "1"
        node = _el(res, "indicator", attrs)
        _narratives(node, "title", f"{ind.code} {version.name_en}", version.name_km)
        if version.definition_en or version.definition_km:
            _narratives(node, "description", version.definition_en, version.definition_km)
        if version.baseline_date is not None and not qualitative:
            base = {
                "year": str(version.baseline_date.year),
                "iso-date": version.baseline_date.isoformat(),
            }
            if version.baseline_value is not None:
                base["value"] = _num(version.baseline_value)
            _el(node, "baseline", base)
        if qualitative:
            continue
        years = sorted(set(targets.get(ind.id, {})) | {y for (y, _k) in actuals.get(ind.id, {})})
        if plan is not None:
            years = [y for y in years if plan.start_year <= y <= plan.end_year]
        for year in years:
            period = _el(node, "period")
            _el(period, "period-start", {"iso-date": f"{year}-01-01"})
            _el(period, "period-end", {"iso-date": f"{year}-12-31"})
            target = targets.get(ind.id, {}).get(year)
            if target is not None:
                _el(period, "target", {"value": _num(target)})
            values = actuals.get(ind.id, {})
            if (year, "") in values:
                _el(period, "actual", {"value": _num(values[(year, "")])})
            for (y, key), value in sorted(values.items()):
                if y == year and key:
                    _dimensions(_el(period, "actual", {"value": _num(value)}), key)
