"""Exchange endpoints under /api/v1: the IATI 2.03 activity file."""

from __future__ import annotations

from pathlib import Path

from flask import Response, abort, current_app
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


@bp.route("/donor-workbook")
@signed_in
def donor_workbook():
    """The donor workbook (``?lang=en|km&period=2026Q2``), as on the reports page."""
    from leap_me.exchange import donor_web

    return donor_web.download()
