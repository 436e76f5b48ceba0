"""``leap-me seed`` steps: the cross-check rules, and demo submissions for the plan's past
quarters (2025 Q1 – 2026 Q3) so that every page has something honest to show.

Every demo submission is marked ``is_demo``. Most are approved; two of 2026 Q3 are
returned with reasons; one was sent late; one breaks the police/court cross-check and
carries the partner's explanation; one has an outlier, explained. The values are invented
(steady series per organisation and province) and go through the same ``save``,
``submit``, ``return`` and ``approve`` as real ones.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import orm as so

from indicators.models import (
    CrossCheckRule,
    Frequency,
    PeriodStatus,
    ReportingPeriod,
    Submission,
)
from indicators.services import submissions as service
from indicators.services.owed import owed_rows
from indicators.services.periods import generate_periods
from leap_me.seeding import load_yaml
from stakeholders.models import Organisation

DEMO_ORGS = ("MOJ", "AHTJP-PNP", "AHTJP-SRP", "AHTJP-BMC", "AHTJP-KCH", "AHTJP-TKO", "WVC")
#: MoJ works nationwide; the demo fills the provinces of the demo police units.
MOJ_PROVINCES = {"KH-12", "KH-17", "KH-1", "KH-4", "KH-21"}
QUARTERS = ("2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3")
RETURNED = {
    ("AHTJP-BMC", "2026Q3"): "AHTJP-02 is lower than the victims in the case register for "
    "August: please check the register and correct the total.",
    ("AHTJP-KCH", "2026Q3"): "Attach the forensic examination log that supports LEAP-5.1.",
}
LATE = ("AHTJP-TKO", "2026Q2")
CROSSCHECK = ("AHTJP-PNP", "2026Q2")  # police refer 30, the courts record 20
OUTLIER = ("AHTJP-SRP", "2026Q3")  # AHTJP-01: a raid doubles the usual count
EXPLANATIONS = {
    CROSSCHECK: "Ten case files sent in June were registered by the court in July; the "
    "court's register for the quarter closes on 30 June.",
    OUTLIER: "A joint raid on two karaoke bars in Siem Reap town in August opened eleven "
    "cases at once.",
}
USER = None


def seed_crosschecks(session: so.Session, seeds: Path) -> int:
    data = load_yaml(seeds / "indicators.yaml").get("crosschecks", [])
    have = set(session.scalars(sa.select(CrossCheckRule.code)))
    added = 0
    for item in data:
        if item["code"] in have:
            continue
        session.add(
            CrossCheckRule(
                code=item["code"],
                name_en=item["name_en"],
                name_km=item.get("name_km", ""),
                left_terms=item["left"],
                op=item["op"],
                right_terms=item["right"],
                tolerance_pct=Decimal(str(item["tolerance_pct"]))
                if item.get("tolerance_pct")
                else None,
            )
        )
        added += 1
    session.flush()
    return added


def _base(*parts: str) -> int:
    digest = hashlib.sha256("|".join(parts).encode()).digest()
    return digest[0] % 20 + 8


def _cells(rows, org: Organisation, period_code: str, court: dict) -> list:
    cells = []
    step = QUARTERS.index(period_code)
    for row in rows:
        if not row.is_total:
            continue
        prov = row.province.code if row.province else "KH"
        if org.code == "MOJ" and prov not in MOJ_PROVINCES:
            continue
        base = _base(row.indicator.code, prov)
        wobble = (step % 3) - 1  # −1, 0, +1: a steady series
        measure = row.version.measure
        cell = service.CellInput(row.indicator.id, row.province_id, "")
        if row.indicator.code == "LEAP-G.2":
            value = _base("AHTJP-04", prov) + wobble  # the courts agree with the police
            if (org.code, period_code) == ("MOJ", CROSSCHECK[1]) and prov == "KH-12":
                value = 20
            cell.value = str(value)
        elif measure == "number":
            value = base + wobble
            if (org.code, period_code) == CROSSCHECK and row.indicator.code == "AHTJP-04":
                value = 30
            if (org.code, period_code) == OUTLIER and row.indicator.code == "AHTJP-01":
                value = base * 3
            cell.value = str(value)
        elif measure in ("percentage", "ratio"):
            den = base * 2
            num = den - (step % 4) - 2
            cell.numerator, cell.denominator = str(num), str(den)
        else:
            continue
        cells.append(cell)
    return cells


def seed_demo_submissions(session: so.Session, seeds: Path) -> int:
    if session.scalar(sa.select(sa.func.count(Submission.id)).where(Submission.is_demo)):
        return 0
    orgs = {
        o.code: o
        for o in session.scalars(sa.select(Organisation).where(Organisation.code.in_(DEMO_ORGS)))
    }
    if len(orgs) != len(DEMO_ORGS):
        return 0
    for period in generate_periods(session, 2025, [Frequency.QUARTERLY]):
        period.status = PeriodStatus.CLOSED.value
    periods = {
        p.code: p
        for p in session.scalars(
            sa.select(ReportingPeriod).where(ReportingPeriod.code.in_(QUARTERS))
        )
    }
    from leap_me.auth.models import User

    reviewer = session.scalar(sa.select(User).where(User.role == "reviewer").limit(1))
    made = 0
    for code in QUARTERS:
        period = periods[code]
        before = period.status
        period.status = PeriodStatus.OPEN.value  # the past, when it was open
        session.flush()
        court: dict = {}
        for org_code in DEMO_ORGS:
            org = orgs[org_code]
            rows = owed_rows(session, org, period)
            if not rows:
                continue
            sub = service.get_or_create(session, org, period, USER)
            sub.is_demo = True
            cells = _cells(rows, org, code, court)
            result = service.save(
                session, sub, cells, user=USER, expected_version=None, source="grid"
            )
            flagged = [o.key for o in result.cells if o.warnings]
            if flagged:
                text = EXPLANATIONS.get(
                    (org_code, code), "Checked against the unit's register: the figure is right."
                )
                by_key = {c.key: c for c in cells}
                again = []
                for key in flagged:
                    c = by_key[key]
                    c.explanation = text
                    again.append(c)
                service.save(session, sub, again, user=USER, expected_version=None)
            service.submit(session, sub, user=USER)
            deadline = datetime.combine(period.deadline, time(9), tzinfo=UTC)
            sub.submitted_at = (
                deadline + timedelta(days=6)
                if (org_code, code) == LATE
                else deadline - timedelta(days=4 + made % 5)
            )
            if (org_code, code) in RETURNED:
                service.return_submission(
                    session, sub, user=reviewer, reason=RETURNED[(org_code, code)]
                )
            else:
                service.approve(session, sub, user=reviewer)
            made += 1
        period.status = before
        session.flush()
    return made
