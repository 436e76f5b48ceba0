"""The registry, the reference sheet (PIRS), and defining, changing, retiring and
replacing indicators; disaggregation categories."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from indicators import services
from indicators.forms import CategoryForm, IndicatorForm, OptionForm, ReplaceForm
from indicators.models import (
    TITLES,
    DisaggCategory,
    Frequency,
    Indicator,
    IndicatorStatus,
    IndicatorVersion,
    Measure,
)
from indicators.services import ValidationError
from indicators.services.definitions import FIELDS
from indicators.views import bp
from indicators.views.common import attach_error, load_indicator, result_label
from leap_me import audit, locking
from leap_me.auth.permissions import (
    can_edit_indicators,
    can_see_history,
    roles_required,
    signed_in,
)
from leap_me.auth.roles import Role
from leap_me.extensions import db
from leap_me.forms import EmptyForm
from leap_me.history import render_history
from leap_me.listing import Listing
from logframe import services as logframe
from logframe.models import Level
from stakeholders.services import organisation_choices

EDITORS = (Role.PLANNER, Role.REVIEWER)
ALL_LEVELS = (Level.GOAL, Level.OUTCOME, Level.OUTPUT, Level.ACTIVITY)


@bp.route("/indicators")
@signed_in
def registry():
    listing = Listing(
        services.registry_query(),
        search=(Indicator.code, IndicatorVersion.name_en, IndicatorVersion.name_km),
        sorts={
            "code": Indicator.code,
            "name": IndicatorVersion.name_en,
            "result": Indicator.result_key,
            "measure": IndicatorVersion.measure,
            "frequency": IndicatorVersion.frequency,
            "status": Indicator.status,
        },
        default_sort="code",
        filters={
            "result": Indicator.result_key,
            "measure": IndicatorVersion.measure,
            "frequency": IndicatorVersion.frequency,
            "status": Indicator.status,
        },
    )
    page = listing.paginate(db.session, current_app.config["PAGE_SIZE"])
    results = logframe.results_by_key(db.session, [i.result_key for i in page.items])
    # The filter lists what indicators measure: outcomes and outputs (not every activity).
    measured = (Level.OUTCOME, Level.OUTPUT)
    options = [(r.key, result_label(r)) for r in logframe.result_options(db.session, measured)]
    return render_template(
        "indicators/registry.html",
        listing=listing,
        page=page,
        results=results,
        result_choices=options,
        measures=list(Measure),
        frequencies=list(Frequency),
        statuses=list(IndicatorStatus),
        can_edit=can_edit_indicators(current_user),
    )


@bp.route("/indicators/<code>")
@signed_in
def pirs(code: str):
    indicator = load_indicator(code)
    version = indicator.current
    result = logframe.results_by_key(db.session, [indicator.result_key]).get(indicator.result_key)
    by_period = services.targets_by_period(db.session, indicator.id)
    national = services.national_targets(version, by_period)
    years = sorted(national.by_year)
    specs = {y: services.calendar.periods_of_year(version.frequency, y) for y in years}
    provincial = sorted({p for (_c, p) in by_period if p is not None})
    return render_template(
        "indicators/pirs.html",
        ind=indicator,
        v=version,
        result=result,
        result_text=result_label(result) if result else indicator.result_key,
        years=years,
        specs=specs,
        national=national,
        has_provincial=bool(provincial),
        counts=services.value_counts(db.session, indicator.id),
        baseline=services.baseline_text(version),
        plain=services.plain,
        titles=TITLES,
        can_edit=can_edit_indicators(current_user),
        show_history=can_see_history(current_user),
    )


# --- define and change ----------------------------------------------------------------------


def _choices(form: IndicatorForm, indicator: Indicator | None = None) -> None:
    form.result_key.choices = [("", "—")] + [
        (r.key, result_label(r)) for r in logframe.result_options(db.session, ALL_LEVELS)
    ]
    keys = {k for k, _l in form.result_key.choices}
    if indicator is not None and indicator.result_key not in keys:
        # the result left the current plan: keep the link visible until it is moved
        form.result_key.choices.append((indicator.result_key, indicator.result_key))
    form.categories.choices = [
        (c.id, (c.name_km or c.name_en) if _km() else c.name_en)
        for c in services.categories(db.session)
    ]
    form.reporters.choices = organisation_choices(db.session)


def _km() -> bool:
    from leap_me.i18n import current_lang

    return current_lang() == "km"


def _data(form: IndicatorForm) -> dict:
    return {name: getattr(form, name).data for name in FIELDS}


def _fill(form: IndicatorForm, indicator: Indicator) -> None:
    version = indicator.current
    form.code.data = indicator.code
    form.result_key.data = indicator.result_key
    for name in FIELDS:
        value = getattr(version, name)
        field = getattr(form, name)
        if name in ("tolerance", "baseline_value", "baseline_numerator", "baseline_denominator"):
            value = services.plain(value)
        field.data = value
    form.categories.data = [c.id for c in version.categories]
    form.reporters.data = [o.id for o in indicator.reporters]


@bp.route("/indicators/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def new_indicator():
    form = IndicatorForm()
    _choices(form)
    if request.method == "POST" and form.validate_on_submit():
        try:
            with audit.reason(form.reason.data):
                indicator = services.create_indicator(
                    db.session,
                    code=form.code.data,
                    result_key=form.result_key.data,
                    data=_data(form),
                    category_ids=form.categories.data or [],
                    reporter_ids=form.reporters.data or [],
                )
        except ValidationError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(_("Indicator %(code)s is created.", code=indicator.code), "success")
            return redirect(url_for("indicators.pirs", code=indicator.code))
    status = 400 if request.method == "POST" else 200
    return render_template("indicators/form.html", form=form, ind=None, counts={}), status


@bp.route("/indicators/<code>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def edit_indicator(code: str):
    indicator = load_indicator(code)
    form = IndicatorForm()
    _choices(form, indicator)
    conflict = None
    if request.method == "GET":
        _fill(form, indicator)
        locking.prime(form, locking.token_of(indicator))
    elif form.validate_on_submit():
        conflict = _indicator_conflict(form, indicator)
        if conflict is None and not _needs_confirmation(form, indicator):
            try:
                with audit.reason(form.reason.data or form.change_note.data):
                    locking.bump(indicator)  # most fields live in its definition version
                    version, is_new = services.update_indicator(
                        db.session,
                        indicator,
                        code=form.code.data,
                        result_key=form.result_key.data,
                        data=_data(form),
                        category_ids=form.categories.data or [],
                        reporter_ids=form.reporters.data or [],
                        note=form.change_note.data or form.reason.data or "",
                    )
            except ValidationError as error:
                db.session.rollback()
                attach_error(form, error)
            else:
                db.session.commit()
                if is_new:
                    flash(
                        _(
                            "%(code)s now has definition version %(number)s. Values reported "
                            "earlier keep their version.",
                            code=indicator.code,
                            number=version.number,
                        ),
                        "success",
                    )
                else:
                    flash(_("Indicator %(code)s is saved.", code=indicator.code), "success")
                return redirect(url_for("indicators.pirs", code=indicator.code))
    status = conflict.status if conflict else 400 if request.method == "POST" else 200
    counts = services.value_counts(db.session, indicator.id)
    return render_template(
        "indicators/form.html", form=form, ind=indicator, counts=counts, conflict=conflict
    ), status


def _indicator_conflict(form: IndicatorForm, indicator: Indicator):
    """The stored definition next to what was typed, when someone saved it meanwhile."""
    stored = IndicatorForm(formdata=None)
    _choices(stored, indicator)
    _fill(stored, indicator)
    names = ["code", "result_key", *FIELDS, "categories", "reporters"]
    return locking.detect(
        form,
        indicator,
        names,
        stored={name: getattr(stored, name).data for name in names},
        discard_url=url_for("indicators.edit_indicator", code=indicator.code),
    )


def _needs_confirmation(form: IndicatorForm, indicator: Indicator) -> bool:
    """A change of meaning on a reported indicator makes a new version: say so first."""
    if form.confirm_version.data or not services.has_values(db.session, indicator.id):
        return False
    changed = services.structural_changes(
        indicator.current, _data(form), form.categories.data or []
    )
    if not changed:
        return False
    labels = [
        str(form.categories.label.text) if n == "categories" else str(getattr(form, n).label.text)
        for n in changed
    ]
    form.confirm_version.errors = [
        _(
            "You changed: %(fields)s. This makes definition version %(number)s; values "
            "reported so far keep version %(current)s. Tick the box to confirm.",
            fields=", ".join(labels),
            number=indicator.current.number + 1,
            current=indicator.current.number,
        )
    ]
    return True


def _button_action(code: str, action, success: str) -> bool:
    """A POST-only button on an indicator: run the service, commit once, say what happened.

    Returns False (and flashes the reason, nothing written) when the service refuses.
    """
    indicator = load_indicator(code)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        action(db.session, indicator)
    except ValidationError as error:
        db.session.rollback()
        flash(error.message, "error")
        return False
    db.session.commit()
    flash(success, "success")
    return True


@bp.route("/indicators/<code>/retire", methods=["POST"])
@roles_required(*EDITORS)
def retire(code: str):
    _button_action(
        code,
        services.retire_indicator,
        _("%(code)s is retired. Its values, targets and history are kept.", code=code),
    )
    return redirect(url_for("indicators.pirs", code=code))


@bp.route("/indicators/<code>/reactivate", methods=["POST"])
@roles_required(*EDITORS)
def reactivate(code: str):
    _button_action(code, services.reactivate_indicator, _("%(code)s is in use again.", code=code))
    return redirect(url_for("indicators.pirs", code=code))


@bp.route("/indicators/<code>/delete", methods=["POST"])
@roles_required(*EDITORS)
def delete(code: str):
    if _button_action(
        code, services.delete_indicator, _("Indicator %(code)s is deleted.", code=code)
    ):
        return redirect(url_for("indicators.registry"))
    return redirect(url_for("indicators.pirs", code=code))


@bp.route("/indicators/<code>/replace", methods=["GET", "POST"])
@roles_required(*EDITORS)
def replace(code: str):
    indicator = load_indicator(code)
    form = ReplaceForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            with audit.reason(form.reason.data):
                new = services.replace_indicator(db.session, indicator, form.new_code.data)
        except ValidationError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(
                _(
                    "%(new)s replaces %(old)s, which is retired. Check the new definition.",
                    new=new.code,
                    old=code,
                ),
                "success",
            )
            return redirect(url_for("indicators.edit_indicator", code=new.code))
    status = 400 if request.method == "POST" else 200
    return render_template("indicators/replace.html", form=form, ind=indicator), status


@bp.route("/indicators/<code>/history")
@roles_required(Role.ADMIN, Role.PLANNER, Role.REVIEWER)
def history(code: str):
    indicator = load_indicator(code)
    return render_history(
        indicator,
        _("History of %(code)s", code=indicator.code),
        url_for("indicators.pirs", code=indicator.code),
    )


@bp.route("/indicators/<code>/versions/<int:number>/history")
@roles_required(Role.ADMIN, Role.PLANNER, Role.REVIEWER)
def version_history(code: str, number: int):
    indicator = load_indicator(code)
    version = next((v for v in indicator.versions if v.number == number), None)
    if version is None:
        abort(404)
    return render_history(
        version,
        _("History of %(code)s, definition version %(number)s", code=code, number=number),
        url_for("indicators.pirs", code=indicator.code),
    )


# --- disaggregations ---------------------------------------------------------------------------


@bp.route("/disaggregations")
@signed_in
def disaggregations():
    return render_template(
        "indicators/disaggregations.html",
        categories=services.categories(db.session),
        usage=services.category_usage(db.session),
        category_form=CategoryForm(formdata=None),
        option_form=OptionForm(formdata=None),
        can_edit=can_edit_indicators(current_user),
    )


@bp.route("/disaggregations", methods=["POST"])
@roles_required(*EDITORS)
def add_category():
    form = CategoryForm()
    if form.validate_on_submit():
        try:
            category = services.add_category(
                db.session, form.code.data, form.name_en.data, form.name_km.data
            )
        except ValidationError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("Category %(code)s is added.", code=category.code), "success")
    else:
        _flash_errors(form)
    return redirect(url_for("indicators.disaggregations"))


@bp.route("/disaggregations/<code>/options", methods=["POST"])
@roles_required(*EDITORS)
def add_option(code: str):
    category = db.session.scalar(db.select(DisaggCategory).where(DisaggCategory.code == code))
    if category is None:
        abort(404)
    form = OptionForm()
    if form.validate_on_submit():
        try:
            option = services.add_option(
                db.session, category, form.code.data, form.name_en.data, form.name_km.data
            )
        except ValidationError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(
                _("Option %(option)s is added to %(code)s.", option=option.code, code=code),
                "success",
            )
    else:
        _flash_errors(form)
    return redirect(url_for("indicators.disaggregations") + f"#cat-{code}")


def _flash_errors(form) -> None:
    for name, errors in form.errors.items():
        label = getattr(form, name).label.text if hasattr(form, name) else name
        flash(f"{label}: {' '.join(str(e) for e in errors)}", "error")
