"""The sector-wide progress report of one period (issue 12, items 3 and 4).

``build(session, period, lang)`` gathers everything the report shows, through the
domains' services, in a fixed number of queries whatever the size of the data:

* the variance engine (:mod:`leap_me.reports.variance`): one load, then the period, year
  to date and plan to date spans and the forecasts are computed in pandas;
* the partners' explanations of their values (one query);
* the data-quality findings of the period, broken cross-checks among them (two);
* the de-duplication adjustments of the period (one);
* completeness and timeliness (:mod:`indicators.services.completeness`, four);
* the activities of the current plan version and their status (two);
* the approved budget schedule and the cost-sharing position (budget services);
* the planner's narratives of the period (one).

The result is a :class:`ProgressReport`, plain data: the page, the PDF, the command line,
publishing and the donor workbook all read the same object. ``figures`` holds the
language-independent numbers; :meth:`ProgressReport.snapshot` and
:meth:`ProgressReport.fingerprint` are what publishing stores and compares.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import orm as so

from indicators import services as indicators
from indicators.models import DataValue, FindingKind
from indicators.services import completeness as completeness_service
from indicators.services import quality
from leap_me.reports import charts, dedup, present, report_charts
from leap_me.reports.models import ReportNarrative
from leap_me.reports.variance import APPROVED, OFF_TRACK, ON_TRACK, PREVIEW, STATUSES, load
from logframe import services as logframe

LANGS = ("en", "km")
#: The outcome key of the report's summary narrative.
SUMMARY_KEY = ""
#: How many findings and explanations the report lists at most (the rest are counted).
MAX_LISTED = 200

ACTIVITY_STATUSES = ("not_started", "on_track", "delayed", "completed", "cancelled")


class ReportError(ValueError):
    """A report that cannot be made (unknown period), with a translated message."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class ProgressReport:
    """Everything one progress report shows, in one language."""

    period: dict[str, Any]
    lang: str
    preview: bool
    title: str
    summary: dict[str, Any]
    outcomes: list[dict[str, Any]]
    explanations: list[dict[str, Any]]
    findings: list[dict[str, Any]]
    crosschecks: list[dict[str, Any]]
    adjustments: list[dict[str, Any]]
    completeness: dict[str, Any]
    activities: dict[str, Any]
    budget: dict[str, Any] | None
    narratives: dict[str, dict[str, Any]]
    #: The language-independent figures (JSON-safe): what a snapshot freezes.
    figures: dict[str, Any] = field(default_factory=dict)

    def snapshot(self) -> dict[str, Any]:
        """The data of the report as JSON-safe values: figures and narratives."""
        return {
            "period": self.period["code"],
            "preview": self.preview,
            "figures": self.figures,
            "narratives": {
                k: {"text_en": v["text_en"], "text_km": v["text_km"]}
                for k, v in sorted(self.narratives.items())
            },
        }

    def fingerprint(self) -> str:
        """sha256 of the snapshot: equal when the report's figures and narratives are."""
        return fingerprint_of(self.snapshot())

    def narrative(self, key: str) -> str:
        n = self.narratives.get(key)
        if not n:
            return ""
        return (n["text_km"] or n["text_en"]) if self.lang == "km" else (n["text_en"] or "")


