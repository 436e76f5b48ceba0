"""Exchange endpoints under /api/v1: the IATI 2.03 activity file."""

from __future__ import annotations

from pathlib import Path

from flask import Response, abort, current_app, request
from flask_babel import gettext as _
from flask_login import current_user

from leap_me.api import api_blueprint
from leap_me.auth.permissions import can_see_budget_detail, signed_in
from leap_me.exchange import iati
from leap_me.extensions import db

bp = api_blueprint("exchange_api", __name__)


@bp.route("/iati/activities.xml")
@signed_in
def iati_activities():
    """The LEAP programme as IATI 2.03 activities (viewers and above: it holds the budget)."""
    if not can_see_budget_detail(current_user):
        abort(403, description=_("The IATI file holds the budget by funding source."))
    settings = iati.settings(current_app.config, Path(current_app.config["SEEDS_DIR"]))
    body = iati.build(db.session, settings)
    return Response(
        body,
        mimetype="application/xml",
        headers={"Content-Disposition": 'inline; filename="leap-iati-activities.xml"'},
    )


# --- the submission workbook (issue 10) -----------------------------------------------


def _org_period(org_code: str | None, period_code: str | None):
    import sqlalchemy as sa

    from indicators.models import ReportingPeriod
    from stakeholders.models import Organisation

    if not org_code or not period_code:
        abort(
            400,
            description=_("Name the organisation and the period, e.g. ?org=CODE&period=2026Q2."),
        )
    org = db.session.scalar(sa.select(Organisation).where(Organisation.code == org_code[:20]))
    period = db.session.scalar(
        sa.select(ReportingPeriod).where(ReportingPeriod.code == period_code[:10])
    )
    if org is None or (current_user.role == "partner" and current_user.organisation_id != org.id):
        abort(404, description=_("There is no organisation %(code)s.", code=org_code[:20]))
    if period is None:
        abort(404, description=_("There is no reporting period %(code)s.", code=period_code[:10]))
    return org, period


@bp.route("/templates")
@signed_in
def template():
    """The submission workbook: ``?org=CODE&period=2026Q2&lang=en|km``."""
    from leap_me.exchange import template as tpl

    if current_user.role not in ("partner", "reviewer", "planner", "admin"):
        abort(403, description=_("Submission workbooks are for reporters and reviewers."))
    org, period = _org_period(request.args.get("org"), request.args.get("period"))
    lang = request.args.get("lang", "en")[:2]
    if lang not in ("en", "km"):
        abort(400, description=_("The language is en or km."))
    body = tpl.build(db.session, org, period, lang)
    return Response(
        body,
        mimetype=tpl.MIME,
        headers={
            "Content-Disposition": f'attachment; filename="{tpl.filename(org, period, lang)}"'
        },
    )


def _upload_body() -> bytes:
    from leap_me.exchange import imports

    limit = imports.LIMITS.max_bytes
    if request.files:
        upload = request.files.get("file") or next(iter(request.files.values()))
        return upload.stream.read(limit + 1)
    return request.stream.read(limit + 1)


@bp.route("/imports", methods=["POST"])
@signed_in
def import_workbook():
    """A filled submission workbook as the body (or multipart ``file``):
    ``?dryRun=true`` checks it and writes nothing; ``dryRun=false`` writes it when clean."""
    from flask import jsonify

    from leap_me.errors import json_error
    from leap_me.exchange import imports
    from leap_me.i18n import current_lang

    if current_user.role != "partner":
        abort(403, description=_("Only an organisation's reporter uploads its values."))
    flag = request.args.get("dryRun", "true").lower()
    if flag not in ("true", "false", "1", "0"):
        abort(400, description=_("dryRun is true or false."))
    dry_run = flag in ("true", "1")
    data = _upload_body()
    if len(data) > imports.LIMITS.max_bytes:
        return json_error(
            413,
            _(
                "The file is larger than the limit of %(mb)d MB.",
                mb=imports.LIMITS.max_bytes // (1024 * 1024),
            ),
        )
    try:
        report = imports.run(
            db.session, data, user=current_user, dry_run=dry_run, locale=current_lang()
        )
    except imports.ImportRefused as exc:
        db.session.rollback()
        return json_error(exc.status, exc.message, [exc.as_dict()], code=exc.code)
    body = report.as_dict()
    if not report.clean and not dry_run:
        db.session.rollback()
        return jsonify({**body, "error": _err(report)}), 422
    if report.written:
        db.session.commit()
    else:
        db.session.rollback()
    return jsonify(body)


def _err(report) -> dict:
    return {
        "code": "invalid",
        "message": report.summary(),
        "details": [p.as_dict() for p in report.problems],
    }

@bp.route("/donor-workbook")
@signed_in
def donor_workbook():
    """The donor workbook (``?lang=en|km&period=2026Q2``), as on the reports page."""
    from leap_me.exchange import donor_web

    return donor_web.download()
