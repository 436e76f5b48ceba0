"""Budget lines: the line page, its form with the amount grid, delete, history."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from budget import calc, excel, services
from budget.forms import (
    LineForm,
)
from budget.models import BudgetLine, Schedule, Spending
from budget.views import bp
from budget.views.common import (
    HISTORY,
    PLANNERS,
    READERS,
    approved_or_404,
    budget_history,
    form_years,
    line_or_404,
)
from leap_me import audit, locking
from leap_me.audit import AuditEntry
from leap_me.auth.permissions import (
    can_edit_budget,
    can_see_history,
    roles_required,
)
from leap_me.extensions import db
from leap_me.forms import EmptyForm
from leap_me.i18n import current_lang
from stakeholders.models import Organisation


@bp.route("/lines/<code>")
@roles_required(*READERS)
def line(code: str):
    sched = approved_or_404()
    ln = line_or_404(sched, code, amounts=False)
    data = services.compute(db.session, sched, line=ln.code)
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
                errors[name] = excel.reason_text(exc)
    return amounts, errors


def _grid_values(ln: BudgetLine | None) -> dict[str, str]:
    if request.method == "POST":
        return {k: v for k, v in request.form.items() if k.startswith("amt-")}
    if ln is None:
        return {}
    return {f"amt-{a.source_id}-{a.year}": format(a.amount, "f") for a in ln.amounts}


def _edit_line(sched: Schedule, ln: BudgetLine | None):
    form = _line_form(ln)
    years = form_years()
    srcs = [s for s in services.sources(db.session) if s["id"] is not None]
    errors: dict[str, str] = {}
    conflict = None
    if request.method == "GET" and ln is not None:
        locking.prime(form, locking.token_of(ln))
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
        if ok and not errors and ln is not None:
            conflict = _line_conflict(form, ln, amounts, years, srcs)
        if ok and not errors and conflict is None:
            data = {
                "code": form.code.data,
                "category": form.category.data,
                "name_en": form.name_en.data,
                "name_km": form.name_km.data or "",
                "currency": form.currency.data,
                "result_key": form.result_key.data or None,
            }
            with audit.reason(form.reason.data):
                if ln is not None:
                    locking.bump(ln)  # the amounts are rows of their own
                saved = services.save_line(db.session, sched, ln, data, amounts)
            db.session.commit()
            flash(_("Budget line %(code)s is saved.", code=saved.code), "success")
            return redirect(url_for("budget.line", code=saved.code))
    status = conflict.status if conflict else 400 if request.method == "POST" else 200
    return render_template(
        "budget/line_form.html",
        form=form,
        ln=ln,
        years=years,
        srcs=srcs,
        values=_grid_values(ln),
        errors=errors,
        conflict=conflict,
    ), status


def _line_conflict(form: LineForm, ln: BudgetLine, amounts: dict, years, srcs):
    """The stored line and amounts next to what was typed, when saved meanwhile."""
    stored = {(a.source_id, a.year): a.amount for a in ln.amounts}
    rows = []
    for s in srcs:
        for y in years:
            was, typed = stored.get((s["id"], y)), amounts.get((s["id"], y))
            shown = locking.display(was or None), locking.display(typed or None)
            if shown[0] != shown[1]:
                rows.append(locking.ConflictRow(f"{s['code']} {y}", *shown))
    return locking.detect(
        form,
        ln,
        ["code", "category", "name_en", "name_km", "currency", "result_key"],
        stored={"result_key": ln.result_key or ""},
        extra_rows=rows,
        discard_url=url_for("budget.edit_line", code=ln.code),
    )


@bp.route("/lines/new", methods=["GET", "POST"])
@roles_required(*PLANNERS)
def new_line():
    return _edit_line(approved_or_404(), None)


@bp.route("/lines/<code>/edit", methods=["GET", "POST"])
@roles_required(*PLANNERS)
def edit_line(code: str):
    sched = approved_or_404()
    return _edit_line(sched, line_or_404(sched, code))


@bp.route("/lines/<code>/delete", methods=["POST"])
@roles_required(*PLANNERS)
def delete_line(code: str):
    sched = approved_or_404()
    ln = line_or_404(sched, code)
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


@bp.route("/lines/<code>/history")
@roles_required(*HISTORY)
def line_history(code: str):
    """The line and its planned amounts and spending (labelled with the line's code)."""
    sched = approved_or_404()
    ln = line_or_404(sched, code)
    stmt = sa.select(AuditEntry).where(
        sa.or_(
            sa.and_(AuditEntry.object_type == "budget_line", AuditEntry.object_id == str(ln.id)),
            sa.and_(
                AuditEntry.object_type.in_(["budget_planned", "budget_spending"]),
                AuditEntry.object_label.like(f"{ln.code} %"),
            ),
        )
    )
    return budget_history(
        stmt, _("History of %(code)s", code=ln.code), url_for("budget.line", code=ln.code)
    )
