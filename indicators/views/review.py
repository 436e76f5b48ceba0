"""The reviewer's side of submissions: the queue (oldest first, with flags, explanations
and late status; bulk approve or return), the review page (comment on one value, return
with a reason, approve, re-open one value or the whole submission), the history page and
the evidence files (upload, download after the permission check, delete)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from indicators.models import ReportingPeriod
from indicators.services.common import ValidationError
from indicators.views import bp
from indicators.views import subs_common as sc
from leap_me import audit
from leap_me.auth.permissions import roles_required
from leap_me.auth.roles import Role
from leap_me.extensions import db
from leap_me.forms import EmptyForm
from leap_me.listing import Listing
from stakeholders.models import Organisation, Province

REASON_MAX = 1000


def _subs():
    from indicators.services import submissions

    return submissions


# --- the queue ------------------------------------------------------------------------


def queue():
    """Submissions waiting for review, oldest first; other states through the filter."""
    from indicators.models.submissions import Submission

    status = request.args.get("status", "submitted")
    if status not in ("submitted", "returned", "approved", "draft", "all"):
        status = "submitted"
    stmt = (
        sa.select(Submission)
        .join(Organisation, Organisation.id == Submission.organisation_id)
        .join(ReportingPeriod, ReportingPeriod.id == Submission.period_id)
    )
    if status != "all":
        stmt = stmt.where(Submission.status == status)
    province = request.args.get("province", "")[:8]
    if province:
        from stakeholders.models import organisation_province as op

        stmt = stmt.where(
            Submission.organisation_id.in_(
                sa.select(op.c.organisation_id)
                .join(Province, Province.id == op.c.province_id)
                .where(Province.code == province)
            )
        )
    listing = Listing(
        stmt,
        search=(Organisation.code, Organisation.name_en, Organisation.name_km),
        sorts={
            "submitted": sa.func.coalesce(Submission.submitted_at, Submission.created_dt),
            "period": ReportingPeriod.start_date,
            "organisation": Organisation.code,
        },
        default_sort="submitted",
        filters={"period": ReportingPeriod.code, "org": Organisation.code},
    )
    page = listing.paginate(db.session, current_app.config["PAGE_SIZE"])
    stats = sc.queue_stats(db.session, [s.id for s in page.items])
    return render_template(
        "indicators/submissions/queue.html",
        listing=listing,
        page=page,
        stats=stats,
        status=status,
        province=province,
        can_review=sc.can_review(current_user),
        periods=list(
            db.session.scalars(
                sa.select(ReportingPeriod.code)
                .where(ReportingPeriod.id.in_(sa.select(Submission.period_id)))
                .order_by(ReportingPeriod.start_date.desc())
            )
        ),
        organisations=list(
            db.session.scalars(
                sa.select(Organisation)
                .where(Organisation.id.in_(sa.select(Submission.organisation_id)))
                .order_by(Organisation.code)
            )
        ),
        provinces=list(db.session.scalars(sa.select(Province).order_by(Province.name_en))),
    )


@bp.route("/submissions/bulk", methods=["POST"])
@roles_required(Role.REVIEWER)
def bulk_review():
    """Approve or return several submissions at once; each return has its own reason."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    from indicators.models.submissions import Submission

    subs = _subs()
    action = request.form.get("action")
    if action not in ("approve", "return"):
        abort(400)
    try:
        ids = sorted({int(x) for x in request.form.getlist("sub")[:500]})
    except ValueError:
        abort(400)
    if not ids:
        flash(_("Tick at least one submission."), "error")
        return redirect(url_for("indicators.submissions"))
    chosen = list(db.session.scalars(sa.select(Submission).where(Submission.id.in_(ids))))
    if len(chosen) != len(ids):
        abort(404)
    missing = []
    reasons = {}
    for s in chosen:
        reason = request.form.get(f"reason-{s.id}", "").strip()[:REASON_MAX]
        if action == "return" and not reason:
            missing.append(s)
        reasons[s.id] = reason
    if missing:
        flash(
            _(
                "Nothing was changed: give a reason for each submission you return (%(list)s).",
                list=", ".join(f"{s.organisation.code} {s.period.code}" for s in missing),
            ),
            "error",
        )
        return redirect(url_for("indicators.submissions"))
    try:
        for s in chosen:
            if action == "approve":
                subs.approve(db.session, s, user=current_user)
            else:
                with audit.reason(reasons[s.id]):
                    subs.return_submission(db.session, s, user=current_user, reason=reasons[s.id])
    except subs.TransitionError as error:
        db.session.rollback()
        flash(_("Nothing was changed: %(error)s", error=error.message), "error")
        return redirect(url_for("indicators.submissions"))
    db.session.commit()
    if action == "approve":
        flash(_("%(count)s submissions approved.", count=len(chosen)), "success")
    else:
        flash(_("%(count)s submissions returned to their partners.", count=len(chosen)), "success")
    return redirect(url_for("indicators.submissions"))


