"""Completeness and timeliness of reporting (METHOD.md §4).

Expected: each organisation assigned to report indicators of the period's frequency owes
one submission for every period that has been opened (open, closed or locked; a planned
period owes nothing yet). completeness = submitted or approved / expected; timeliness =
submitted by the period's deadline / expected. Per organisation, per province (an
organisation counts in each province it covers; one that lists none works nationwide and
counts under "National") and overall. Four queries, whatever the size.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlalchemy import orm as so

from indicators.models import PeriodStatus, ReportingPeriod, Submission, SubmissionStatus
from indicators.services.owed import owing_organisations
from leap_me.db import utcnow
from stakeholders.models import Province, organisation_province


def _rate(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _tally(rows: list[dict]) -> dict:
    expected = sum(r["expected"] for r in rows)
    submitted = sum(r["submitted"] for r in rows)
    approved = sum(r["approved"] for r in rows)
    on_time = sum(r["on_time"] for r in rows)
    return {
        "expected": expected,
        "submitted": submitted,
        "approved": approved,
        "on_time": on_time,
        "late": sum(r["late"] for r in rows),
        "completeness": _rate(submitted, expected),
        "timeliness": _rate(on_time, expected),
    }


def completeness(session: so.Session, period: ReportingPeriod, today: date | None = None) -> dict:
    today = today or utcnow().date()
    owes = period.status != PeriodStatus.PLANNED
    orgs = owing_organisations(session, period) if owes else []
    subs = {
        s.organisation_id: s
        for s in session.scalars(sa.select(Submission).where(Submission.period_id == period.id))
    }
    org_rows = []
    for org in orgs:
        sub = subs.get(org.id)
        status = sub.status if sub is not None else None
        sent = status in (SubmissionStatus.SUBMITTED, SubmissionStatus.APPROVED)
        on_time = bool(sent and sub.submitted_at and sub.submitted_at.date() <= period.deadline)
        late = (sent and not on_time) or (not sent and today > period.deadline)
        org_rows.append(
            {
                "organisation": org,
                "code": org.code,
                "status": status or "missing",
                "submitted_at": sub.submitted_at if sub is not None else None,
                "expected": 1,
                "submitted": int(sent),
                "approved": int(status == SubmissionStatus.APPROVED),
                "on_time": int(on_time),
                "late": int(late),
            }
        )
    covered: dict[int, list[int]] = defaultdict(list)
    if orgs:
        for org_id, prov_id in session.execute(
            sa.select(
                organisation_province.c.organisation_id, organisation_province.c.province_id
            ).where(organisation_province.c.organisation_id.in_([o.id for o in orgs]))
        ):
            covered[org_id].append(prov_id)
    provinces = {p.id: p for p in session.scalars(sa.select(Province).order_by(Province.code))}
    by_prov: dict[int | None, list[dict]] = defaultdict(list)
    for row in org_rows:
        for prov_id in covered.get(row["organisation"].id) or [None]:
            by_prov[prov_id].append(row)
    prov_rows = []
    for prov_id, rows in by_prov.items():
        prov = provinces.get(prov_id) if prov_id else None
        prov_rows.append({"province": prov, "code": prov.code if prov else "KH", **_tally(rows)})
    for row in org_rows:
        row["completeness"] = _rate(row["submitted"], 1)
        row["timeliness"] = _rate(row["on_time"], 1)
    # late ones first, then by code
    org_rows.sort(key=lambda r: (-r["late"], r["submitted"], r["code"]))
    prov_rows.sort(key=lambda r: (r["completeness"] or 0, r["code"]))
    return {
        "period": period,
        "overall": _tally(org_rows),
        "organisations": org_rows,
        "provinces": prov_rows,
    }


def as_json(report: dict) -> dict:
    def num(v):
        return None if v is None else format(v, "f")

    def clean(row: dict, name_key: str) -> dict:
        out = {k: v for k, v in row.items() if k not in ("organisation", "province")}
        for k in ("completeness", "timeliness"):
            out[k] = num(out.get(k))
        if out.get("submitted_at") is not None:
            out["submitted_at"] = out["submitted_at"].isoformat()
        obj = row.get(name_key)
        out["name"] = (
            {"en": obj.name_en, "km": obj.name_km}
            if obj is not None
            else {"en": "National", "km": "ថ្នាក់ជាតិ"}
        )
        return out

    period = report["period"]
    return {
        "period": period.code,
        "deadline": period.deadline.isoformat(),
        "status": period.status,
        "overall": {
            k: (num(v) if isinstance(v, Decimal) else v) for k, v in report["overall"].items()
        },
        "organisations": [clean(r, "organisation") for r in report["organisations"]],
        "provinces": [clean(r, "province") for r in report["provinces"]],
    }
