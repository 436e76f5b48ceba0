"""What-if scenarios: copy, donor exit, path, keep, throw away."""

from __future__ import annotations

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
    DonorExitForm,
    ScenarioForm,
)
from budget.views import bp
from budget.views.common import (
    PLANNERS,
    READERS,
    approved_or_404,
    chart_svg,
    edit_path,
    form_years,
    scenario_or_404,
)
from leap_me import audit, numbers
from leap_me.auth.permissions import (
    can_edit_budget,
    roles_required,
)
from leap_me.extensions import db
from leap_me.forms import EmptyForm
from leap_me.i18n import coded_name
from stakeholders.models import Organisation

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
    sc = scenario_or_404(scenario_id, archived_too=True)
    approved = approved_or_404()
    base = services.compute(db.session, approved, detail=False)
    data = services.compute(db.session, sc, detail=False)
    base_by_year = {r["year"]: r for r in base["years_rows"]}
    exit_form = _donor_exit_form(data["years"])
    exit_form.source_id.choices = [
        (s["id"], coded_name(s["code"], s["name_en"], s["name_km"]))
        for s in data["sources"]
        if s["id"] is not None and not s["is_moi"]
    ]
    # After a donor's exit the form keeps that donor and year (passed back in the address).
    donor = numbers.query_int("donor", minimum=1)
    year = numbers.query_int("from", minimum=1, maximum=9999)
    if donor in dict(exit_form.source_id.choices):
        exit_form.source_id.data = donor
    if year in dict(exit_form.from_year.choices):
        exit_form.from_year.data = year
    return render_template(
        "budget/scenario.html",
        sc=sc,
        approved=approved,
        data=data,
        base=base,
        base_by_year=base_by_year,
        svg=chart_svg(services.compute(db.session, sc, detail=True), True),
        exit_form=exit_form,
        can_edit=can_edit_budget(current_user),
        approved_changed=services.approved_changed_since_copy(db.session, sc),
    )


def _donor_exit_form(years: list[int]) -> DonorExitForm:
    """The donor-exit form with the choices it offers, for the page and for the POST alike:
    donors only (never the Ministry itself) and the plan's years."""
    form = DonorExitForm()
    form.source_id.choices = [
        (s["id"], s["code"])
        for s in services.sources(db.session)
        if s["id"] is not None and not s["is_moi"]
    ]
    form.from_year.choices = [(y, str(y)) for y in years]
    return form


@bp.route("/scenarios/<int:scenario_id>/exit", methods=["POST"])
@roles_required(*PLANNERS)
def donor_exit(scenario_id: int):
    sc = scenario_or_404(scenario_id)
    form = _donor_exit_form(form_years())  # the same choices the page offers: no MoI
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
    return redirect(
        url_for(
            "budget.scenario",
            scenario_id=sc.id,
            donor=form.source_id.data,
            **{"from": form.from_year.data},
        )
    )


@bp.route("/scenarios/<int:scenario_id>/path", methods=["GET", "POST"])
@roles_required(*PLANNERS)
def scenario_path(scenario_id: int):
    sc = scenario_or_404(scenario_id)
    return edit_path(sc, url_for("budget.scenario", scenario_id=sc.id))


@bp.route("/scenarios/<int:scenario_id>/keep", methods=["POST"])
@roles_required(*PLANNERS)
def keep_scenario(scenario_id: int):
    sc = scenario_or_404(scenario_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    confirmed = request.form.get("confirm_changed") == "yes"
    why = _("Scenario %(name)s kept as the approved schedule", name=sc.name)
    if confirmed and services.approved_changed_since_copy(db.session, sc):
        why = _(
            "Scenario %(name)s kept as the approved schedule, replacing changes made to "
            "the approved schedule after the copy (confirmed)",
            name=sc.name,
        )
    try:
        with audit.reason(why):
            services.keep_scenario(db.session, sc, confirmed=confirmed)
    except services.ScheduleChanged as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("budget.scenario", scenario_id=sc.id) + "#keep")
    db.session.commit()
    flash(_("Scenario %(name)s is now the approved schedule. The previous one is archived.",
            name=sc.name), "success")  # fmt: skip
    return redirect(url_for("budget.schedule"))


@bp.route("/scenarios/<int:scenario_id>/discard", methods=["POST"])
@roles_required(*PLANNERS)
def discard_scenario(scenario_id: int):
    sc = scenario_or_404(scenario_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    name = sc.name
    with audit.reason(_("Scenario thrown away")):
        services.discard_scenario(db.session, sc)
    db.session.commit()
    flash(_("Scenario %(name)s is thrown away.", name=name), "success")
    return redirect(url_for("budget.scenarios"))
