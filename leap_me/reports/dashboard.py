"""The role dashboards at ``/``: what each reader needs first, in a fixed number of queries.

Every panel is computed here from the domains' services (the variance engine, the
completeness and "what waits" services of the indicators, the activity plan, the budget's
``compute``), never by the template, and every panel says when it has nothing to show.
The number of SQL statements does not depend on the data: the variance engine reads the
whole plan in one grouped query, the completeness of a period is four queries, and every
list is one query with its joins (tests/reports/test_dashboard.py counts them).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import orm as so

from budget import services as budget
from indicators.services import waiting
from indicators.services.completeness import completeness
from leap_me.auth.roles import Role
from leap_me.reports import charts, params, present
from leap_me.reports.variance import OFF_TRACK, ON_TRACK, STATUSES, _outcome_map, _outcomes, load
from logframe import activity_plan
from logframe import services as logframe
from logframe.models import ActivityStatus

#: The span the dashboards judge indicators on.
SPAN = "ytd"
#: How many key indicators, queue rows and overdue activities a panel lists.
KEY_LIMIT = 8
LIST_LIMIT = 10

#: Activity statuses on the dashboards, in chart order: (key, fill, pattern, ink, mark)
ACTIVITY_SERIES = (
    ("done", "#0b5345", "solid", "#ffffff", "✓"),
    ("on_track", "#1e8449", "dots", "#ffffff", "●"),
    ("delayed", "#d68910", "hatch", "#000000", "!"),
    ("not_started", "#d5dbdb", "vlines", "#000000", "…"),
    ("cancelled", "#ffffff", "none", "#000000", "✗"),
)


def activity_titles() -> dict[str, str]:
    return {
        "done": _("Done"),
        "on_track": _("On track"),
        "delayed": _("Delayed"),
        "not_started": _("Not started"),
        "cancelled": _("Cancelled"),
    }


def _outcome_label(o: dict[str, Any], lang: str) -> str:
    if not o["key"]:
        return _("Goal")
    statement = o["statement_km"] if lang == "km" else o["statement_en"]
    return _("Outcome %(code)s: %(statement)s", code=o["code"], statement=statement)


# --- panels -----------------------------------------------------------------------------


def indicators_panel(session: so.Session, period: str | None, lang: str) -> dict[str, Any]:
    """Indicators by status (overall and per outcome) and the key indicators."""
    if period is None:
        return {"period": None, "rows": [], "key": [], "chart": "", "outcomes": []}
    data = load(session, period)
    rows = data.variance(SPAN)
    counts = data.counts(SPAN)
    table = [(_("All indicators"), counts["overall"])]
    for o in data.outcomes:
        c = counts["per_outcome"].get(o["key"])
        if c and sum(c.values()):
            table.append((_outcome_label(o, lang), c))
    total = sum(counts["overall"].values())
    # Key indicators: those of the goal and of the outcomes themselves (not of outputs).
    own = {o["key"] for o in data.outcomes if o["key"]}
    goal = next((o for o in data.outcomes if not o["key"]), None)
    if goal:
        own |= set(goal["keys"])
    result_of = dict(
        zip(data.indicators["indicator_id"], data.indicators["result_key"], strict=True)
    )
    key = []
    for r in rows:
        if result_of.get(r["indicator_id"]) in own:
            d = present.display(r, lang)
            d["sparkline"] = charts.sparkline(r.get("series") or [], r, lang)
            key.append(d)
    key.sort(key=lambda r: (r["status"] not in OFF_TRACK, r["status"] == "no_target"))
    return {
        "period": period,
        "span": SPAN,
        "rows": table,
        "total": total,
        "on_track": sum(counts["overall"][s] for s in ON_TRACK),
        "off_track": sum(counts["overall"][s] for s in OFF_TRACK),
        "key": key[:KEY_LIMIT],
        "key_total": len(key),
        "chart": charts.stacked_bars(
            table,
            charts.status_series(),
            title=_(
                "Indicators by status, overall and per outcome, %(period)s year to date",
                period=period,
            ),
            cls="status-bars",
        )
        if total
        else "",
        "outcomes": data.outcomes,
    }


def _pct_text(rate: Decimal | None, part: int, whole: int) -> str:
    if rate is None:
        return _("nothing expected")
    return _(
        "%(pct)s (%(part)s of %(whole)s)", pct=present.pct(float(rate)), part=part, whole=whole
    )


def completeness_panel(session: so.Session, today: date) -> dict[str, Any]:
    """Completeness and timeliness of the current and the last period."""
    periods = waiting.recent_periods(session, 2)
    out = []
    items = []
    for p in periods:
        o = completeness(session, p, today)["overall"]
        out.append({"period": p.code, "status": p.status, "deadline": p.deadline, **o})
        items.append(
            {
                "label": _("%(period)s: completeness", period=p.code),
                "value": None if o["completeness"] is None else float(o["completeness"]),
                "text": _pct_text(o["completeness"], o["submitted"], o["expected"]),
                "kind": "solid",
            }
        )
        items.append(
            {
                "label": _(
                    "%(period)s: on time (by %(deadline)s)",
                    period=p.code,
                    deadline=p.deadline.isoformat(),
                ),
                "value": None if o["timeliness"] is None else float(o["timeliness"]),
                "text": _pct_text(o["timeliness"], o["on_time"], o["expected"]),
                "kind": "hatch",
            }
        )
    chart = (
        charts.meters(items, title=_("Completeness and timeliness of reporting"), cls="rates")
        if any(r["expected"] for r in out)
        else ""
    )
    return {"periods": out, "chart": chart}


def activities_panel(
    session: so.Session, outcomes: list[dict[str, Any]] | None, lang: str, today: date
) -> dict[str, Any]:
    """Activities of the current plan version by status, per outcome; an open activity
    past its end date counts as delayed."""
    acts = logframe.result_options(session, levels=("activity",))
    outcomes = outcomes if outcomes is not None else _outcomes(session)
    of = _outcome_map(outcomes)
    per: dict[str, dict[str, int]] = {}
    overall = {k: 0 for k, *_r in ACTIVITY_SERIES}
    overdue = 0
    for a in acts:
        status = a.status or ActivityStatus.NOT_STARTED.value
        late = (
            status in (ActivityStatus.NOT_STARTED, ActivityStatus.ON_TRACK)
            and a.end_date is not None
            and a.end_date < today
        )
        key = {
            ActivityStatus.COMPLETED.value: "done",
            ActivityStatus.CANCELLED.value: "cancelled",
        }.get(status, "delayed" if late or status == ActivityStatus.DELAYED else status)
        overdue += late
        o = of.get(a.key)
        bucket = per.setdefault(o["key"] if o else "", {k: 0 for k, *_r in ACTIVITY_SERIES})
        bucket[key] += 1
        overall[key] += 1
    titles = activity_titles()
    series = [(k, titles[k], fill, kind, ink, mark) for k, fill, kind, ink, mark in ACTIVITY_SERIES]
    rows = [(_("All activities"), overall)]
    for o in outcomes:
        c = per.get(o["key"])
        if c and sum(c.values()):
            rows.append((_outcome_label(o, lang), c))
    return {
        "rows": rows,
        "series": series,
        "total": len(acts),
        "overdue_open": overdue,
        "chart": charts.stacked_bars(
            rows, series, title=_("Activities by status, per outcome"), cls="activity-bars"
        )
        if acts
        else "",
    }


def _float(x: Decimal | None) -> float | None:
    return None if x is None else float(x)


def budget_panel(session: so.Session, today: date) -> dict[str, Any]:
    """Execution and the MoI share of the approved schedule against the cost-sharing path."""
    sched = budget.approved_schedule(session)
    if sched is None:
        return {"years": [], "chart": "", "execution": None}
    data = budget.compute(session, sched, detail=False)
    years = [
        {
            "year": r["year"],
            "share": _float(r["moi_share"]),
            "path": _float(r["path_share"]),
            "reading": r["path_reading"],
            "gap_usd": r["gap_usd"],
            "planned_usd": r["planned_usd"],
            "actual_usd": r["actual_usd"],
            "execution": _float(r["execution_rate"]),
            "quarters": r["quarters"],
            "missing_rate": r["missing_rate"],
        }
        for r in data["years_rows"]
    ]
    reported = [y for y in years if y["execution"] is not None]
    execution = None
    if reported:
        y = next((r for r in reported if r["year"] == today.year), reported[-1])
        execution = {
            **y,
            "chart": charts.meters(
                [
                    {
                        "label": _(
                            "%(year)s: spent against planned to date (%(q)s quarters)",
                            year=y["year"],
                            q=y["quarters"],
                        ),
                        "value": float(y["execution"]) * 100,
                        "text": present.pct(float(y["execution"]) * 100),
                        "kind": "solid",
                    }
                ],
                title=_("Budget execution in %(year)s", year=y["year"]),
                cls="execution",
            ),
        }
    chart = ""
    if any(y["share"] is not None or y["path"] is not None for y in years):
        chart = charts.share_path_chart(
            years,
            title=_("MoI share of the planned budget against the cost-sharing path"),
            bar_label=_("MoI share of the planned budget"),
            path_label=_("Cost-sharing path"),
        )
    return {
        "years": years,
        "chart": chart,
        "execution": execution,
        "gap_to_cover_usd": data["totals"]["gap_to_cover_usd"],
        "below": [y["year"] for y in years if y["reading"] == "below"],
    }


def waiting_panel(session: so.Session, user: Any, today: date) -> dict[str, Any]:
    """What waits for this user, by role."""
    role = user.role
    if role == Role.PARTNER:
        # a partner account always belongs to an organisation (a check constraint)
        return {"kind": "partner", "owed": waiting.owed_by(session, user.organisation_id, today)}
    if role == Role.REVIEWER:
        queue, total = waiting.review_queue(session, LIST_LIMIT)
        return {
            "kind": "reviewer",
            "queue": queue,
            "queue_total": total,
            "findings": waiting.open_findings(session),
        }
    if role == Role.PLANNER:
        version = logframe.current_version(session)
        late = activity_plan.overdue(session, version, today) if version is not None else []
        return {
            "kind": "planner",
            "periods": waiting.periods_to_act(session, today),
            "version_number": version.number if version is not None else None,
            "overdue": late[:LIST_LIMIT],
            "overdue_total": len(late),
        }
    if role == Role.ADMIN:
        from leap_me.auth import services as accounts

        return {"kind": "admin", "accounts": accounts.account_counts(session)}
    return {"kind": "viewer"}


def build(
    session: so.Session,
    user: Any,
    lang: str,
    today: date | None = None,
    *,
    with_completeness: bool = True,
) -> dict[str, Any]:
    """Every panel of the user's dashboard (completeness only for the roles that may read
    it: a partner sees its own deadlines in "what waits for me" instead)."""
    today = today or date.today()
    period = params.default_period(session, today)
    ind = indicators_panel(session, period, lang)
    return {
        "today": today,
        "period": period,
        "indicators": ind,
        "completeness": completeness_panel(session, today) if with_completeness else None,
        "activities": activities_panel(session, ind["outcomes"] or None, lang, today),
        "budget": budget_panel(session, today),
        "waiting": waiting_panel(session, user, today),
        "statuses": STATUSES,
    }