# --- the review page ------------------------------------------------------------------


def render_review(sub, *, status=200):
    subs = _subs()
    groups, rows = sc.build_groups(subs.grid(db.session, sub, locale=sc.lang()))
    changed = [
        r for r in rows if r.changed_since_approval or (r.value is not None and r.value.reopened)
    ]
    return (
        render_template(
            "indicators/submissions/review.html",
            sub=sub,
            groups=groups,
            changed=changed,
            can_review=sc.can_review(current_user),
            can_edit=sc.can_edit_submission(current_user, sub),
            can_talk=sc.can_review(current_user)
            or (
                current_user.role == Role.PARTNER
                and current_user.organisation_id == sub.organisation_id
            ),
            evidence=sc.evidence_of(sub),
            events=sc.recent_events(sub),
        ),
        status,
    )


def _reason(required: bool = True) -> str | None:
    reason = request.form.get("reason", "").strip()
    if len(reason) > REASON_MAX:
        flash(_("The reason is longer than %(max)s characters.", max=REASON_MAX), "error")
        return None
    if required and not reason:
        flash(_("Give a reason: the partner reads it."), "error")
        return None
    return reason


def _transition(org_code: str, period_code: str, action: str):
    sub = sc.load_submission(org_code, period_code)
    if not EmptyForm().validate_on_submit():
        abort(400)
    subs = _subs()
    reason = _reason(required=action in ("return", "reopen"))
    if reason is None:
        return redirect(sc.url_of(sub) + "#decide")
    try:
        with audit.reason(reason or None):
            if action == "approve":
                subs.approve(db.session, sub, user=current_user)
            elif action == "return":
                subs.return_submission(db.session, sub, user=current_user, reason=reason)
            else:
                subs.reopen(db.session, sub, user=current_user, reason=reason)
    except subs.TransitionError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(sc.url_of(sub))
    db.session.commit()
    flash(
        {
            "approve": _("Approved: its values are now official and read-only."),
            "return": _("Returned to the partner with your reason."),
            "reopen": _("Re-opened: the partner can change it again."),
        }[action],
        "success",
    )
    return redirect(url_for("indicators.submissions") if action != "reopen" else sc.url_of(sub))


@bp.route("/submissions/<org_code>/<period_code>/approve", methods=["POST"])
@roles_required(Role.REVIEWER)
def approve_submission(org_code: str, period_code: str):
    return _transition(org_code, period_code, "approve")


@bp.route("/submissions/<org_code>/<period_code>/return", methods=["POST"])
@roles_required(Role.REVIEWER)
def return_submission(org_code: str, period_code: str):
    return _transition(org_code, period_code, "return")


@bp.route("/submissions/<org_code>/<period_code>/reopen", methods=["POST"])
@roles_required(Role.REVIEWER)
def reopen_submission(org_code: str, period_code: str):
    return _transition(org_code, period_code, "reopen")


def _value_of(sub, value_id: int):
    from indicators.models import DataValue

    value = db.session.get(DataValue, value_id)
    if value is None or value.submission_id != sub.id:
        abort(404)
    return value


