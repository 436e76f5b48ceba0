"""The donor workbook's download page route (viewers and above).

``GET /reports/donor-workbook.xlsx?lang=en|km&period=2026Q2``; the API twin is
``GET /api/v1/donor-workbook`` (``leap_me/exchange/api.py``).
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, request
from flask_babel import gettext as _
from flask_login import current_user

from leap_me.auth.permissions import can_see_budget_detail, signed_in
from leap_me.extensions import db
from leap_me.i18n import current_lang

bp = Blueprint("donor", __name__)


def download() -> Response:
    """The workbook for the current request's ``lang`` and ``period`` (400/404 when
    wrong, 403 for partners: the workbook holds every organisation's values and the
    budget by funding source)."""
    from leap_me.exchange import donor

    if not can_see_budget_detail(current_user):
        abort(403, description=_("The donor workbook holds the budget by funding source."))
    try:
        lang, period = donor.resolve(
            db.session, request.args.get("lang") or current_lang(), request.args.get("period")
        )
        body = donor.build(
            db.session,
            lang=lang,
            period=period,
            made_by=current_user.full_name or current_user.username,
            period_asked=bool((request.args.get("period") or "").strip()),
        )
    except donor.DonorWorkbookError as exc:
        abort(404 if exc.field == "unknown_period" else 400, description=exc.message)
    return Response(
        body,
        mimetype=donor.MIME,
        headers={"Content-Disposition": f'attachment; filename="{donor.filename(lang, period)}"'},
    )


@bp.route("/reports/donor-workbook.xlsx")
@signed_in
def workbook():
    return download()
