"""GET /api/v1/variance (CONTRACTS.md): the variance engine as JSON."""

from __future__ import annotations

from flask import abort, jsonify, request
from flask_login import current_user

from leap_me.api import api_blueprint
from leap_me.auth.permissions import can_preview_values, signed_in
from leap_me.extensions import db
from leap_me.reports import params, present
from leap_me.reports.variance import BY, VarianceError, load

bp = api_blueprint("reports_api", __name__)

FIELDS = (
    "code",
    "measure",
    "direction",
    "agg_space",
    "agg_time",
    "frequency",
    "outcome_code",
    "baseline",
    "target",
    "actual",
    "numerator",
    "denominator",
    "yes_share",
    "variance",
    "relative_variance",
    "progress",
    "status",
    "favourable",
    "periods_with_data",
    "last_period",
    "dedup",
)


def _indicator(row: dict) -> dict:
    out = {k: row.get(k) for k in FIELDS}
    out["name"] = {"en": row["name_en"], "km": row["name_km"]}
    out["unit"] = {"en": row["unit_en"], "km": row["unit_km"]}
    out["outcome"] = row["outcome_key"] or None
    out["thresholds"] = row["thresholds"]
    if "group" in row:
        out["group"] = row["group"] or None
    fc = row.get("forecast")
    if fc is not None:
        out["forecast"] = {
            "kind": fc["kind"],
            "period": fc.get("period"),
            "value": fc.get("value"),
            "target": fc["target"],
            "slope": fc["slope"],
            "intercept": fc["intercept"],
            "sentence": present.forecast_sentence(fc),
        }
    elif "forecast" in row:
        out["forecast"] = None
    return out


@bp.route("/variance")
@signed_in
def variance():
    try:
        q = params.parse(request.args, db.session, may_preview=can_preview_values(current_user))
    except params.BadRequest as exc:
        abort(400, description=exc.message)
    except PermissionError as exc:
        abort(403, description=str(exc))
    by = (request.args.get("by") or "").strip() or None
    if by not in BY:
        abort(400, description=params.engine_error_message("by", by or ""))
    try:
        data = load(db.session, q.period, preview=q.preview, filters=q.filters)
    except VarianceError as exc:
        abort(
            404 if exc.field == "period" else 400,
            description=params.engine_error_message(exc.field or "", str(exc)),
        )
    rows = data.variance(q.span, by=by)
    if q.show:
        rows = [r for r in rows if r["status"] in q.show]
    return jsonify(
        {
            "period": q.period,
            "span": q.span,
            "status": "submitted" if q.preview else "approved",
            "preview": q.preview,
            "by": by,
            "filters": q.filters.as_dict(),
            "counts": data.counts(q.span)["overall"],
            "indicators": [_indicator(r) for r in rows],
        }
    )
