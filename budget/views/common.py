"""Helpers the budget pages share: loading (404), the chart, number inputs, history."""

from __future__ import annotations

from decimal import Decimal

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
)
from flask_babel import gettext as _
from markupsafe import Markup

from budget import calc, chart, services
from budget.forms import (
    PathForm,
)
from budget.models import BudgetLine, Schedule, ScheduleStatus
from leap_me import audit, locking, numbers
from leap_me.auth.roles import Role
from leap_me.extensions import db
from leap_me.history import history_page

PLANNERS = (Role.PLANNER,)
READERS = (Role.ADMIN, Role.PLANNER, Role.REVIEWER, Role.VIEWER)  # partners: totals only
HISTORY = (Role.ADMIN, Role.PLANNER, Role.REVIEWER)


# --- helpers -----------------------------------------------------------------------


def approved_or_404() -> Schedule:
    schedule = services.approved_schedule(db.session)
    if schedule is None:
        abort(404)
    return schedule


def scenario_or_404(scenario_id: int, archived_too: bool = False) -> Schedule:
    schedule = db.session.get(Schedule, scenario_id)
    allowed = {ScheduleStatus.SCENARIO} | ({ScheduleStatus.ARCHIVED} if archived_too else set())
    if schedule is None or schedule.status not in allowed:
        abort(404)
    return schedule


def line_or_404(schedule: Schedule, code: str, amounts: bool = True) -> BudgetLine:
    line = services.line_by_code(db.session, schedule, code, amounts)
    if line is None:
        abort(404)
    return line


def chart_svg(data: dict, detail: bool) -> Markup:
    if detail:
        series = [(s["code"], _("MoI/RGC") if s["is_moi"] else s["code"]) for s in data["sources"]]
        shares = {
            r["year"]: {c: r["sources"][c]["share"] for c, _lbl in series}
            for r in data["years_rows"]
        }
    else:
        series = [("MOI", _("MoI/RGC")), ("DONORS", _("Donors"))]
        shares = {
            r["year"]: {"MOI": r["moi_share"], "DONORS": r["donor_share"]}
            for r in data["years_rows"]
        }
    labels = {
        "title": _("MoI and donor shares of the planned budget, against the path"),
        "path": _("Path (MoI share)"),
    }
    return Markup(  # noqa: S704 - built from numbers and escaped labels in budget.chart
        chart.cost_sharing_svg(data["years"], shares, series, data["path"]["shares"], labels)
    )


def form_years() -> list[int]:
    return services.plan_years(db.session, list(services.rates(db.session)))


def parse_percent(text: str) -> Decimal:
    """A percentage from 0 to 100 with at most 2 decimals (the share is kept to 0.01 %).

    Raises NumberError with the limits in its message (leap_me.numbers, the one parser)."""
    return numbers.parse_decimal(text, max_int_digits=3, max_places=2, minimum=0, maximum=100)


def source_ids() -> dict[str, int]:
    return {s["code"]: s["id"] for s in services.sources(db.session) if s["id"] is not None}


def budget_history(stmt, title: str, back: str):
    return history_page(stmt, title, back)


def edit_path(sched: Schedule, back: str):
    form = PathForm()
    years = form_years()
    custom = {p.year: p.share for p in sched.path_points}
    errors: dict[str, str] = {}
    conflict = None
    if request.method == "GET":
        form.current_share.data = format((sched.current_share * 100).normalize(), "f")
        form.full_ownership_year.data = sched.full_ownership_year
        form.mode.data = sched.path_mode
        locking.prime(form, locking.token_of(sched))
    values = {
        f"share-{y}": request.form.get(f"share-{y}", "")
        if request.method == "POST"
        else (format((custom[y] * 100).normalize(), "f") if y in custom else "")
        for y in years
    }
    if request.method == "POST":
        ok = form.validate_on_submit()
        try:
            share = parse_percent(form.current_share.data or "")
        except numbers.NumberError as err:
            share, form.current_share.errors = None, [err.message]
        if share is None:
            if not form.current_share.errors:
                form.current_share.errors = [_("Give a percentage between 0 and 100.")]
            ok = False
        full = form.full_ownership_year.data
        if ok and years and full is not None and full <= years[0]:
            form.full_ownership_year.errors = [
                _("Full ownership must come after the first year, %(year)s.", year=years[0])
            ]
            ok = False
        wanted: dict[int, Decimal] = {}
        for y in years:
            text = values[f"share-{y}"].strip()
            if not text:
                continue
            try:
                wanted[y] = parse_percent(text) / 100
            except numbers.NumberError as err:
                errors[f"share-{y}"] = err.message
        if ok and not errors:
            conflict = _path_conflict(form, sched, custom, wanted, years)
        if ok and not errors and conflict is None:
            with audit.reason(form.reason.data):
                locking.bump(sched)  # the year-by-year shares are rows of their own
                services.set_path(
                    db.session,
                    sched,
                    share / 100,
                    form.full_ownership_year.data,
                    form.mode.data,
                    wanted,
                )
            db.session.commit()
            flash(_("The cost-sharing path is saved."), "success")
            return redirect(back)
    linear = calc.path_shares(years, sched.current_share, sched.full_ownership_year, "linear")
    status = conflict.status if conflict else 400 if request.method == "POST" else 200
    return render_template(
        "budget/path_form.html",
        form=form,
        sched=sched,
        years=years,
        values=values,
        errors=errors,
        linear=linear,
        back=back,
        conflict=conflict,
    ), status


def _percent(share: Decimal | None) -> str | None:
    return None if share is None else format((share * 100).normalize(), "f")


def _path_conflict(form, sched: Schedule, custom: dict, wanted: dict, years: list[int]):
    """The stored path next to what was typed, when someone saved it meanwhile."""
    rows = []
    for y in years:
        shown = locking.display(_percent(custom.get(y))), locking.display(_percent(wanted.get(y)))
        if shown[0] != shown[1]:
            rows.append(locking.ConflictRow(str(y), *shown))
    return locking.detect(
        form,
        sched,
        ["current_share", "full_ownership_year", "mode"],
        stored={
            "current_share": _percent(sched.current_share),
            "mode": sched.path_mode,
        },
        audit_fields={"current_share": "current_share", "mode": "path_mode"},
        extra_rows=rows,
        discard_url=request.url,
    )
