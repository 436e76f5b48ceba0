"""The review workflow for partners' own systems (CONTRACTS.md), on the indicators API
blueprint: submissions (scoped to the caller's organisation for partners), one
submission's values with flags, explanations and history, submit / approve / return,
and completeness. Errors in the CONTRACTS.md JSON shape.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import orm as so

from indicators.api import bp
from indicators.models import (
    Finding,
    ReportingPeriod,
    Submission,
    SubmissionEvent,
    SubmissionStatus,
)
from indicators.services import completeness as completeness_service
from indicators.services import quality
from indicators.services import submissions as service
from indicators.services.common import plain
from indicators.services.owed import owed_rows
from leap_me.api import page_args
from leap_me.auth import permissions
from leap_me.auth.permissions import signed_in
from leap_me.errors import json_error
from leap_me.extensions import db
from stakeholders.models import Organisation


def _period(code: str | None) -> ReportingPeriod:
    if not code:
        abort(400, description=_("Name the period, e.g. ?period=2026Q2."))
    period = db.session.scalar(sa.select(ReportingPeriod).where(ReportingPeriod.code == code[:10]))
    if period is None:
        abort(404, description=_("There is no reporting period %(code)s.", code=code[:10]))
    return period


def _organisation(code: str) -> Organisation:
    org = db.session.scalar(sa.select(Organisation).where(Organisation.code == code[:20]))
    if org is None:
        abort(404, description=_("There is no organisation %(code)s.", code=code[:20]))
    return org


def _summary(sub: Submission, counts: dict | None = None) -> dict:
    return {
        "organisation": sub.organisation.code,
        "period": sub.period.code,
        "status": sub.status,
        "version": sub.version,
        "submittedAt": sub.submitted_at.isoformat() if sub.submitted_at else None,
        "decidedAt": sub.decided_at.isoformat() if sub.decided_at else None,
        "returnReason": sub.return_reason,
        "deadline": sub.period.deadline.isoformat(),
        "late": sub.is_late,
        "isDemo": sub.is_demo,
        **({"counts": counts} if counts is not None else {}),
    }


@bp.route("/submissions")
@signed_in
def submissions_list():
    page, size = page_args()
    stmt = (
        sa.select(Submission)
        .join(Organisation, Organisation.id == Submission.organisation_id)
        .join(ReportingPeriod, ReportingPeriod.id == Submission.period_id)
        .options(so.contains_eager(Submission.organisation), so.contains_eager(Submission.period))
    )
    if code := request.args.get("period"):
        stmt = stmt.where(ReportingPeriod.id == _period(code).id)
    if code := request.args.get("org"):
        org = _organisation(code)
        if current_user.role == "partner" and org.id != current_user.organisation_id:
            abort(403, description=_("You see only your own organisation's submissions."))
        stmt = stmt.where(Submission.organisation_id == org.id)
    if status := request.args.get("status"):
        if status not in {s.value for s in SubmissionStatus}:
            abort(
                400,
                description=_(
                    "status must be one of %(values)s.",
                    values=", ".join(s.value for s in SubmissionStatus),
                ),
            )
        stmt = stmt.where(Submission.status == status)
    if current_user.role == "partner":
        stmt = stmt.where(Submission.organisation_id == current_user.organisation_id)
    elif current_user.role == "viewer":
        stmt = stmt.where(Submission.status == SubmissionStatus.APPROVED.value)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))
    rows = list(
        db.session.scalars(
            stmt.order_by(ReportingPeriod.start_date.desc(), Organisation.code)
            .limit(size)
            .offset((page - 1) * size)
        )
    )
    ids = [s.id for s in rows]
    flags = dict(
        db.session.execute(
            sa.select(Finding.submission_id, sa.func.count())
            .where(Finding.submission_id.in_(ids or [0]), Finding.active)
            .group_by(Finding.submission_id)
        ).all()
    )
    return jsonify(
        {
            "submissions": [_summary(s, {"flags": flags.get(s.id, 0)}) for s in rows],
            "pager": {"page": page, "pageSize": size, "total": total},
        }
    )


def _load(
    org_code: str, period_code: str
) -> tuple[Organisation, ReportingPeriod, Submission | None]:
    org = _organisation(org_code)
    if current_user.role == "partner" and org.id != current_user.organisation_id:
        abort(404, description=_("There is no such submission."))
    period = _period(period_code)
    sub = db.session.scalar(
        sa.select(Submission).where(
            Submission.organisation_id == org.id, Submission.period_id == period.id
        )
    )
    return org, period, sub


def _num(v):
    return plain(v) if v is not None else None


@bp.route("/submissions/<org_code>/<period_code>")
@signed_in
def submission_detail(org_code: str, period_code: str):
    if current_user.role == "viewer":
        found = service.find(db.session, org_code[:20], period_code[:10])
        if found is None or found.status != SubmissionStatus.APPROVED:
            abort(403, description=_("Viewers see approved submissions only."))
    org, period, sub = _load(org_code, period_code)
    if sub is None:
        rows = owed_rows(db.session, org, period)
        if not rows:
            abort(
                404,
                description=_(
                    "%(org)s owes nothing for %(period)s.", org=org.code, period=period.code
                ),
            )
        return jsonify(
            {
                "organisation": org.code,
                "period": period.code,
                "status": "not_started",
                "deadline": period.deadline.isoformat(),
                "owedRows": len(rows),
                "values": [],
                "history": [],
            }
        )
    g = service.grid(db.session, sub)
    values = []
    for row in g.rows:
        v = row.value
        if v is None:
            continue
        values.append(
            {
                "indicator": row.owed.indicator.code,
                "orgUnit": row.owed.province.code if row.owed.province else "KH",
                "disaggregation": row.owed.disagg_key,
                "value": _num(v.value),
                "numerator": _num(v.numerator),
                "denominator": _num(v.denominator),
                "text": v.text_value,
                "raw": {
                    "value": v.raw_value,
                    "numerator": v.raw_numerator,
                    "denominator": v.raw_denominator,
                }
                if v.error
                else None,
                "error": [e.text for e in row.errors] or None,
                "status": v.status,
                "comment": v.comment,
                "explanation": v.explanation,
                "reopened": v.reopened,
                "previous": _num(row.previous.value) if row.previous is not None else None,
                "target": _num(row.target),
                "flags": [
                    {
                        "kind": f.kind,
                        "state": f.state,
                        "message": quality.finding_text(f),
                        "detail": f.detail,
                    }
                    for f in row.flags
                ],
                "comments": row.comments,
            }
        )
    events = db.session.scalars(
        sa.select(SubmissionEvent)
        .where(SubmissionEvent.submission_id == sub.id)
        .options(so.joinedload(SubmissionEvent.user))
        .order_by(SubmissionEvent.at, SubmissionEvent.id)
    )
    history = [
        {
            "action": e.action,
            "from": e.from_status,
            "to": e.to_status,
            "by": e.user.username if e.user else None,
            "at": e.at.isoformat(),
            "reason": e.reason,
            "detail": e.detail,
        }
        for e in events
    ]
    return jsonify({**_summary(sub, g.counts), "values": values, "history": history})


def _transition_error(exc: Exception):
    if isinstance(exc, service.SubmissionError):
        db.session.rollback()
        return json_error(422, exc.message, exc.problems, code="invalid_submission")
    db.session.rollback()
    return json_error(409, exc.message, code="refused")


def _existing(org_code: str, period_code: str) -> Submission:
    _org, _period_, sub = _load(org_code, period_code)
    if sub is None:
        abort(404, description=_("There is no such submission."))
    return sub


@bp.route("/submissions/<org_code>/<period_code>/submit", methods=["POST"])
@signed_in
def submission_submit(org_code: str, period_code: str):
    if current_user.role != "partner":
        abort(403, description=_("Only the organisation's reporters submit."))
    org, period, sub = _load(org_code, period_code)
    if sub is None:
        sub = service.get_or_create(db.session, org, period, current_user)
    try:
        service.submit(db.session, sub, user=current_user)
    except (service.SubmissionError, service.TransitionError) as exc:
        return _transition_error(exc)
    db.session.commit()
    return jsonify(_summary(sub))


def _reason() -> str:
    body = request.get_json(silent=True)
    if body is None and request.data:
        abort(400, description=_("Send a JSON body."))
    return ((body or {}).get("reason") or (body or {}).get("comment") or "").strip()


@bp.route("/submissions/<org_code>/<period_code>/approve", methods=["POST"])
@signed_in
def submission_approve(org_code: str, period_code: str):
    if not permissions.can_review(current_user):
        abort(403, description=_("Only the M&E reviewer approves submissions."))
    sub = _existing(org_code, period_code)
    try:
        service.approve(db.session, sub, user=current_user)
    except service.TransitionError as exc:
        return _transition_error(exc)
    db.session.commit()
    return jsonify(_summary(sub))


@bp.route("/submissions/<org_code>/<period_code>/return", methods=["POST"])
@signed_in
def submission_return(org_code: str, period_code: str):
    if not permissions.can_review(current_user):
        abort(403, description=_("Only the M&E reviewer returns submissions."))
    reason = _reason()
    sub = _existing(org_code, period_code)
    if not reason:
        return json_error(
            400,
            _('Say why the submission is returned: {"reason": "..."}.'),
            [{"field": "reason", "message": _("Required.")}],
        )
    try:
        service.return_submission(db.session, sub, user=current_user, reason=reason)
    except service.TransitionError as exc:
        return _transition_error(exc)
    db.session.commit()
    return jsonify(_summary(sub))


@bp.route("/completeness")
@signed_in
def completeness_api():
    if not permissions.can_see_completeness(current_user):
        abort(403, description=_("Completeness is for the programme's coordinators."))
    period = _period(request.args.get("period"))
    report = completeness_service.completeness(db.session, period)
    return jsonify(completeness_service.as_json(report))
