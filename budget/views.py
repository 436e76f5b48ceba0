"""Pages of the cost-sharing budget: the schedule, lines, path, rates, spending,
uploads, the donor workbook and what-if scenarios."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from budget import calc, chart, excel, services
from budget.forms import (
    DonorExitForm,
    LineForm,
    PathForm,
    ReasonForm,
    ScenarioForm,
    SourceForm,
    SpendingForm,
    UploadForm,
)
from budget.models import BudgetLine, Schedule, ScheduleStatus, Spending
from leap_me import audit
from leap_me.audit import AuditEntry
from leap_me.auth.permissions import (
    can_edit_budget,
    can_see_budget_detail,
    can_see_history,
    roles_required,
    signed_in,
)
from leap_me.auth.roles import Role
from leap_me.extensions import db
from leap_me.forms import EmptyForm
from leap_me.i18n import current_lang
from stakeholders.models import Organisation

bp = Blueprint("budget", __name__, url_prefix="/budget")

PLANNERS = (Role.PLANNER,)
READERS = (Role.ADMIN, Role.PLANNER, Role.REVIEWER, Role.VIEWER)  # partners: totals only
HISTORY = (Role.ADMIN, Role.PLANNER, Role.REVIEWER)


# --- helpers -----------------------------------------------------------------------


def _approved() -> Schedule:
    schedule = services.approved_schedule(db.session)
    if schedule is None:
        abort(404)
    return schedule


def _scenario(scenario_id: int, archived_too: bool = False) -> Schedule:
    schedule = db.session.get(Schedule, scenario_id)
    allowed = {ScheduleStatus.SCENARIO} | ({ScheduleStatus.ARCHIVED} if archived_too else set())
    if schedule is None or schedule.status not in allowed:
        abort(404)
    return schedule


def _line(schedule: Schedule, code: str) -> BudgetLine:
    line = services.line_by_code(db.session, schedule, code)
    if line is None:
        abort(404)
    return line


def _svg(data: dict, detail: bool) -> Markup:
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


def _years_for_forms() -> list[int]:
    return services.plan_years(db.session, list(services.rates(db.session)))


def _parse_decimal(text: str) -> Decimal | None:
    try:
        value = Decimal((text or "").strip().replace(",", ""))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _source_ids() -> dict[str, int]:
    return {s["code"]: s["id"] for s in services.sources(db.session) if s["id"] is not None}


# --- the schedule ------------------------------------------------------------------


@bp.route("")
@signed_in
def schedule():
    sched = services.approved_schedule(db.session)
    detail = can_see_budget_detail(current_user)
    if sched is None:
        return render_template("budget/empty.html", can_edit=can_edit_budget(current_user))
    data = services.compute(db.session, sched, detail=detail)
    return render_template(
        "budget/schedule.html",
        sched=sched,
        data=data,
        detail=detail,
        svg=_svg(data, detail),
        cur="KHR" if request.args.get("cur") == "KHR" else "USD",
        can_edit=can_edit_budget(current_user),
        show_history=can_see_history(current_user),
    )


@bp.route("/start", methods=["POST"])
@roles_required(*PLANNERS)
def start():
    if not EmptyForm().validate_on_submit():
        abort(400)
    if services.approved_schedule(db.session) is None:
        with audit.reason(_("New cost-sharing schedule")):
            services.start_schedule(db.session, _years_for_forms())
        db.session.commit()
        flash(_("An empty schedule is started. Add budget lines and set the path."), "success")
    return redirect(url_for("budget.schedule"))


@bp.route("/sources", methods=["GET", "POST"])
@roles_required(*PLANNERS)
def funding_sources():
    form = SourceForm()
    form.organisation_id.choices = services.source_candidates(db.session)
    if request.method == "POST" and form.validate_on_submit():
        org = db.session.get(Organisation, form.organisation_id.data)
        with audit.reason(form.reason.data):
            services.add_funding_source(db.session, org)
        db.session.commit()
        flash(_("%(code)s is now a funding source.", code=org.code), "success")
        return redirect(url_for("budget.funding_sources"))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "budget/sources.html", form=form, sources=services.sources(db.session)
    ), status


@bp.route("/lines/<code>")
@roles_required(*READERS)
def line(code: str):
    sched = _approved()
    ln = _line(sched, code)
    data = services.compute(db.session, sched)
    row = next(r for r in data["lines"] if r["code"] == ln.code)
    spending = db.session.execute(
        sa.select(Spending, Organisation.code)
        .join(Organisation, Organisation.id == Spending.source_id)
        .where(Spending.line_code == ln.code)
        .order_by(Spending.year, Spending.quarter, Organisation.code)
    ).all()
    execution = [e for e in data["execution"]["by_line_source_year"] if e["line"] == ln.code]
    return render_template(
        "budget/line.html",
        ln=ln,
        row=row,
        data=data,
        spending=spending,
        execution=execution,
        can_edit=can_edit_budget(current_user),
        show_history=can_see_history(current_user),
    )


def _line_form(ln: BudgetLine | None) -> LineForm:
    form = LineForm(obj=ln)
    form.result_key.choices = services.result_choices(db.session, current_lang())
    keys = {k for k, _v in form.result_key.choices}
    if ln is not None and ln.result_key and ln.result_key not in keys:
        form.result_key.choices.append((ln.result_key, ln.result_key))
    return form


def _grid(ln: BudgetLine | None, currency: str, years: list[int], srcs: list[dict]):
    """Read the amount inputs: ({(source_id, year): amount}, {input name: error})."""
    amounts, errors = {}, {}
    for s in srcs:
        for y in years:
            name = f"amt-{s['id']}-{y}"
            try:
                amounts[(s["id"], y)] = calc.parse_amount(request.form.get(name, ""), currency)
            except ValueError as exc:
                errors[name] = excel._reason(exc)
    return amounts, errors


def _grid_values(ln: BudgetLine | None) -> dict[str, str]:
    if request.method == "POST":
        return {k: v for k, v in request.form.items() if k.startswith("amt-")}
    if ln is None:
        return {}
    return {f"amt-{a.source_id}-{a.year}": format(a.amount, "f") for a in ln.amounts}


def _edit_line(sched: Schedule, ln: BudgetLine | None):
    form = _line_form(ln)
    years = _years_for_forms()
    srcs = [s for s in services.sources(db.session) if s["id"] is not None]
    errors: dict[str, str] = {}
    if request.method == "POST":
        ok = form.validate_on_submit()
        amounts, errors = _grid(ln, form.currency.data or "USD", years, srcs)
        clash = db.session.scalar(
            sa.select(BudgetLine.id).where(
                BudgetLine.schedule_id == sched.id, BudgetLine.code == form.code.data
            )
        )
        if clash and (ln is None or clash != ln.id):
            form.code.errors = [
                _("Another budget line already has the code %(code)s.", code=form.code.data)
            ]
            ok = False
        if ln is not None and form.code.data != ln.code:
            used = db.session.scalar(
                sa.select(sa.func.count(Spending.id)).where(Spending.line_code == ln.code)
            )
            if used:
                form.code.errors = [
                    *form.code.errors,
                    _("Spending is recorded on this line: keep its code."),
                ]
                ok = False
        if ok and not errors:
            data = {
                "code": form.code.data,
                "category": form.category.data,
                "name_en": form.name_en.data,
                "name_km": form.name_km.data or "",
                "currency": form.currency.data,
                "result_key": form.result_key.data or None,
            }
            with audit.reason(form.reason.data):
                saved = services.save_line(db.session, sched, ln, data, amounts)
            db.session.commit()
            flash(_("Budget line %(code)s is saved.", code=saved.code), "success")
            return redirect(url_for("budget.line", code=saved.code))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "budget/line_form.html",
        form=form,
        ln=ln,
        years=years,
        srcs=srcs,
        values=_grid_values(ln),
        errors=errors,
    ), status


@bp.route("/lines/new", methods=["GET", "POST"])
@roles_required(*PLANNERS)
def new_line():
    return _edit_line(_approved(), None)


@bp.route("/lines/<code>/edit", methods=["GET", "POST"])
@roles_required(*PLANNERS)
def edit_line(code: str):
    sched = _approved()
    return _edit_line(sched, _line(sched, code))


@bp.route("/lines/<code>/delete", methods=["POST"])
@roles_required(*PLANNERS)
def delete_line(code: str):
    sched = _approved()
    ln = _line(sched, code)
    if not EmptyForm().validate_on_submit():
        abort(400)
    used = db.session.scalar(
        sa.select(sa.func.count(Spending.id)).where(Spending.line_code == ln.code)
    )
    if used:
        flash(_("Spending is recorded on %(code)s: it cannot be deleted.", code=ln.code), "error")
        return redirect(url_for("budget.line", code=ln.code))
    services.delete_line(db.session, ln)
    db.session.commit()
    flash(_("Budget line %(code)s is deleted.", code=code), "success")
    return redirect(url_for("budget.schedule"))


def _history(stmt, title: str, back: str):
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page = 1
    entries = db.paginate(
        stmt.order_by(AuditEntry.created_dt.desc(), AuditEntry.id.desc()),
        page=page,
        per_page=current_app.config["PAGE_SIZE"] * 2,
    )
    return render_template("budget/history.html", entries=entries, title=title, back_url=back)


@bp.route("/lines/<code>/history")
@roles_required(*HISTORY)
def line_history(code: str):
    """The line and its planned amounts and spending (labelled with the line's code)."""
    sched = _approved()
    ln = _line(sched, code)
    stmt = sa.select(AuditEntry).where(
        sa.or_(
            sa.and_(AuditEntry.object_type == "budget_line", AuditEntry.object_id == str(ln.id)),
            sa.and_(
                AuditEntry.object_type.in_(["budget_planned", "budget_spending"]),
                AuditEntry.object_label.like(f"{ln.code} %"),
            ),
        )
    )
    return _history(
        stmt, _("History of %(code)s", code=ln.code), url_for("budget.line", code=ln.code)
    )


@bp.route("/history")
@roles_required(*HISTORY)
def history():
    """Every change to the budget: schedules, path, rates, lines, amounts, spending."""
    stmt = sa.select(AuditEntry).where(AuditEntry.object_type.like("budget\\_%", escape="\\"))
    return _history(stmt, _("History of the cost-sharing schedule"), url_for("budget.schedule"))


# --- path and rates ----------------------------------------------------------------


def _edit_path(sched: Schedule, back: str):
    form = PathForm()
    years = _years_for_forms()
    custom = {p.year: p.share for p in sched.path_points}
    errors: dict[str, str] = {}
    if request.method == "GET":
        form.current_share.data = format((sched.current_share * 100).normalize(), "f")
        form.full_ownership_year.data = sched.full_ownership_year
        form.mode.data = sched.path_mode
    values = {
        f"share-{y}": request.form.get(f"share-{y}", "")
        if request.method == "POST"
        else (format((custom[y] * 100).normalize(), "f") if y in custom else "")
        for y in years
    }
    if request.method == "POST":
        ok = form.validate_on_submit()
        share = _parse_decimal(form.current_share.data or "")
        if share is None or not 0 <= share <= 100:
            form.current_share.errors = [_("Give a percentage between 0 and 100.")]
            ok = False
        wanted: dict[int, Decimal] = {}
        for y in years:
            text = values[f"share-{y}"].strip()
            if not text:
                continue
            value = _parse_decimal(text)
            if value is None or not 0 <= value <= 100:
                errors[f"share-{y}"] = _("Give a percentage between 0 and 100.")
            else:
                wanted[y] = value / 100
        if ok and not errors:
            with audit.reason(form.reason.data):
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
    status = 400 if request.method == "POST" else 200
    return render_template(
        "budget/path_form.html",
        form=form,
        sched=sched,
        years=years,
        values=values,
        errors=errors,
        linear=linear,
        back=back,
    ), status


@bp.route("/path", methods=["GET", "POST"])
@roles_required(*PLANNERS)
def path():
    return _edit_path(_approved(), url_for("budget.schedule"))


@bp.route("/rates", methods=["GET", "POST"])
@roles_required(*PLANNERS)
def rates():
    form = ReasonForm()
    years = _years_for_forms()
    current = services.rates(db.session)
    errors: dict[str, str] = {}
    values = {
        f"rate-{y}": request.form.get(f"rate-{y}", "")
        if request.method == "POST"
        else (format(current[y].normalize(), "f") if y in current else "")
        for y in years
    }
    if request.method == "POST":
        ok = form.validate_on_submit()
        wanted = {}
        for y in years:
            text = values[f"rate-{y}"].strip()
            if not text:
                continue
            value = _parse_decimal(text)
            if value is None or value <= 0 or value >= Decimal("1e8"):
                errors[f"rate-{y}"] = _("Give the number of riel for one US dollar.")
            else:
                wanted[y] = value.quantize(Decimal("0.0001"))
        if ok and not errors:
            with audit.reason(form.reason.data):
                for y, value in wanted.items():
                    services.set_rate(db.session, y, value)
            db.session.commit()
            flash(_("The exchange rates are saved."), "success")
            return redirect(url_for("budget.schedule") + "#rates")
    status = 400 if request.method == "POST" else 200
    return render_template(
        "budget/rates_form.html", form=form, years=years, values=values, errors=errors
    ), status


# --- spending ----------------------------------------------------------------------


def _spending_form(sched: Schedule) -> SpendingForm:
    form = SpendingForm()
    form.line.choices = [
        (ln.code, f"{ln.code} ({ln.currency})")
        for ln in db.session.scalars(
            sa.select(BudgetLine)
            .where(BudgetLine.schedule_id == sched.id)
            .order_by(BudgetLine.code)
        )
    ]
    form.source_id.choices = services.source_choices(db.session)
    form.year.choices = [(y, str(y)) for y in _years_for_forms()]
    return form


@bp.route("/spending", methods=["GET", "POST"])
@roles_required(*READERS)
def spending():
    sched = _approved()
    form = _spending_form(sched)
    if request.method == "POST":
        if not can_edit_budget(current_user):
            abort(403)
        amount = None
        ok = form.validate_on_submit()
        ln = services.line_by_code(db.session, sched, form.line.data or "") if ok else None
        if ok and ln is not None:
            try:
                amount = calc.parse_amount(form.amount.data, ln.currency)
            except ValueError as exc:
                form.amount.errors = [excel._reason(exc)]
        if ok and ln is not None and amount is not None:
            with audit.reason(form.reason.data):
                services.record_spending(
                    db.session,
                    ln,
                    form.source_id.data,
                    form.year.data,
                    form.quarter.data,
                    amount,
                    form.note.data or "",
                )
            db.session.commit()
            flash(
                _(
                    "Spending of %(code)s for %(year)s Q%(quarter)s is saved.",
                    code=ln.code,
                    year=form.year.data,
                    quarter=form.quarter.data,
                ),
                "success",
            )
            return redirect(url_for("budget.spending"))
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page = 1
    stmt = (
        sa.select(Spending, Organisation.code.label("source"))
        .join(Organisation, Organisation.id == Spending.source_id)
        .order_by(Spending.year.desc(), Spending.quarter.desc(), Spending.line_code)
    )
    if q := request.args.get("line", "").strip():
        stmt = stmt.where(Spending.line_code == q)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))
    size = 50
    rows = db.session.execute(stmt.limit(size).offset((page - 1) * size)).all()
    status = 400 if request.method == "POST" else 200
    return render_template(
        "budget/spending.html",
        form=form,
        rows=rows,
        page=page,
        pages=max(1, -(-total // size)),
        total=total,
        line_filter=q,
        can_edit=can_edit_budget(current_user),
    ), status


def _upload(kind: str):
    sched = _approved()
    form = UploadForm()
    report = None
    written = None
    if request.method == "POST" and form.validate_on_submit():
        data = form.file.data.read()
        years = _years_for_forms()
        reader = excel.read_planned if kind == "planned" else excel.read_spending
        report = reader(db.session, sched, data, years, _source_ids())
        if report.ok and not form.dry_run.data:
            with audit.reason(_("Upload of %(name)s", name=form.file.data.filename or "")):
                if kind == "planned":
                    by_line: dict = {}
                    for ch in report.changes:
                        by_line.setdefault(ch["line"], {})[(ch["source_id"], ch["year"])] = ch[
                            "amount"
                        ]
                    for ln, amounts in by_line.items():
                        services.set_amounts(db.session, ln, amounts)
                else:
                    for ch in report.changes:
                        services.record_spending(
                            db.session,
                            ch["line"],
                            ch["source_id"],
                            ch["year"],
                            ch["quarter"],
                            ch["amount"],
                            ch["note"],
                        )
            db.session.commit()
            written = len(report.changes)
            flash(_("%(n)d values are written from the workbook.", n=written), "success")
            return redirect(url_for("budget.schedule"))
    status = 400 if request.method == "POST" and (report is None or not report.ok) else 200
    return render_template(
        "budget/upload.html", form=form, report=report, kind=kind, written=written
    ), status


@bp.route("/import", methods=["GET", "POST"])
@roles_required(*PLANNERS)
def import_planned():
    return _upload("planned")


@bp.route("/spending/upload", methods=["GET", "POST"])
@roles_required(*PLANNERS)
def upload_spending():
    return _upload("spending")


@bp.route("/export.xlsx")
@roles_required(*READERS)
def export():
    sched = _approved()
    data = services.compute(db.session, sched)
    body = excel.export_workbook(data, excel.spending_rows(db.session), current_lang())
    return Response(
        body,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": "attachment; filename=leap-budget-schedule.xlsx"},
    )


# --- scenarios ---------------------------------------------------------------------


@bp.route("/scenarios", methods=["GET", "POST"])
@roles_required(*READERS)
def scenarios():
    form = ScenarioForm()
    if request.method == "POST":
        if not can_edit_budget(current_user):
            abort(403)
        if form.validate_on_submit():
            try:
                with audit.reason(_("What-if scenario")):
                    sc = services.create_scenario(db.session, form.name.data.strip())
            except ValueError as exc:
                abort(409, description=str(exc))
            db.session.commit()
            flash(_("Scenario %(name)s is made from the approved schedule.", name=sc.name),
                  "success")  # fmt: skip
            return redirect(url_for("budget.scenario", scenario_id=sc.id))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "budget/scenarios.html",
        form=form,
        scenarios=services.scenarios(db.session),
        archived=services.archived(db.session),
        can_edit=can_edit_budget(current_user),
    ), status


@bp.route("/scenarios/<int:scenario_id>")
@roles_required(*READERS)
def scenario(scenario_id: int):
    sc = _scenario(scenario_id, archived_too=True)
    approved = _approved()
    base = services.compute(db.session, approved, detail=False)
    data = services.compute(db.session, sc, detail=False)
    base_by_year = {r["year"]: r for r in base["years_rows"]}
    exit_form = DonorExitForm()
    exit_form.source_id.choices = [
        (s["id"], s["code"]) for s in data["sources"] if s["id"] is not None and not s["is_moi"]
    ]
    exit_form.from_year.choices = [(y, str(y)) for y in data["years"]]
    return render_template(
        "budget/scenario.html",
        sc=sc,
        approved=approved,
        data=data,
        base=base,
        base_by_year=base_by_year,
        svg=_svg(services.compute(db.session, sc, detail=True), True),
        exit_form=exit_form,
        can_edit=can_edit_budget(current_user),
    )


@bp.route("/scenarios/<int:scenario_id>/exit", methods=["POST"])
@roles_required(*PLANNERS)
def donor_exit(scenario_id: int):
    sc = _scenario(scenario_id)
    form = DonorExitForm()
    form.source_id.choices = services.source_choices(db.session)
    form.from_year.choices = [(y, str(y)) for y in _years_for_forms()]
    if not form.validate_on_submit():
        flash(_("Choose a donor and a year."), "error")
        return redirect(url_for("budget.scenario", scenario_id=sc.id))
    org = db.session.get(Organisation, form.source_id.data)
    with audit.reason(
        _("Scenario: %(code)s stops funding from %(year)s", code=org.code, year=form.from_year.data)
    ):
        n = services.donor_exit(db.session, sc, org.id, form.from_year.data)
    db.session.commit()
    flash(
        _(
            "%(code)s stops funding from %(year)s: %(n)d planned amounts are removed from "
            "the scenario.",
            code=org.code,
            year=form.from_year.data,
            n=n,
        ),
        "success",
    )
    return redirect(url_for("budget.scenario", scenario_id=sc.id))


@bp.route("/scenarios/<int:scenario_id>/path", methods=["GET", "POST"])
@roles_required(*PLANNERS)
def scenario_path(scenario_id: int):
    sc = _scenario(scenario_id)
    return _edit_path(sc, url_for("budget.scenario", scenario_id=sc.id))


@bp.route("/scenarios/<int:scenario_id>/keep", methods=["POST"])
@roles_required(*PLANNERS)
def keep_scenario(scenario_id: int):
    sc = _scenario(scenario_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    with audit.reason(_("Scenario %(name)s kept as the approved schedule", name=sc.name)):
        services.keep_scenario(db.session, sc)
    db.session.commit()
    flash(_("Scenario %(name)s is now the approved schedule. The previous one is archived.",
            name=sc.name), "success")  # fmt: skip
    return redirect(url_for("budget.schedule"))


@bp.route("/scenarios/<int:scenario_id>/discard", methods=["POST"])
@roles_required(*PLANNERS)
def discard_scenario(scenario_id: int):
    sc = _scenario(scenario_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    name = sc.name
    with audit.reason(_("Scenario thrown away")):
        services.discard_scenario(db.session, sc)
    db.session.commit()
    flash(_("Scenario %(name)s is thrown away.", name=name), "success")
    return redirect(url_for("budget.scenarios"))
