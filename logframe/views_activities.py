"""The activity plan of a year (table, timeline, overdue list) and weekly monitoring."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from leap_me import audit, numbers
from leap_me.auth.permissions import roles_required, signed_in
from leap_me.auth.roles import Role
from leap_me.extensions import db
from leap_me.i18n import current_lang, format_date, localized
from logframe import activity_plan, editing, gantt, services
from logframe.forms import MonitoringForm
from logframe.models import ACTIVITY_STATUS_TITLES, Result
from logframe.services import PlanError
from logframe.views import bp, load_version
from stakeholders import services as stakeholders


def today() -> date:
    return date.today()


def _int_arg(name: str) -> int | None:
    return numbers.query_int(name, minimum=0)


@bp.route("/activities")
@signed_in
def activities():
    plan, version = load_version()
    if version is None:
        return render_template("logframe/activities.html", plan=plan, version=None)
    now = today()
    years = plan.years
    year = _int_arg("year") or (now.year if now.year in years else years[0])
    if year not in years:
        abort(404)
    org_id, province_id = _int_arg("org"), _int_arg("province")
    status = request.args.get("status") or None
    if status and status not in {s.value for s in ACTIVITY_STATUS_TITLES}:
        status = None
    rows = activity_plan.activities_for_year(
        db.session, version, year, org_id=org_id, province_id=province_id, status=status
    )
    outputs = activity_plan.outputs_of(db.session, version)
    grouped: dict[int, list[Result]] = {}
    for r in rows:
        grouped.setdefault(r.parent_id, []).append(r)
    groups = []
    for out_id in sorted(grouped, key=lambda i: services.code_sort_key(outputs[i].code)):
        acts = sorted(grouped[out_id], key=lambda r: services.code_sort_key(r.code))
        groups.append((outputs[out_id], acts))
    svg = gantt.render(
        year,
        [
            gantt.Group(
                out.code,
                localized(out, "statement"),
                [
                    gantt.Row(
                        a.code,
                        localized(a, "statement"),
                        a.start_date,
                        a.end_date,
                        a.status or "not_started",
                        a.progress or 0,
                        _tooltip(a),
                    )
                    for a in acts
                ],
            )
            for out, acts in groups
        ],
        today=now,
    )
    late = activity_plan.overdue(db.session, version, now)
    return render_template(
        "logframe/activities.html",
        plan=plan,
        version=version,
        year=year,
        years=years,
        groups=groups,
        count=len(rows),
        total_cost=sum((r.cost or 0) for r in rows),
        svg=Markup(svg),  # noqa: S704 - built by logframe.gantt with every text escaped
        overdue=late,
        today=now,
        org_id=org_id,
        province_id=province_id,
        status=status,
        orgs=stakeholders.organisation_choices(db.session),
        provinces=stakeholders.province_choices(db.session, current_lang()),
        statuses=ACTIVITY_STATUS_TITLES,
        colours=gantt.STATUS_COLOURS,
        can_monitor=_can_monitor(version),
    )


def _tooltip(a: Result) -> str:
    status = ACTIVITY_STATUS_TITLES.get(a.status_enum, "") if a.status else ""
    return (
        f"{a.code} {localized(a, 'statement')}\n"
        f"{format_date(a.start_date)} – {format_date(a.end_date)} · {status} · {a.progress or 0}%"
    )


def _can_monitor(version) -> bool:
    from leap_me.auth.permissions import can_update_monitoring
    from logframe.views import default_version

    return can_update_monitoring(current_user) and default_version(version.plan) is version


@bp.route("/activities/<key>/monitoring", methods=["GET", "POST"])
@roles_required(Role.PLANNER)
def monitoring(key: str):
    """Weekly status, progress and delay note of an activity of the current plan."""
    plan, version = load_version()
    if version is None:
        abort(404)
    activity = db.session.scalar(
        sa.select(Result).where(
            Result.version_id == version.id, Result.key == key, Result.level == "activity"
        )
    )
    if activity is None:
        abort(404)
    if not _can_monitor(version):
        abort(403)
    form = MonitoringForm(obj=activity if request.method == "GET" else None)
    if request.method == "POST" and form.validate_on_submit():
        try:
            with audit.reason(form.reason.data or _("weekly monitoring")):
                editing.update_monitoring(
                    db.session,
                    activity,
                    {
                        "status": form.status.data,
                        "progress": form.progress.data,
                        "delay_note_en": form.delay_note_en.data or "",
                        "delay_note_km": form.delay_note_km.data or "",
                    },
                )
        except PlanError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Monitoring of %(code)s is saved.", code=activity.code), "success")
            return redirect(url_for("logframe.activities", year=activity.start_date.year))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "logframe/monitoring_form.html", form=form, activity=activity, version=version
    ), status
