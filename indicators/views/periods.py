"""Reporting periods: planners generate a year, open, close, lock and unlock periods and
move deadlines; reviewers read."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from indicators import services
from indicators.forms import DeadlineForm, GenerateForm, UnlockForm
from indicators.models import Frequency, PeriodStatus, ReportingPeriod
from indicators.services import ValidationError
from indicators.services.periods import TRANSITIONS
from indicators.views import bp
from leap_me import audit
from leap_me.auth.permissions import can_manage_periods, roles_required
from leap_me.auth.roles import Role
from leap_me.extensions import db
from leap_me.forms import EmptyForm
from leap_me.listing import Listing

ACTIONS = {"open", "close", "lock", "unlock"}


def _load(code: str) -> ReportingPeriod:
    period = services.get_period(db.session, code)
    if period is None:
        abort(404)
    return period


@bp.route("/periods")
@roles_required(Role.PLANNER, Role.REVIEWER)
def periods():
    listing = Listing(
        sa.select(ReportingPeriod),
        search=(ReportingPeriod.code,),
        sorts={
            "start": ReportingPeriod.start_date,
            "code": ReportingPeriod.code,
            "deadline": ReportingPeriod.deadline,
            "status": ReportingPeriod.status,
        },
        default_sort="start",
        filters={
            # query strings are text: compare as text on every database
            "year": sa.cast(ReportingPeriod.year, sa.String),
            "status": ReportingPeriod.status,
            "frequency": ReportingPeriod.frequency,
        },
    )
    page = listing.paginate(db.session, current_app.config["PAGE_SIZE"] * 2)
    years = list(
        db.session.scalars(
            sa.select(ReportingPeriod.year).distinct().order_by(ReportingPeriod.year)
        )
    )
    return render_template(
        "indicators/periods.html",
        listing=listing,
        page=page,
        years=years,
        statuses=list(PeriodStatus),
        frequencies=list(Frequency),
        in_use=services.frequencies_in_use(db.session),
        can_manage=can_manage_periods(current_user),
        generate_form=GenerateForm(formdata=None),
        transitions=TRANSITIONS,
    )


@bp.route("/periods/generate", methods=["POST"])
@roles_required(Role.PLANNER)
def generate_periods():
    form = GenerateForm()
    if not form.validate_on_submit():
        flash(_("Choose a year between 2000 and 2100."), "error")
        return redirect(url_for("indicators.periods"))
    try:
        created = services.generate_periods(db.session, form.year.data)
    except ValidationError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("indicators.periods"))
    db.session.commit()
    if created:
        flash(
            _(
                "%(count)s periods of %(year)s are created.",
                count=len(created),
                year=form.year.data,
            ),
            "success",
        )
    else:
        flash(_("The periods of %(year)s exist already.", year=form.year.data), "info")
    return redirect(url_for("indicators.periods", year=form.year.data))


@bp.route("/periods/<code>/<action>", methods=["POST"])
@roles_required(Role.PLANNER)
def period_action(code: str, action: str):
    if action not in ACTIONS:
        abort(404)
    period = _load(code)
    reason = ""
    if action == "unlock":
        form = UnlockForm()
        if not form.validate_on_submit():
            flash(_("Say why the period is unlocked."), "error")
            return redirect(_back(period))
        reason = form.reason.data
    elif not EmptyForm().validate_on_submit():
        abort(400)
    try:
        with audit.reason(reason or None):
            services.change_status(db.session, period, action, reason)
    except ValidationError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(
            _(
                "Period %(period)s is now %(status)s.",
                period=code,
                status=period.status_enum.title.lower(),
            ),
            "success",
        )
    return redirect(_back(period))


@bp.route("/periods/<code>/deadline", methods=["POST"])
@roles_required(Role.PLANNER)
def period_deadline(code: str):
    period = _load(code)
    form = DeadlineForm()
    if not form.validate_on_submit():
        flash(_("Choose a date."), "error")
        return redirect(_back(period))
    try:
        services.set_deadline(db.session, period, form.deadline.data)
    except ValidationError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(
            _("The deadline of %(period)s is %(date)s.", period=code, date=period.deadline),
            "success",
        )
    return redirect(_back(period))


def _back(period: ReportingPeriod) -> str:
    return url_for("indicators.periods", year=period.year) + f"#p-{period.code}"
