"""Pages of the strategic plan: versions, vision, results, matrix and comparison.

Each handler loads (404), checks the rule in ``permissions`` (403), validates, calls the
service, commits once and redirects. The services refuse changes to approved versions
too, so a forged request cannot get past the freeze.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from leap_me import audit, locking, numbers
from leap_me.audit import AuditEntry
from leap_me.auth.permissions import (
    can_edit_plan,
    can_edit_version,
    can_read_drafts_of_plan,
    can_read_version,
    can_see_history,
    can_update_monitoring,
    roles_required,
    signed_in,
)
from leap_me.auth.roles import Role
from leap_me.extensions import db
from leap_me.forms import EmptyForm
from leap_me.history import history_page
from leap_me.i18n import current_lang, localized
from logframe import editing, services
from logframe import versions as plan_versions
from logframe.forms import ActivityForm, DraftForm, ResultForm
from logframe.models import Level, PlanVersion, Result
from logframe.services import PlanError
from stakeholders import services as stakeholders

bp = Blueprint("logframe", __name__)


# --- loading ------------------------------------------------------------------------


def readable_versions(plan) -> list[PlanVersion]:
    return [v for v in services.versions_of(db.session, plan) if can_read_version(current_user, v)]


def default_version(plan) -> PlanVersion | None:
    """The current plan is the latest approved version; without one, the draft."""
    approved = services.latest_approved(db.session, plan)
    if approved is not None:
        return approved
    draft = services.draft_of(db.session, plan)
    return draft if can_read_version(current_user, draft) else None


def load_version(number: int | None = None):
    """The plan and the asked-for version (or the current one); 404 / 403 as needed."""
    plan = services.plan_of(db.session)
    if plan is None:
        if number is not None:
            abort(404)
        return None, None
    if number is None:
        arg = request.args.get("version", "")
        if arg:
            number = numbers.query_int("version", minimum=1)
    if number is None:
        return plan, default_version(plan)
    version = services.version_by_number(db.session, plan, number)
    if version is None:
        abort(404)
    if not can_read_version(current_user, version):
        abort(403)
    return plan, version


def load_result(number: int, key: str) -> tuple[PlanVersion, Result]:
    _plan, version = load_version(number)
    result = db.session.scalar(
        sa.select(Result).where(Result.version_id == version.id, Result.key == key)
    )
    if result is None:
        abort(404)
    return version, result


def editable(version: PlanVersion) -> None:
    if not can_edit_version(current_user, version):
        abort(
            403,
            description=_(
                "Version %(number)d is approved and cannot be changed.", number=version.number
            )
            if version.is_approved
            else None,
        )


def frozen_message(version: PlanVersion) -> str:
    return _("Version %(number)d is approved and cannot be changed.", number=version.number)


# --- the plan -------------------------------------------------------------------------


@bp.route("/plan")
@signed_in
def plan():
    plan, version = load_version()
    if plan is None or version is None:
        return render_template("logframe/plan.html", plan=plan, version=None)
    nodes = services.flat_tree(services.load_results(db.session, version))
    draft = services.draft_of(db.session, plan)
    return render_template(
        "logframe/plan.html",
        plan=plan,
        version=version,
        versions=readable_versions(plan),
        nodes=nodes,
        draft=draft if can_read_drafts_of_plan(current_user) else None,
        can_edit=can_edit_version(current_user, version),
        can_start_draft=can_edit_plan(current_user) and draft is None,
        show_history=can_see_history(current_user),
        draft_form=DraftForm(formdata=None),
        problems=plan_versions.approval_problems(db.session, version)
        if can_edit_version(current_user, version)
        else [],
    )


@bp.route("/plan/matrix")
@signed_in
def matrix():
    plan, version = load_version()
    if version is None:
        abort(404)
    # The matrix shows the goal, outcomes and outputs: activities are not loaded at all.
    shown = (Level.GOAL, Level.OUTCOME, Level.OUTPUT)
    nodes = services.flat_tree(services.load_results(db.session, version, shown, links=False))
    indicators = services.matrix_rows(db.session, [n.result.key for n in nodes])
    return render_template(
        "logframe/matrix.html",
        plan=plan,
        version=version,
        versions=readable_versions(plan),
        nodes=nodes,
        indicators=indicators,
    )


# --- results ------------------------------------------------------------------------


@bp.route("/plan/v<int:number>/results/<key>")
@signed_in
def result(number: int, key: str):
    version, result = load_result(number, key)
    results = services.load_results(db.session, version)
    by_id = {r.id: r for r in results}
    nodes = [n for n in services.flat_tree(results)]
    children = [n.result for n in nodes if n.result.parent_id == result.id]
    chain, p = [], by_id.get(result.parent_id)
    while p is not None:
        chain.insert(0, p)
        p = by_id.get(p.parent_id)
    indicators = services.matrix_rows(db.session, [result.key]).get(result.key, [])
    siblings = [n.result for n in nodes if n.result.parent_id == result.parent_id]
    return render_template(
        "logframe/result.html",
        version=version,
        result=by_id[result.id],
        chain=chain,
        children=children,
        indicators=indicators,
        is_first=siblings and siblings[0].id == result.id,
        is_last=siblings and siblings[-1].id == result.id,
        can_edit=can_edit_version(current_user, version),
        can_monitor=can_update_monitoring(current_user)
        and result.level == Level.ACTIVITY
        and version.is_approved
        and services.latest_approved(db.session, version.plan) is version,
        show_history=can_see_history(current_user),
    )


def _result_form(version: PlanVersion, result: Result | None, level: Level, parent: Result | None):
    cls = ActivityForm if level == Level.ACTIVITY else ResultForm
    form = cls(obj=result) if request.method == "GET" and result else cls()
    orgs = stakeholders.organisation_choices(db.session)
    form.responsible_org_id.choices = [(0, "—")] + orgs
    form.partner_ids.choices = orgs
    if level == Level.ACTIVITY:
        form.province_ids.choices = stakeholders.province_choices(db.session, current_lang())
        form.responsible_org_id.label.text = _("Lead organisation")
    parent_level = {
        Level.OUTCOME: Level.GOAL,
        Level.OUTPUT: Level.OUTCOME,
        Level.ACTIVITY: Level.OUTPUT,
    }.get(level)
    if parent_level is None:
        del form.parent_id
    else:
        candidates = sorted(
            db.session.scalars(
                sa.select(Result).where(
                    Result.version_id == version.id, Result.level == parent_level
                )
            ),
            key=lambda r: services.code_sort_key(r.code),
        )
        form.parent_id.choices = [
            (r.id, f"{r.code or _('Goal')} — {localized(r, 'statement')[:80]}") for r in candidates
        ]
    if request.method == "GET":
        if result is not None:
            form.responsible_org_id.data = result.responsible_org_id or 0
            form.partner_ids.data = [o.id for o in result.partners]
            if level == Level.ACTIVITY:
                form.province_ids.data = [p.id for p in result.provinces]
        if parent is not None and "parent_id" in form:
            form.parent_id.data = parent.id
    return form


def _form_data(form) -> dict:
    data = {name: getattr(form, name).data or "" for name in editing.TEXT_FIELDS}
    data["responsible_org_id"] = form.responsible_org_id.data or None
    data["partner_ids"] = form.partner_ids.data or []
    if isinstance(form, ActivityForm):
        data.update(
            province_ids=form.province_ids.data or [],
            start_date=form.start_date.data,
            end_date=form.end_date.data,
            status=form.status.data,
            progress=form.progress.data,
            cost=form.cost.data,
            cost_currency="USD",
            delay_note_en=form.delay_note_en.data or "",
            delay_note_km=form.delay_note_km.data or "",
        )
    return data


def _check_rules(form, version: PlanVersion) -> bool:
    """The domain's activity rules, shown at the fields, on top of the form's own checks."""
    if not isinstance(form, ActivityForm):
        return True
    errors = editing.check_activity(version.plan, _form_data(form))
    for name, message in errors.items():
        field = getattr(form, name)
        if message not in field.errors:
            field.errors = list(field.errors) + [message]
    return not errors


@bp.route("/plan/v<int:number>/results/new", methods=["GET", "POST"])
@roles_required(Role.PLANNER)
def new_result(number: int):
    _plan, version = load_version(number)
    editable(version)
    parent_key = request.args.get("parent")
    parent = None
    if parent_key:
        _v, parent = load_result(number, parent_key)
        level = parent.level_enum.child
        if level is None:
            abort(404)
    else:
        level = Level.GOAL
    form = _result_form(version, None, level, parent)
    if request.method == "POST":
        ok = form.validate_on_submit()
        ok = _check_rules(form, version) and ok
        if ok:
            if "parent_id" in form:
                parent = db.session.get(Result, form.parent_id.data) or parent
            try:
                with audit.reason(form.reason.data):
                    result = editing.create_result(db.session, version, parent, _form_data(form))
            except PlanError as exc:
                db.session.rollback()
                flash(str(exc), "error")
            else:
                db.session.commit()
                flash(
                    _("%(level)s %(code)s is added.", level=level.title, code=result.code),
                    "success",
                )
                return redirect(url_for("logframe.result", number=number, key=result.key))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "logframe/result_form.html",
        form=form,
        version=version,
        result=None,
        level=level,
        parent=parent,
    ), status


@bp.route("/plan/v<int:number>/results/<key>/edit", methods=["GET", "POST"])
@roles_required(Role.PLANNER)
def edit_result(number: int, key: str):
    version, result = load_result(number, key)
    editable(version)
    form = _result_form(version, result, result.level_enum, result.parent)
    conflict = None
    if request.method == "GET":
        locking.prime(form, locking.token_of(result))
    else:
        ok = form.validate_on_submit()
        ok = _check_rules(form, version) and ok
        if ok:
            conflict = _result_conflict(form, result)
        if ok and conflict is None:
            try:
                with audit.reason(form.reason.data):
                    locking.bump(result)  # partners and provinces are not columns
                    editing.update_result(db.session, result, _form_data(form))
                    if "parent_id" in form and form.parent_id.data != result.parent_id:
                        new_parent = db.session.get(Result, form.parent_id.data)
                        if new_parent is None:
                            raise PlanError(_("Choose where the result sits."))
                        editing.reparent(db.session, result, new_parent)
            except PlanError as exc:
                db.session.rollback()
                flash(str(exc), "error")
            else:
                db.session.commit()
                flash(_("%(code)s is saved.", code=result.code or _("Goal")), "success")
                return redirect(url_for("logframe.result", number=number, key=key))
    status = conflict.status if conflict else 400 if request.method == "POST" else 200
    return render_template(
        "logframe/result_form.html",
        form=form,
        version=version,
        result=result,
        level=result.level_enum,
        parent=result.parent,
        conflict=conflict,
    ), status


def _result_conflict(form, result: Result) -> locking.Conflict | None:
    """The stored result next to what was typed, when someone saved it meanwhile."""
    names = [*editing.TEXT_FIELDS, "parent_id", "responsible_org_id", "partner_ids"]
    if isinstance(form, ActivityForm):
        names += [*editing.ACTIVITY_FIELDS, "province_ids"]
    return locking.detect(
        form,
        result,
        names,
        stored={
            "responsible_org_id": result.responsible_org_id or 0,
            "partner_ids": [o.id for o in result.partners],
            "province_ids": [p.id for p in result.provinces],
        },
        audit_fields={"partner_ids": "partners", "province_ids": "provinces"},
        discard_url=url_for("logframe.edit_result", number=result.version.number, key=result.key),
    )


@bp.route("/plan/v<int:number>/results/<key>/move", methods=["POST"])
@roles_required(Role.PLANNER)
def move_result(number: int, key: str):
    version, result = load_result(number, key)
    editable(version)
    direction = request.form.get("direction")
    if direction not in ("up", "down") or not EmptyForm().validate_on_submit():
        abort(400)
    try:
        editing.move_result(db.session, result, direction)
    except PlanError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("%(code)s is moved.", code=result.code), "success")
    return redirect(url_for("logframe.plan", version=number) + f"#r-{key}")


@bp.route("/plan/v<int:number>/results/<key>/delete", methods=["POST"])
@roles_required(Role.PLANNER)
def delete_result(number: int, key: str):
    version, result = load_result(number, key)
    editable(version)
    if not EmptyForm().validate_on_submit():
        abort(400)
    label = result.code or _("Goal")
    try:
        editing.delete_result(db.session, result)
    except PlanError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("logframe.result", number=number, key=key))
    db.session.commit()
    flash(_("%(code)s is deleted; the results after it are renumbered.", code=label), "success")
    return redirect(url_for("logframe.plan", version=number))


@bp.route("/plan/v<int:number>/results/<key>/history")
@roles_required(Role.ADMIN, Role.PLANNER, Role.REVIEWER)
def result_history(number: int, key: str):
    """The result's changes in every version: the key is what stays the same."""
    version, result = load_result(number, key)
    ids = db.session.scalars(
        sa.select(Result.id)
        .join(PlanVersion, PlanVersion.id == Result.version_id)
        .where(PlanVersion.plan_id == version.plan_id, Result.key == key)
    ).all()
    stmt = (
        sa.select(AuditEntry)
        .where(AuditEntry.object_type == "result", AuditEntry.object_id.in_([str(i) for i in ids]))
        .order_by(AuditEntry.created_dt.desc(), AuditEntry.id.desc())
    )
    return history_page(
        stmt,
        _("History of %(code)s in every version", code=result.code or _("Goal")),
        url_for("logframe.result", number=number, key=key),
        obj=result,
    )


from logframe import views_activities, views_versions  # noqa: E402,F401  (same blueprint)