def canonical_json(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def fingerprint_of(snapshot: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(snapshot)).hexdigest()


# --- plain values ----------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A JSON-safe copy: Decimals as strings, dates in ISO, floats rounded."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value else None
    if isinstance(value, float):
        return None if value != value else round(value, 6)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return _plain(value.item())
    return value


RAW_ROW = (
    "code",
    "outcome_key",
    "baseline",
    "target",
    "actual",
    "variance",
    "relative_variance",
    "progress",
    "status",
    "dedup",
)


def _raw_row(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: row.get(k) for k in RAW_ROW}
    fc = row.get("forecast")
    out["forecast"] = (
        {"kind": fc["kind"], "period": fc.get("period"), "value": fc.get("value")} if fc else None
    )
    return out


# --- the parts -------------------------------------------------------------------------


def _explanations(session, period_id: int, statuses, data) -> list[dict[str, Any]]:
    """The partners' explanations of their values in the period (one query)."""
    dv = DataValue
    rows = session.execute(
        sa.select(
            dv.id,
            dv.indicator_id,
            dv.organisation_id,
            dv.province_id,
            dv.disagg_key,
            sa.cast(dv.value, sa.Float),
            dv.explanation,
        )
        .where(
            dv.period_id == period_id,
            dv.status.in_(list(statuses)),
            dv.explanation.is_not(None),
            dv.explanation != "",
        )
        .order_by(dv.indicator_id, dv.organisation_id, dv.id)
        .limit(MAX_LISTED)
    ).all()
    codes = dict(zip(data.indicators["indicator_id"], data.indicators["code"], strict=True))
    out = []
    for _id, ind_id, org_id, prov_id, key, value, text in rows:
        if ind_id not in codes:
            continue
        org = data.organisations.get(org_id)
        prov = data.provinces.get(prov_id) if prov_id else None
        out.append(
            {
                "indicator_id": ind_id,
                "code": codes[ind_id],
                "organisation": org.code if org else "",
                "province": prov.code if prov else "KH",
                "province_name_en": prov.name_en if prov else "National",
                "province_name_km": (prov.name_km or prov.name_en) if prov else "ថ្នាក់ជាតិ",
                "disagg_key": key,
                "value": value,
                "text": text.strip(),
            }
        )
    return out


def _findings(session, period_id: int, lang: str) -> tuple[list[dict], list[dict], int]:
    rows, total = quality.list_findings(session, {"period": period_id}, per_page=MAX_LISTED)
    findings, crosschecks = [], []
    for f in rows:
        entry = {
            "id": f.id,
            "kind": f.kind,
            "kind_title": f.kind_enum.title,
            "state": f.state,
            "state_title": indicators_titles(f.state),
            "indicator": f.indicator.code if f.indicator else "",
            "organisation": f.organisation.code if f.organisation else "",
            "province": f.province.code if f.province else "KH",
            "rule": (f.rule.code if f.rule else ""),
            "rule_name": quality.rule_name(f.rule) if f.rule else "",
            "text": quality.finding_text(f),
            "explanation": (f.explanation or "").strip(),
        }
        (crosschecks if f.kind == FindingKind.CROSSCHECK.value else findings).append(entry)
    return findings, crosschecks, total


def indicators_titles(value: str) -> str:
    from indicators.models.enums import TITLES

    return str(TITLES.get(value, value))


def _adjustments(session, period_id: int, lang: str) -> list[dict[str, Any]]:
    out = []
    for a in dedup.list_adjustments(session, period_id):
        prov = a.province
        out.append(
            {
                "indicator": a.indicator.code if a.indicator else "",
                "province": prov.code if prov else "KH",
                "province_name": ((prov.name_km or prov.name_en) if lang == "km" else prov.name_en)
                if prov
                else _("National"),
                "value": float(a.value),
                "value_s": present.num(float(a.value)),
                "reason": a.reason,
                "recorded_by": (a.recorded_by.full_name or a.recorded_by.username)
                if a.recorded_by is not None
                else "",
            }
        )
    return out


def _completeness(session, period_obj, lang: str) -> dict[str, Any]:
    report = completeness_service.completeness(session, period_obj)

    def name(obj, fallback_en="National", fallback_km="ថ្នាក់ជាតិ"):
        if obj is None:
            return fallback_km if lang == "km" else fallback_en
        return (obj.name_km or obj.name_en) if lang == "km" else obj.name_en

    def rate(v):
        return None if v is None else float(v)

    orgs = [
        {
            "code": r["code"],
            "name": name(r["organisation"]),
            "status": r["status"],
            "status_title": indicators_titles(r["status"])
            if r["status"] != "missing"
            else _("Missing"),
            "submitted_at": r["submitted_at"],
            "on_time": bool(r["on_time"]),
            "late": bool(r["late"]),
        }
        for r in report["organisations"]
    ]
    provinces = [
        {
            "code": r["code"],
            "name": name(r["province"]),
            "expected": r["expected"],
            "submitted": r["submitted"],
            "on_time": r["on_time"],
            "completeness": rate(r["completeness"]),
            "timeliness": rate(r["timeliness"]),
        }
        for r in report["provinces"]
    ]
    overall = dict(report["overall"])
    overall["completeness"] = rate(overall["completeness"])
    overall["timeliness"] = rate(overall["timeliness"])
    return {"overall": overall, "organisations": orgs, "provinces": provinces}


def _activities(session, outcomes: list[dict[str, Any]], lang: str, today: date) -> dict:
    """Activity status per outcome (two queries: the current version, its activities)."""
    owner = {}
    for o in outcomes:
        for key in o["keys"]:
            owner[key] = o["key"]
    acts = logframe.result_options(session, levels=("activity",))
    per: dict[str, dict[str, int]] = {
        o["key"]: dict.fromkeys(ACTIVITY_STATUSES, 0) for o in outcomes
    }
    late = []
    for a in acts:
        status = a.status or "not_started"
        per.setdefault(owner.get(a.key, ""), dict.fromkeys(ACTIVITY_STATUSES, 0))[status] += 1
        overdue = bool(
            a.end_date and a.end_date < today and status in ("not_started", "on_track", "delayed")
        )
        if status == "delayed" or overdue:
            note = (a.delay_note_km or a.delay_note_en) if lang == "km" else a.delay_note_en
            late.append(
                {
                    "code": a.code,
                    "statement": (a.statement_km or a.statement_en)
                    if lang == "km"
                    else a.statement_en,
                    "status": status,
                    "end_date": a.end_date,
                    "progress": a.progress,
                    "overdue": overdue,
                    "note": note or "",
                }
            )
    late.sort(key=lambda r: (r["end_date"] or date.max, r["code"]))
    total = dict.fromkeys(ACTIVITY_STATUSES, 0)
    for counts in per.values():
        for k, n in counts.items():
            total[k] += n
    return {"per_outcome": per, "total": total, "late": late, "count": len(acts)}


def _budget(session, year: int) -> dict[str, Any] | None:
    from budget import services as budget

    schedule = budget.approved_schedule(session)
    if schedule is None:
        return None
    summary = budget.compute(session, schedule, detail=False)
    rows = summary["years_rows"]
    this_year = next((r for r in rows if r["year"] == year), None)
    keep = (
        "year",
        "planned_usd",
        "moi_usd",
        "donors_usd",
        "moi_share",
        "path_share",
        "gap_usd",
        "path_reading",
        "actual_usd",
        "actual_moi_share",
        "planned_to_date_usd",
        "execution_rate",
        "quarters",
        "missing_rate",
    )
    years = [{k: r.get(k) for k in keep} for r in rows]
    return {
        "schedule": summary["schedule"]["name"],
        "full_ownership_year": summary["path"]["full_ownership_year"],
        "years": years,
        "this_year": {k: this_year.get(k) for k in keep} if this_year else None,
        "totals": {
            k: summary["totals"][k]
            for k in ("planned_usd", "moi_usd", "gap_to_cover_usd", "actual_usd")
        },
    }


def _narratives(session, period_id: int) -> dict[str, dict[str, Any]]:
    return {
        n.outcome_key: {
            "id": n.id,
            "text_en": n.text_en or "",
            "text_km": n.text_km or "",
            "updated_dt": n.updated_dt,
        }
        for n in session.scalars(
            sa.select(ReportNarrative).where(ReportNarrative.period_id == period_id)
        )
    }


def narrative_map(session: so.Session, period_id: int) -> dict[str, dict[str, Any]]:
    """The narratives of a period by outcome key (one query)."""
    return _narratives(session, period_id)


# --- the report ------------------------------------------------------------------------


def _biggest(rows: list[dict], explanations: list[dict], limit: int = 3) -> list[dict]:
    """The largest relative variances (either way) among indicators with a target."""
    scored = [r for r in rows if r.get("relative_variance") is not None]
    scored.sort(key=lambda r: (-abs(r["relative_variance"]), r["code"]))
    by_ind: dict[int, list[dict]] = {}
    for e in explanations:
        by_ind.setdefault(e["indicator_id"], []).append(e)
    out = []
    for r in scored[:limit]:
        out.append({**r, "explanations": by_ind.get(r["indicator_id"], [])})
    return out


def build(
    session: so.Session,
    period: str,
    lang: str = "en",
    preview: bool = False,
    *,
    today: date | None = None,
    charts_on: bool = True,
    data: Any = None,
) -> ProgressReport:
    """The progress report of ``period`` in ``lang`` ("en" or "km").

    ``preview`` also counts submitted values: the report then says so on every page.
    ``data``: the variance engine's load of that period, when the caller has it already
    (the donor workbook), so that it is not read twice.
    Needs an application context (translations and number formats come from Babel).
    """
    if lang not in LANGS:
        raise ReportError(_("The language must be en or km."))
    today = today or date.today()
    period_obj = indicators.get_period(session, (period or "").strip().upper()[:10])
    if period_obj is None:
        raise ReportError(_("There is no reporting period %(value)s.", value=period))
    with force_locale(lang):
        return _build(session, period_obj, lang, preview, today, charts_on, data)


def _build(session, period_obj, lang, preview, today, charts_on, data=None) -> ProgressReport:
    km = lang == "km"
    reusable = (
        data is not None
        and data.period["period_code"] == period_obj.code
        and data.preview == preview
        and not any(data.filters.as_dict().values())
    )
    if not reusable:
        data = load(session, period_obj.code, preview=preview)
    spans = {span: data.variance(span) for span in ("period", "ytd", "plan")}
    rows = {span: [present.display(r, lang) for r in spans[span]] for span in spans}
    statuses = PREVIEW if preview else APPROVED
    explanations = _explanations(session, period_obj.id, statuses, data)
    findings, crosschecks, findings_total = _findings(session, period_obj.id, lang)
    adjustments = _adjustments(session, period_obj.id, lang)
    compl = _completeness(session, period_obj, lang)
    activities = _activities(session, data.outcomes, lang, today)
    budget = _budget(session, period_obj.year)
    narratives = _narratives(session, period_obj.id)

    by_ind_expl: dict[int, list[dict]] = {}
    for e in explanations:
        by_ind_expl.setdefault(e["indicator_id"], []).append(e)
    ytd = {r["indicator_id"]: r for r in rows["ytd"]}
    plan = {r["indicator_id"]: r for r in rows["plan"]}

    period_rows = rows["period"]
    counts = data.counts("period")
    on_track = [r for r in period_rows if r["status"] in ON_TRACK]
    off_track = [r for r in period_rows if r["status"] in OFF_TRACK]
    outcomes = []
    for o in data.outcomes:
        mine = [r for r in period_rows if r["outcome_key"] == o["key"]]
        if not mine and not o["key"]:
            continue
        items = []
        for r in mine:
            item = {
                "row": r,
                "ytd": ytd.get(r["indicator_id"]),
                "plan": plan.get(r["indicator_id"]),
                "explanations": by_ind_expl.get(r["indicator_id"], []),
            }
            prow = plan.get(r["indicator_id"]) or r
            chart = (
                charts.forecast_chart(prow, lang)
                if charts_on and len(prow.get("series") or []) >= 2
                else ""
            )
            # Khmer words of the chart go to its caption: the PDF cannot shape SVG text.
            item["chart"] = report_charts.without_khmer_text(chart) if km else chart
            item["cumulative"] = prow["measure"] == "number" and prow["agg_time"] == "sum"
            fc = prow.get("forecast")
            item["target_s"] = present.num(fc["target"]) if fc else ""
            item["forecast_s"] = prow.get("forecast_s") or ""
            items.append(item)
        outcomes.append(
            {
                "key": o["key"],
                "code": o["code"],
                "statement": o["statement_km"] if km else o["statement_en"],
                "entries": items,
                "counts": counts["per_outcome"].get(o["key"], {}),
                "activities": activities["per_outcome"].get(o["key"], {}),
            }
        )
    bars = charts.status_bars(data.outcomes, counts, lang) if charts_on else {"svg": "", "rows": []}
    summary = {
        "counts": counts["overall"],
        "on_track": on_track,
        "off_track": off_track,
        "no_data": [r for r in period_rows if r["status"] == "no_data"],
        "total": len(period_rows),
        "biggest": _biggest(period_rows, explanations),
        "bars": bars,
        "strips": report_charts.status_strips(bars["rows"]) if charts_on else [],
        "legend": report_charts.legend(),
        "findings_total": findings_total,
    }
    with force_locale(lang):
        title = _("Sector-wide progress report %(period)s", period=period_obj.code)
    figures = _plain(
        {
            "variance": {span: [_raw_row(r) for r in spans[span]] for span in spans},
            "explanations": [
                {
                    k: e[k]
                    for k in ("code", "organisation", "province", "disagg_key", "value", "text")
                }
                for e in explanations
            ],
            "findings": [
                {
                    k: f[k]
                    for k in (
                        "id",
                        "kind",
                        "state",
                        "indicator",
                        "organisation",
                        "province",
                        "rule",
                        "explanation",
                    )
                }
                for f in findings + crosschecks
            ],
            "findings_total": findings_total,
            "adjustments": [
                {k: a[k] for k in ("indicator", "province", "value", "reason")} for a in adjustments
            ],
            "completeness": {
                "overall": compl["overall"],
                "organisations": [
                    {k: r[k] for k in ("code", "status", "on_time", "late")}
                    for r in compl["organisations"]
                ],
            },
            "activities": {
                "per_outcome": activities["per_outcome"],
                "late": [
                    {k: a[k] for k in ("code", "status", "end_date", "progress", "overdue")}
                    for a in activities["late"]
                ],
            },
            "budget": budget,
        }
    )
    return ProgressReport(
        period={
            "id": period_obj.id,
            "code": period_obj.code,
            "year": period_obj.year,
            "start": period_obj.start_date,
            "end": period_obj.end_date,
            "deadline": period_obj.deadline,
            "status": period_obj.status,
        },
        lang=lang,
        preview=preview,
        title=title,
        summary=summary,
        outcomes=outcomes,
        explanations=explanations,
        findings=findings,
        crosschecks=crosschecks,
        adjustments=adjustments,
        completeness=compl,
        activities=activities,
        budget=budget,
        narratives=narratives,
        figures=figures,
    )


__all__ = ["ProgressReport", "ReportError", "build", "STATUSES", "SUMMARY_KEY"]
