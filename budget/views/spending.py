"""Actual spending (form and list), the two uploads and the donor workbook."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from flask import (
    Response,
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
    SpendingForm,
    UploadForm,
)
from budget.models import BudgetLine, Schedule, Spending
from budget.views import bp
from budget.views.common import (
    PLANNERS,
    READERS,
    approved_or_404,
    form_years,
    source_ids,
)
from leap_me import audit, numbers
from leap_me.auth.permissions import (
    can_edit_budget,
    roles_required,
)
from leap_me.extensions import db
from leap_me.i18n import current_lang
from stakeholders.models import Organisation

# --- spending ----------------------------------------------------------------------


def _replace_token(form: SpendingForm, amount: Decimal) -> str:
    """What the confirmation is about: the quarter's key and the recorded amount shown."""
    key = (form.line.data, form.source_id.data, form.year.data, form.quarter.data)
    return "/".join(str(k) for k in key) + ":" + format(amount, "f")


def _confirmed_amount(form: SpendingForm) -> Decimal | None:
    """The recorded amount the user saw and agreed to replace, if the confirmation is
    about the very quarter submitted (a changed line or quarter asks again)."""
    key, _sep, text = (form.replaces.data or "").rpartition(":")
    if not key or key != _replace_token(form, Decimal(0)).rpartition(":")[0]:
        return None
    try:
        value = Decimal(text[:40])
    except ArithmeticError:
        return None
    return value if value.is_finite() else None


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
    form.year.choices = [(y, str(y)) for y in form_years()]
    return form


@bp.route("/spending", methods=["GET", "POST"])
@roles_required(*READERS)
def spending():
    sched = approved_or_404()
    form = _spending_form(sched)
    recorded = None  # the spending already there, when saving would replace it
    new_amount = None
    if request.method == "POST":
        if not can_edit_budget(current_user):
            abort(403)
        amount = None
        ok = form.validate_on_submit()
        ln = services.line_by_code(db.session, sched, form.line.data or "") if ok else None
        if ok and ln is not None:
            try:
                amount = new_amount = calc.parse_amount(form.amount.data, ln.currency)
            except ValueError as exc:
                form.amount.errors = [excel.reason_text(exc)]
        if ok and ln is not None and amount is not None:
            try:
                with audit.reason(form.reason.data):
                    services.record_spending(
                        db.session,
                        ln,
                        form.source_id.data,
                        form.year.data,
                        form.quarter.data,
                        amount,
                        form.note.data or "",
                        replaces=_confirmed_amount(form),
                    )
            except services.ReplaceNeeded as exc:
                db.session.rollback()
                recorded = exc.row
                form.replaces.data = _replace_token(form, recorded.amount)
            else:
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
    page = numbers.query_int("page", minimum=1, default=1)
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
        recorded=recorded,
        new_amount=new_amount,
    ), status


def _upload(kind: str):
    sched = approved_or_404()
    form = UploadForm()
    report = None
    written = None
    if request.method == "POST" and form.validate_on_submit():
        data = form.file.data.read()
        years = form_years()
        reader = excel.read_planned if kind == "planned" else excel.read_spending
        report = reader(db.session, sched, data, years, source_ids())
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
                            replaces=services.ANY,  # the dry run showed every change
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
    sched = approved_or_404()
    data = services.compute(db.session, sched)
    body = excel.export_workbook(data, excel.spending_rows(db.session), current_lang())
    return Response(
        body,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": "attachment; filename=leap-budget-schedule.xlsx"},
    )