@bp.route("/submissions/<org_code>/<period_code>/values/<int:value_id>/comments", methods=["POST"])
@roles_required(Role.PARTNER, Role.REVIEWER)
def comment_value(org_code: str, period_code: str, value_id: int):
    sub = sc.load_submission(org_code, period_code)
    value = _value_of(sub, value_id)
    if not sc.can_comment(current_user, value):
        abort(403)
    if not EmptyForm().validate_on_submit():
        abort(400)
    body = request.form.get("body", "").strip()
    anchor = f"#v{value.id}"
    if not body or len(body) > 2000:
        flash(_("Write a comment of at most 2000 characters."), "error")
        return redirect(sc.url_of(sub) + anchor)
    subs = _subs()
    try:
        subs.add_comment(db.session, value, user=current_user, body=body)
    except ValidationError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(sc.url_of(sub) + anchor)
    db.session.commit()
    flash(_("Comment added."), "success")
    return redirect(sc.url_of(sub) + anchor)


@bp.route("/submissions/<org_code>/<period_code>/values/<int:value_id>/reopen", methods=["POST"])
@roles_required(Role.REVIEWER)
def reopen_value(org_code: str, period_code: str, value_id: int):
    sub = sc.load_submission(org_code, period_code)
    value = _value_of(sub, value_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    reason = _reason()
    if reason is None:
        return redirect(sc.url_of(sub) + f"#v{value.id}")
    subs = _subs()
    try:
        with audit.reason(reason):
            subs.reopen_value(db.session, value, user=current_user, reason=reason)
    except subs.TransitionError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(sc.url_of(sub) + f"#v{value.id}")
    db.session.commit()
    flash(_("This value is re-opened: the partner can correct it."), "success")
    return redirect(sc.url_of(sub) + f"#v{value.id}")


# --- history --------------------------------------------------------------------------


@bp.route("/submissions/<org_code>/<period_code>/history")
@roles_required(*sc.SUB_READERS)
def submission_history(org_code: str, period_code: str):
    sub = sc.load_submission(org_code, period_code)
    return render_template(
        "indicators/submissions/history.html", sub=sub, events=sc.all_events(sub)
    )


# --- evidence -------------------------------------------------------------------------


@bp.route("/submissions/<org_code>/<period_code>/evidence", methods=["POST"])
@roles_required(Role.PARTNER)
def upload_evidence(org_code: str, period_code: str):
    sub = sc.load_submission(org_code, period_code)
    if not sc.can_edit_submission(current_user, sub):
        abort(403)
    if not EmptyForm().validate_on_submit():
        abort(400)
    upload = request.files.get("file")
    back = sc.url_of(sub) + "#evidence"
    if upload is None or not upload.filename:
        flash(_("Choose a file to attach."), "error")
        return redirect(back)
    subs = _subs()
    try:
        ev = subs.add_evidence(
            db.session,
            sub,
            user=current_user,
            filename=upload.filename,
            stream=upload.stream,
            content_type=upload.mimetype or "",
        )
    except ValidationError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(back)
    db.session.commit()
    flash(_("%(name)s is attached.", name=ev.original_name), "success")
    return redirect(back)


def _evidence(sub, evidence_id: int):
    from indicators.models.submissions import Evidence

    ev = db.session.get(Evidence, evidence_id)
    if ev is None or ev.submission_id != sub.id:
        abort(404)
    return ev


@bp.route("/submissions/<org_code>/<period_code>/evidence/<int:evidence_id>")
@roles_required(*sc.SUB_READERS)
def download_evidence(org_code: str, period_code: str, evidence_id: int):
    sub = sc.load_submission(org_code, period_code)  # the permission check comes first
    ev = _evidence(sub, evidence_id)
    subs = _subs()
    path = subs.evidence_path(ev, current_app.instance_path)
    if not path.is_file():
        abort(404)
    return send_file(
        path,
        mimetype=ev.content_type or "application/octet-stream",
        as_attachment=True,
        download_name=ev.original_name,
        max_age=0,
    )


@bp.route(
    "/submissions/<org_code>/<period_code>/evidence/<int:evidence_id>/delete", methods=["POST"]
)
@roles_required(Role.PARTNER)
def delete_evidence(org_code: str, period_code: str, evidence_id: int):
    sub = sc.load_submission(org_code, period_code)
    if not sc.can_edit_submission(current_user, sub):
        abort(403)
    ev = _evidence(sub, evidence_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    name = ev.original_name
    _subs().delete_evidence(db.session, ev, user=current_user)
    db.session.commit()
    flash(_("%(name)s is removed.", name=name), "success")
    return redirect(sc.url_of(sub) + "#evidence")
