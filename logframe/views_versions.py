"""Pages about versions: comparison, new draft, approval, the vision, version history."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from leap_me import audit, locking, numbers
from leap_me.auth.permissions import roles_required, signed_in
from leap_me.auth.roles import Role
from leap_me.extensions import db
from leap_me.forms import EmptyForm
from leap_me.history import render_history
from logframe import services
from logframe import versions as plan_versions
from logframe.compare import RESULT_FIELDS, compare
from logframe.forms import DraftForm, VisionForm
from logframe.models import PlanVersion
from logframe.services import PlanError
from logframe.views import bp, editable, load_version, readable_versions


@bp.route("/plan/compare")
@signed_in
def compare_versions():
    plan = services.plan_of(db.session)
    if plan is None:
        abort(404)
    versions = readable_versions(plan)
    by_number = {v.number: v for v in versions}

    def pick(name: str, default: PlanVersion | None) -> PlanVersion | None:
        arg = numbers.query_int(name, minimum=1)
        if arg is None:
            return default
        if services.version_by_number(db.session, plan, arg) is None:
            abort(404)
        if arg not in by_number:
            abort(403)
        return by_number[arg]

    newest = versions[0] if versions else None
    new = pick("new", newest)
    old = pick("old", (new.based_on if new and new.based_on in versions else None))
    if old is None and new is not None:
        older = [v for v in versions if v.number < new.number]
        old = older[0] if older else new
    diff = compare(db.session, old, new) if old and new else None
    sections = services.version_diff_sections(db.session, old, new) if diff else []
    return render_template(
        "logframe/compare.html",
        plan=plan,
        versions=versions,
        old=old,
        new=new,
        diff=diff,
        sections=sections,
        fields=RESULT_FIELDS,
    )


@bp.route("/plan/drafts", methods=["POST"])
@roles_required(Role.PLANNER)
def start_draft():
    plan = services.plan_of(db.session)
    if plan is None:
        abort(404)
    form = DraftForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        with audit.reason(form.note.data or None):
            draft = plan_versions.start_draft(db.session, plan, form.note.data or "")
    except PlanError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("logframe.plan"))
    db.session.commit()
    flash(
        _(
            "Draft version %(number)d is started as a copy of the approved plan.",
            number=draft.number,
        ),
        "success",
    )
    return redirect(url_for("logframe.plan", version=draft.number))


@bp.route("/plan/v<int:number>/approve", methods=["POST"])
@roles_required(Role.PLANNER)
def approve(number: int):
    _plan, version = load_version(number)
    editable(version)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        plan_versions.approve_version(db.session, version, current_user.id)
    except PlanError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("logframe.plan", version=number))
    db.session.commit()
    flash(
        _("Version %(number)d is approved. It is now the current plan.", number=number), "success"
    )
    return redirect(url_for("logframe.plan", version=number))


@bp.route("/plan/v<int:number>/vision", methods=["GET", "POST"])
@roles_required(Role.PLANNER)
def edit_vision(number: int):
    _plan, version = load_version(number)
    editable(version)
    form = VisionForm(obj=version if request.method == "GET" else None)
    if request.method == "GET":
        while form.milestones.entries:
            form.milestones.pop_entry()
        for m in version.milestones:
            form.milestones.append_entry(
                {"year": m.year, "text_en": m.text_en, "text_km": m.text_km}
            )
        for _i in range(2):
            form.milestones.append_entry()
        locking.prime(form, locking.token_of(version))
    conflict = None
    if request.method == "POST" and form.validate_on_submit():
        milestones = [
            {"year": e.year.data, "text_en": e.text_en.data or "", "text_km": e.text_km.data or ""}
            for e in form.milestones
            if e.year.data or (e.text_en.data or "").strip() or (e.text_km.data or "").strip()
        ]
        conflict = _vision_conflict(form, version, milestones)
        if conflict is not None:
            pass
        elif any(m["year"] is None for m in milestones):
            form.milestones.errors.append(_("Each milestone needs a year."))
        else:
            try:
                with audit.reason(form.reason.data):
                    locking.bump(version)  # milestones are rows of their own
                    plan_versions.update_vision(
                        db.session,
                        version,
                        {
                            "vision_en": form.vision_en.data,
                            "vision_km": form.vision_km.data,
                            "note": form.note.data or "",
                        },
                        milestones,
                    )
            except PlanError as exc:
                db.session.rollback()
                form.milestones.errors.append(str(exc))
            else:
                db.session.commit()
                flash(_("The vision is saved."), "success")
                return redirect(url_for("logframe.plan", version=number))
    status = conflict.status if conflict else 400 if request.method == "POST" else 200
    return render_template(
        "logframe/vision_form.html", form=form, version=version, conflict=conflict
    ), status


def _milestone_text(items) -> str:
    return "\n".join(
        f"{m['year']}: {(m['text_en'] or '').strip()} / {(m['text_km'] or '').strip()}"
        for m in sorted(items, key=lambda m: m["year"] or 0)
    )


def _vision_conflict(form, version: PlanVersion, milestones: list[dict]):
    stored = _milestone_text(
        [{"year": m.year, "text_en": m.text_en, "text_km": m.text_km} for m in version.milestones]
    )
    typed = _milestone_text(milestones)
    extra = [locking.ConflictRow(_("Milestones"), stored, typed)] if stored != typed else []
    return locking.detect(
        form,
        version,
        ["vision_en", "vision_km", "note"],
        extra_rows=extra,
        discard_url=url_for("logframe.edit_vision", number=version.number),
    )


@bp.route("/plan/v<int:number>/history")
@roles_required(Role.ADMIN, Role.PLANNER, Role.REVIEWER)
def version_history(number: int):
    _plan, version = load_version(number)
    return render_history(
        version,
        _("History of version %(number)d", number=number),
        url_for("logframe.plan", version=number),
    )
