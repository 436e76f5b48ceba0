"""The demo schedule from seeds/budget.yaml: rates, funding sources, lines, planned
amounts and spending. Idempotent; never overwrites what planners have edited."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import orm as so

from budget import calc
from budget.compute import rates, sources
from budget.models import (
    BudgetLine,
    ExchangeRate,
    FundingSource,
    PlannedAmount,
    Schedule,
    ScheduleStatus,
    Spending,
)
from leap_me.seeding import load_yaml
from stakeholders.models import Organisation


def seed_budget(session: so.Session, path: Path) -> int:
    """The demo schedule, its rates, sources and spending. Loads only into an empty
    budget, so running it twice changes nothing and never overwrites users' edits."""
    if not path.exists():
        return 0
    data = load_yaml(path)
    orgs = {o.code: o for o in session.scalars(sa.select(Organisation))}
    added = 0
    have_rates = set(rates(session))
    for year, value in (data.get("exchange_rates") or {}).items():
        if int(year) not in have_rates:
            session.add(ExchangeRate(year=int(year), khr_per_usd=Decimal(str(value))))
            added += 1
    have_sources = {s["code"] for s in sources(session)}
    for i, code in enumerate(data.get("funding_sources") or []):
        if code not in have_sources and code in orgs:
            session.add(FundingSource(organisation=orgs[code], position=i))
            added += 1
    session.flush()
    if session.scalar(sa.select(sa.func.count(Schedule.id))):
        return added
    cs = data.get("cost_sharing") or {}
    schedule = Schedule(
        name="Cost-sharing schedule",
        status=ScheduleStatus.APPROVED.value,
        current_share=Decimal(str(cs.get("current_share", "0"))),
        full_ownership_year=int(cs.get("full_ownership_year", 2034)),
        path_mode=cs.get("mode", "linear"),
        is_demo=bool(data.get("is_demo")),
        approved_dt=datetime.now(UTC),
    )
    session.add(schedule)
    for item in data.get("lines") or []:
        line = BudgetLine(
            code=item["code"],
            category=item["category"],
            name_en=item["name_en"],
            name_km=item.get("name_km", ""),
            result_key=item.get("result") or None,
            currency=item.get("currency", "USD"),
        )
        for src, by_year in (item.get("planned") or {}).items():
            for year, amount in by_year.items():
                value = calc.parse_amount(str(amount), line.currency)
                if value:
                    line.amounts.append(
                        PlannedAmount(source=orgs[src], year=int(year), amount=value)
                    )
        schedule.lines.append(line)
        added += 1
    currency = {i["code"]: i.get("currency", "USD") for i in data.get("lines") or []}
    for a in data.get("actuals") or []:
        session.add(
            Spending(
                line_code=a["line"],
                source_id=orgs[a["source"]].id,
                year=int(a["year"]),
                quarter=int(a["quarter"]),
                amount=calc.parse_amount(str(a["amount"]), currency[a["line"]]),
                currency=currency[a["line"]],
            )
        )
        added += 1
    session.flush()
    return added
