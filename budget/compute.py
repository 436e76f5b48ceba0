"""The schedule as plain data: one query per table, grouped with pandas, converted and
rounded with :mod:`budget.calc`. Every figure is Decimal, int, str, bool or None.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import orm as so

from budget import calc
from budget.calc import KHR, USD, ZERO
from budget.models import BudgetLine, ExchangeRate, FundingSource, PlannedAmount, Schedule, Spending
from logframe import services as logframe
from logframe.models import Result
from stakeholders.models import Organisation

if TYPE_CHECKING:  # pandas is imported where a frame is built, not when the app starts
    import pandas as pd

MOI = "MOI"
_LINKED = ("output", "activity")  # the levels a budget line may be linked to


def rates(session: so.Session) -> dict[int, Decimal]:
    return dict(session.execute(sa.select(ExchangeRate.year, ExchangeRate.khr_per_usd)).all())


def sources(session: so.Session) -> list[dict[str, Any]]:
    """Funding sources in display order, the MoI first."""
    rows = session.execute(
        sa.select(Organisation.id, Organisation.code, Organisation.name_en, Organisation.name_km)
        .join(FundingSource, FundingSource.organisation_id == Organisation.id)
        .order_by(FundingSource.position, Organisation.code)
    ).all()
    out = [
        {"id": r.id, "code": r.code, "name_en": r.name_en, "name_km": r.name_km, "is_moi": False}
        for r in rows
    ]
    for s in out:
        s["is_moi"] = s["code"] == MOI
    return sorted(out, key=lambda s: not s["is_moi"])


_CURRENT: Any = object()  # "look the current plan version up"


def plan_years(
    session: so.Session, fallback: list[int] | None = None, version: Any = _CURRENT
) -> list[int]:
    """The span of the current logframe plan; without a plan, the years the budget uses.
    ``version``: the current plan version when the caller has already read it."""
    if version is _CURRENT:
        version = logframe.current_version(session)
    if version is not None:
        return version.plan.years
    return sorted(set(fallback or []))


def _both(usd: Decimal, khr: Decimal, rate: Decimal | None) -> tuple[Decimal, Decimal]:
    """(in USD, in KHR); without a rate, only the part already in that currency."""
    if rate:
        return calc.in_usd(usd, khr, rate), calc.in_khr(usd, khr, rate)
    return calc.q_usd(usd), calc.q_khr(khr)


def _frame(rows: list, columns: list[str]) -> pd.DataFrame:
    import pandas as pd

    df = pd.DataFrame([tuple(r) for r in rows], columns=columns)
    if "amount" in df:
        df["amount"] = df["amount"].astype(object)
    return df


def _converted(
    df: pd.DataFrame, keys: list[str], rate_of: dict[int, Decimal], col: str = "amount"
) -> dict[tuple, dict[str, Decimal]]:
    """Sum ``col`` by keys × year × currency (exact), convert each year once at its rate,
    then add the years up: {keys: {"usd": ..., "khr": ...}}."""
    out: dict[tuple, dict[str, Decimal]] = defaultdict(lambda: {"usd": ZERO, "khr": ZERO})
    if df.empty:
        return out
    sums = df.groupby([*keys, "year", "currency"], sort=False)[col].sum()
    per_year: dict[tuple, dict[str, Decimal]] = defaultdict(lambda: {USD: ZERO, KHR: ZERO})
    for idx, value in sums.items():
        *k, year, currency = idx
        per_year[(*k, year)][currency] += value
    for idx, parts in per_year.items():
        *k, year = idx
        usd, khr = _both(parts[USD], parts[KHR], rate_of.get(year))
        out[tuple(k)]["usd"] += usd
        out[tuple(k)]["khr"] += khr
    return out


def _output_of(session: so.Session, keys: set[str], version: Any) -> dict[str, dict[str, str]]:
    """For each result key (outputs and activities of ``version``, the current plan
    version): the output it belongs to (itself, or an activity's parent). One query that
    reads these results and their parents only."""
    if not keys or version is None:
        return {}
    parent = so.aliased(Result)
    rows = session.execute(
        sa.select(Result, parent)
        .outerjoin(
            parent,
            sa.and_(parent.id == Result.parent_id, parent.level.in_(_LINKED)),
        )
        .where(
            Result.version_id == version.id,
            Result.key.in_(sorted(keys)),
            Result.level.in_(_LINKED),
        )
    ).all()
    out = {}
    for r, up in rows:
        output = r if r.level == "output" else up
        out[r.key] = {
            "key": r.key,
            "code": r.code,
            "statement_en": r.statement_en,
            "statement_km": r.statement_km,
            "output_key": output.key if output else r.key,
            "output_code": output.code if output else r.code,
            "output_en": output.statement_en if output else r.statement_en,
            "output_km": output.statement_km if output else r.statement_km,
        }
    return out


def compute(
    session: so.Session, schedule: Schedule, detail: bool = True, line: str | None = None
) -> dict[str, Any]:
    """Everything the schedule page, the workbook, the API and the report show.

    ``line`` (a budget line's code) reads that line's amounts and spending only, for the
    line's own page: its row and its execution are the same as in the whole schedule
    (the quarters reported and the years with spending still come from all lines). It
    then computes only what that page shows: no year rows, no totals and no execution by
    source or by output, which belong to the whole schedule."""
    rate_of = rates(session)
    srcs = sources(session)
    only_line = (BudgetLine.code == line) if line is not None else sa.true()
    only_spending = (Spending.line_code == line) if line is not None else sa.true()
    planned = _frame(
        session.execute(
            sa.select(
                BudgetLine.code,
                BudgetLine.currency,
                BudgetLine.result_key,
                Organisation.code,
                PlannedAmount.year,
                PlannedAmount.amount,
            )
            .join(PlannedAmount.line)
            .join(Organisation, Organisation.id == PlannedAmount.source_id)
            .where(BudgetLine.schedule_id == schedule.id, only_line)
        ).all(),
        ["line", "currency", "result_key", "source", "year", "amount"],
    )
    lines = session.scalars(
        sa.select(BudgetLine)
        .where(BudgetLine.schedule_id == schedule.id, only_line)
        .order_by(BudgetLine.code)
    ).all()
    actual = _frame(
        session.execute(
            sa.select(
                Spending.line_code,
                Spending.currency,
                Organisation.code,
                Spending.year,
                Spending.quarter,
                Spending.amount,
            )
            .join(Organisation, Organisation.id == Spending.source_id)
            .where(only_spending)
        ).all(),
        ["line", "currency", "source", "year", "quarter", "amount"],
    )
    used_years = set(planned["year"]) | set(actual["year"]) | set(rate_of)
    version = logframe.current_version(session)
    years = plan_years(session, [int(y) for y in used_years], version)
    known_sources = {s["code"] for s in srcs}
    for code in sorted(set(planned["source"]) | set(actual["source"])):
        if code not in known_sources:  # money from an organisation not (or no longer) listed
            srcs.append(
                {"id": None, "code": code, "name_en": code, "name_km": code, "is_moi": False}
            )

    # Partial years: spending reported up to quarter q compares with planned × q / 4.
    if line is None:
        quarters = (
            {int(y): int(q) for y, q in actual.groupby("year")["quarter"].max().items()}
            if not actual.empty
            else {}
        )
    else:  # what every line reported, in one grouped query
        quarters = {
            int(y): int(q)
            for y, q in session.execute(
                sa.select(Spending.year, sa.func.max(Spending.quarter)).group_by(Spending.year)
            )
        }
    planned = planned.assign(
        to_date=[
            a * quarters.get(int(y), 0) / calc.QUARTERS
            for a, y in zip(planned["amount"], planned["year"], strict=True)
        ]
    )
    if not planned.empty:
        planned["to_date"] = planned["to_date"].astype(object)

    custom = {p.year: p.share for p in schedule.path_points}
    path = calc.path_shares(
        years, schedule.current_share, schedule.full_ownership_year, schedule.path_mode, custom
    )
    result = {
        "schedule": {
            "id": schedule.id,
            "name": schedule.name,
            "status": schedule.status,
            "is_demo": bool(schedule.is_demo),
        },
        "years": years,
        "path": {
            "mode": schedule.path_mode,
            "current_share": schedule.current_share,
            "first_year": years[0] if years else None,
            "full_ownership_year": schedule.full_ownership_year,
            "shares": path,
        },
        "rates": {y: rate_of.get(y) for y in years},
        "missing_rates": [y for y in years if y not in rate_of],
        "quarters": quarters,
        "sources": srcs,
    }
    if line is None:
        result.update(_years(planned, actual, srcs, years, rate_of, quarters, path))
    if detail:
        reported = set(quarters) if line is not None else None
        result.update(
            _detail(
                session,
                lines,
                planned,
                actual,
                rate_of,
                years,
                srcs,
                version,
                reported,
                whole=line is None,
            )  # fmt: skip
        )
    return result


def _years(
    planned: pd.DataFrame,
    actual: pd.DataFrame,
    srcs: list[dict[str, Any]],
    years: list[int],
    rate_of: dict[int, Decimal],
    quarters: dict[int, int],
    path: dict[int, Decimal],
) -> dict[str, Any]:
    """The schedule's year rows and their totals."""
    by_year_source = _converted(planned, ["year", "source"], rate_of)
    act_year_source = _converted(actual, ["year", "source"], rate_of)
    todate_year = _converted(planned, ["year"], rate_of, col="to_date")

    year_rows = []
    for y in years:
        total = {"usd": ZERO, "khr": ZERO}
        moi = {"usd": ZERO, "khr": ZERO}
        act = {"usd": ZERO, "khr": ZERO}
        act_moi = {"usd": ZERO, "khr": ZERO}
        per_source = {}
        for s in srcs:
            p = by_year_source.get((y, s["code"]), {"usd": ZERO, "khr": ZERO})
            a = act_year_source.get((y, s["code"]), {"usd": ZERO, "khr": ZERO})
            per_source[s["code"]] = {
                "planned_usd": p["usd"],
                "planned_khr": p["khr"],
                "actual_usd": a["usd"],
                "actual_khr": a["khr"],
            }
            for k in ("usd", "khr"):
                total[k] += p[k]
                act[k] += a[k]
                if s["is_moi"]:
                    moi[k] += p[k]
                    act_moi[k] += a[k]
        for s in srcs:
            per_source[s["code"]]["share"] = calc.share(
                per_source[s["code"]]["planned_usd"], total["usd"]
            )
        ps = path.get(y)
        # Without the year's exchange rate the USD and KHR parts cannot be added, so the
        # year's share, gap and execution are unknown, never computed on one currency.
        known = y in rate_of
        moi_share = calc.share(moi["usd"], total["usd"]) if known else None
        to_date = todate_year.get((y,), {"usd": ZERO, "khr": ZERO})
        q = quarters.get(y, 0) if known else 0
        gap_usd = calc.gap(ps, total["usd"], moi["usd"]) if known else None
        year_rows.append(
            {
                "year": y,
                "rate": rate_of.get(y),
                "planned_usd": total["usd"],
                "planned_khr": total["khr"],
                "moi_usd": moi["usd"],
                "moi_khr": moi["khr"],
                "donors_usd": total["usd"] - moi["usd"],
                "donors_khr": total["khr"] - moi["khr"],
                "moi_share": moi_share,
                "donor_share": (calc.ONE - moi_share) if moi_share is not None else None,
                "path_share": ps,
                "gap_usd": gap_usd,
                "gap_khr": (
                    calc.q_khr(ps * total["khr"] - moi["khr"]) if ps is not None and known else None
                ),
                "path_reading": calc.path_reading(gap_usd),
                "below_path": calc.path_reading(gap_usd) == "below",
                "sources": per_source,
                "quarters": q,
                "actual_usd": act["usd"],
                "actual_khr": act["khr"],
                "actual_moi_usd": act_moi["usd"],
                "actual_moi_share": calc.share(act_moi["usd"], act["usd"]) if known else None,
                "planned_to_date_usd": to_date["usd"] if q else None,
                "execution_rate": calc.execution_rate(act["usd"], to_date["usd"]) if q else None,
                "variance_usd": (act["usd"] - to_date["usd"]) if q else None,
                "missing_rate": y not in rate_of,
            }
        )

    def total_of(key: str) -> Decimal:
        return sum((r[key] for r in year_rows), ZERO)

    return {
        "years_rows": year_rows,
        "totals": {
            "planned_usd": total_of("planned_usd"),
            "planned_khr": total_of("planned_khr"),
            "moi_usd": total_of("moi_usd"),
            "moi_khr": total_of("moi_khr"),
            # Only the years below the path (beyond the rounding tolerance) add up to
            # money still to be found.
            "gap_to_cover_usd": sum((r["gap_usd"] for r in year_rows if r["below_path"]), ZERO),
            "gap_to_cover_khr": sum(
                (r["gap_khr"] for r in year_rows if r["below_path"] and r["gap_khr"] > 0), ZERO
            ),
            "path_tolerance_usd": calc.PATH_TOLERANCE_USD,
            "actual_usd": total_of("actual_usd"),
            "actual_khr": total_of("actual_khr"),
        },
    }


def _exec_rows(
    planned: pd.DataFrame,
    actual: pd.DataFrame,
    keys: list[str],
    rate_of: dict[int, Decimal],
    reported_years: set[int],
) -> dict[tuple, dict[str, Any]]:
    """Planned to date, actual, execution rate and variance per ``keys``, in USD, over
    the years that have spending reported."""
    p = planned[planned["year"].isin(reported_years)] if not planned.empty else planned
    todate = _converted(p, keys, rate_of, col="to_date")
    full = _converted(p, keys, rate_of)
    act = _converted(actual, keys, rate_of)
    out = {}
    for k in set(todate) | set(act):
        pt = todate.get(k, {"usd": ZERO})["usd"]
        a = act.get(k, {"usd": ZERO})["usd"]
        out[k] = {
            "planned_year_usd": full.get(k, {"usd": ZERO})["usd"],
            "planned_to_date_usd": pt,
            "actual_usd": a,
            "execution_rate": calc.execution_rate(a, pt),
            "variance_usd": a - pt,
        }
    return out


def _detail(
    session, lines, planned, actual, rate_of, years, srcs, version, reported_years=None, whole=True
) -> dict[str, Any]:
    """Each line's row and the execution by line, source and year; ``whole``: also the
    execution by source and by output (the whole schedule's, not one line's)."""
    keys = {ln.result_key for ln in lines if ln.result_key}
    results = _output_of(session, keys, version)
    grid: dict[str, dict[str, dict[int, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    if not planned.empty:
        native = planned.groupby(["line", "source", "year"], sort=False)["amount"].sum()
        for (line, source, year), value in native.items():
            grid[line][source][int(year)] = value
    line_year = _converted(planned, ["line", "year"], rate_of)
    # each year converted at its own rate, then the years added: the line's total
    line_total: dict[str, dict[str, Decimal]] = defaultdict(lambda: {"usd": ZERO, "khr": ZERO})
    for (code, _year), v in line_year.items():
        line_total[code]["usd"] += v["usd"]
        line_total[code]["khr"] += v["khr"]
    if reported_years is not None:
        reported = set(reported_years)
    else:
        reported = {int(y) for y in actual["year"]} if not actual.empty else set()
    out_key = {ln.code: (results.get(ln.result_key or "", {}).get("output_key")) for ln in lines}
    if not actual.empty:
        actual = actual.assign(output=[out_key.get(c) or "" for c in actual["line"]])
    else:
        actual = actual.assign(output=[])
    if not planned.empty:
        planned = planned.assign(output=[out_key.get(c) or "" for c in planned["line"]])
    else:
        planned = planned.assign(output=[])
    exec_line = _exec_rows(planned, actual, ["line"], rate_of, reported)
    exec_line_source_year = _exec_rows(
        planned, actual, ["line", "source", "year"], rate_of, reported
    )
    execution: dict[str, Any] = {
        "reported_years": sorted(reported),
        "by_line_source_year": [
            {"line": k[0], "source": k[1], "year": int(k[2]), **v}
            for k, v in sorted(exec_line_source_year.items())
        ],
    }
    if whole:
        execution.update(_by_source_and_output(planned, actual, rate_of, reported, srcs, results))
    line_rows = []
    for ln in lines:
        res = results.get(ln.result_key or "")
        line_rows.append(
            {
                "code": ln.code,
                "category": ln.category,
                "category_title": ln.category_title,
                "name_en": ln.name_en,
                "name_km": ln.name_km,
                "currency": ln.currency,
                "result_key": ln.result_key,
                "result": res,
                "result_missing": bool(ln.result_key and res is None),
                "planned": {s: dict(v) for s, v in grid.get(ln.code, {}).items()},
                "by_year_usd": {
                    y: line_year.get((ln.code, y), {"usd": ZERO})["usd"] for y in years
                },
                "total_usd": line_total[ln.code]["usd"],
                "total_khr": line_total[ln.code]["khr"],
                "execution": exec_line.get((ln.code,)),
            }
        )
    return {"lines": line_rows, "execution": execution}


def _by_source_and_output(planned, actual, rate_of, reported, srcs, results) -> dict[str, Any]:
    """The schedule's execution by funding source and by output."""
    exec_source = _exec_rows(planned, actual, ["source"], rate_of, reported)
    exec_output = _exec_rows(planned, actual, ["output"], rate_of, reported)
    outputs = {}
    for res in results.values():
        outputs[res["output_key"]] = {
            "key": res["output_key"],
            "code": res["output_code"],
            "statement_en": res["output_en"],
            "statement_km": res["output_km"],
        }
    output_rows = [
        {**outputs.get(k[0], {"key": "", "code": "", "statement_en": "", "statement_km": ""}), **v}
        for k, v in sorted(exec_output.items(), key=lambda kv: kv[0][0] or "~")
    ]
    source_rows = [
        {"code": s["code"], "is_moi": s["is_moi"], **exec_source[(s["code"],)]}
        for s in srcs
        if (s["code"],) in exec_source
    ]
    return {"by_source": source_rows, "by_output": output_rows}
