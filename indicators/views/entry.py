"""The partner's side of submissions: the list of what the organisation owes, and the
data-entry grid (save a draft, submit). The reviewer's side is in ``review.py``.

Views follow the house pattern: load (404) → check permission (403/404) → validate →
call the service → commit once → flash → redirect.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from indicators.models import PeriodStatus, ReportingPeriod
from indicators.views import bp
from indicators.views import subs_common as sc
from leap_me.auth.permissions import roles_required
from leap_me.auth.roles import Role
from leap_me.db import utcnow
from leap_me.extensions import db
from leap_me.forms import EmptyForm


def _services():
    from indicators.services import owed, submissions

    return owed, submissions


@bp.route("/submissions")
@roles_required(*sc.SUB_READERS)
def submissions():
    """A partner's own submissions (and what it still owes); the reviewer's queue."""
    if sc.can_review(current_user) or current_user.role in (Role.ADMIN, Role.PLANNER):
        from indicators.views.review import queue

        return queue()
    if current_user.role != Role.PARTNER or current_user.organisation_id is None:
        abort(403)
    owed, subs = _services()
    from indicators.models.submissions import Submission

    org = current_user.organisation
    existing = {
        s.period_id: s
        for s in db.session.scalars(
            sa.select(Submission).where(Submission.organisation_id == org.id)
        )
    }
    open_periods = list(
        db.session.scalars(
            sa.select(ReportingPeriod)
            .where(ReportingPeriod.status == PeriodStatus.OPEN.value)
            .order_by(ReportingPeriod.deadline, ReportingPeriod.code)
        )
    )
    owing = [p for p in open_periods if p.id in existing or _owes(owed, org, p)]
    past_ids = [pid for pid in existing if pid not in {p.id for p in owing}]
    past = (
        list(
            db.session.scalars(
                sa.select(ReportingPeriod)
                .where(ReportingPeriod.id.in_(past_ids))
                .order_by(ReportingPeriod.start_date.desc())
            )
        )
        if past_ids
        else []
    )
    return render_template(
        "indicators/submissions/mine.html",
        org=org,
        owing=owing,
        past=past,
        existing=existing,
        today=utcnow().date(),
    )


def _owes(owed, org, period) -> bool:
    return any(o.id == org.id for o in owed.owing_organisations(db.session, period))


@bp.route("/submissions/<org_code>/<period_code>")
@roles_required(*sc.SUB_READERS)
def submission(org_code: str, period_code: str):
    """The grid for the partner who may edit it; the review page for everyone else."""
    org, period = sc.load_org_period(org_code, period_code)
    sub = sc.find_submission(org, period)
    if sub is None:
        if current_user.role != Role.PARTNER:
            abort(404)
        owed, subs = _services()
        if period.status != PeriodStatus.OPEN.value or not _owes(owed, org, period):
            abort(404)
        sub = subs.get_or_create(db.session, org, period, current_user)
        db.session.commit()
    else:
        sub = sc.load_submission(org_code, period_code)
    if sc.may_enter(current_user, sub):
        return render_grid(sub)
    from indicators.views.review import render_review

    return render_review(sub)


def render_grid(sub, *, typed=None, outcome=None, problems=None, conflict=None, status=200):
    _owed, subs = _services()
    groups, rows = sc.build_groups(
        subs.grid(db.session, sub, locale=sc.lang()), typed=typed, outcome=outcome
    )
    return (
        render_template(
            "indicators/submissions/grid.html",
            sub=sub,
            groups=groups,
            row_count=len(rows),
            problems=problems or [],
            conflict=sc.conflict_rows(conflict, rows) if conflict is not None else None,
            evidence=sc.evidence_of(sub),
            evidence_form=EmptyForm(formdata=None),
            max_mb=current_app.config.get("LEAP_MAX_UPLOAD_MB", 10),
        ),
        status,
    )


@bp.route("/submissions/<org_code>/<period_code>", methods=["POST"])
@roles_required(Role.PARTNER)
def save_submission(org_code: str, period_code: str):
    sub = sc.load_submission(org_code, period_code)
    if not sc.may_enter(current_user, sub):
        flash(_("This submission cannot be changed now."), "error")
        return redirect(sc.url_of(sub))
    if not EmptyForm().validate_on_submit():
        abort(400)
    _owed, subs = _services()
    try:
        count = int(request.form.get("rows", "0"))
        expected = int(request.form.get("version", ""))
    except ValueError:
        abort(400)
    if not 0 <= count <= sc.MAX_ROWS:
        abort(400)
    typed = sc.read_cells(request.form, count)
    cells = sc.to_cell_inputs(subs, typed)
    action = request.form.get("action", "save")
    try:
        result = subs.save(
            db.session,
            sub,
            cells,
            user=current_user,
            expected_version=expected,
            source="grid",
            locale=sc.lang(),
        )
    except subs.ConflictError as error:
        db.session.rollback()
        db.session.refresh(sub)
        return render_grid(
            sub,
            typed={c["key"]: c for c in typed},
            conflict=error.cells,
            status=409,
        )
    except (subs.TransitionError, subs.SaveRefused) as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(sc.url_of(sub))
    outcome = {sc.row_key(*o.key): o for o in result.cells}
    if action == "submit":
        try:
            subs.submit(db.session, sub, user=current_user)
        except (subs.SubmissionError, subs.TransitionError) as error:
            # the draft is kept: every typed cell is saved, the problems are listed
            db.session.commit()
            problems = sc.problems_of(error)
            flash(
                _(
                    "Not submitted: %(count)s problems to fix first. Your draft is saved.",
                    count=len(problems) or 1,
                ),
                "error",
            )
            return render_grid(sub, outcome=outcome, problems=problems, status=422)
        db.session.commit()
        flash(_("Submitted for review. The reviewer is told."), "success")
        return redirect(url_for("indicators.submissions"))
    db.session.commit()
    invalid = sum(1 for o in outcome.values() if o.errors)
    if invalid:
        flash(
            _(
                "Draft saved. %(count)s cells are invalid and kept as typed: fix them before "
                "you submit.",
                count=invalid,
            ),
            "warning",
        )
    else:
        flash(_("Draft saved."), "success")
    return redirect(sc.url_of(sub))
