"""The schedule page, starting a schedule, funding sources, the path, rates, history."""

from __future__ import annotations

from decimal import Decimal

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

from budget import services
from budget.forms import (
    ReasonForm,
    SourceForm,
)
from budget.views import bp
from budget.views.common import (
    HISTORY,
    PLANNERS,
    approved_or_404,
    budget_history,
    chart_svg,
    edit_path,
    form_years,
)
from leap_me import audit, locking, numbers
from leap_me.audit import AuditEntry
from leap_me.auth.permissions import (
    can_edit_budget,
    can_see_budget_detail,
    can_see_history,
    roles_required,
    signed_in,
)
from leap_me.extensions import db
from leap_me.forms import EmptyForm
from stakeholders.models import Organisation

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
        svg=chart_svg(data, detail),
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
            services.start_schedule(db.session, form_years())
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


@bp.route("/history")
@roles_required(*HISTORY)
def history():
    """Every change to the budget: schedules, path, rates, lines, amounts, spending."""
    stmt = sa.select(AuditEntry).where(AuditEntry.object_type.like("budget\\_%", escape="\\"))
    return budget_history(
        stmt, _("History of the cost-sharing schedule"), url_for("budget.schedule")
    )


@bp.route("/path", methods=["GET", "POST"])
@roles_required(*PLANNERS)
def path():
    return edit_path(approved_or_404(), url_for("budget.schedule"))


@bp.route("/rates", methods=["GET", "POST"])
@roles_required(*PLANNERS)
def rates():
    form = ReasonForm()
    years = form_years()
    current = services.rates(db.session)
    errors: dict[str, str] = {}
    values = {
        f"rate-{y}": request.form.get(f"rate-{y}", "")
        if request.method == "POST"
        else (format(current[y].normalize(), "f") if y in current else "")
        for y in years
    }
    token = locking.fingerprint(current.items())
    conflict = None
    if request.method == "GET":
        locking.prime(form, token)
    if request.method == "POST":
        ok = form.validate_on_submit()
        wanted = {}
        for y in years:
            text = values[f"rate-{y}"].strip()
            if not text:
                continue
            try:
                value = numbers.parse_decimal(text, max_int_digits=7, max_places=4)
            except numbers.NumberError as err:
                errors[f"rate-{y}"] = err.message
                continue
            if value is None or value <= 0:
                errors[f"rate-{y}"] = _("Give the number of riel for one US dollar.")
            else:
                wanted[y] = value.quantize(Decimal("0.0001"))
        if ok and not errors and not locking.check(locking.submitted_token(form), token):
            conflict = locking.conflict_of_cells(
                token,
                {y: current.get(y) for y in years},
                {y: wanted.get(y, current.get(y)) for y in years},
                {y: str(y) for y in years},
                discard_url=url_for("budget.rates"),
            )
            if conflict.rows:
                locking.prime(form, token)
            else:
                conflict = None
        if ok and not errors and conflict is None:
            with audit.reason(form.reason.data):
                for y, value in wanted.items():
                    services.set_rate(db.session, y, value)
            db.session.commit()
            flash(_("The exchange rates are saved."), "success")
            return redirect(url_for("budget.schedule") + "#rates")
    status = conflict.status if conflict else 400 if request.method == "POST" else 200
    return render_template(
        "budget/rates_form.html",
        form=form,
        years=years,
        values=values,
        errors=errors,
        conflict=conflict,
    ), status
