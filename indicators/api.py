"""GET /api/v1/indicators and GET /api/v1/periods (CONTRACTS.md)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, jsonify, request
from flask_babel import gettext as _
from sqlalchemy import orm as so

from indicators import services
from indicators.models import (
    DisaggCategory,
    Indicator,
    IndicatorVersion,
    PeriodStatus,
    ReportingPeriod,
)
from leap_me import numbers
from leap_me.api import api_blueprint, page_args
from leap_me.auth.permissions import signed_in
from leap_me.extensions import db
from logframe import services as logframe

bp = api_blueprint("indicators_api", __name__)


@bp.route("/indicators")
@signed_in
def indicators():
    page, size = page_args()
    stmt = services.registry_query().options(
        so.selectinload(Indicator.reporters),
        so.selectinload(Indicator.replaces),
        so.selectinload(Indicator.replaced_by),
        so.contains_eager(Indicator.current_version)
        .selectinload(IndicatorVersion.categories)
        .selectinload(DisaggCategory.options),
    )
    if result := request.args.get("result"):
        stmt = stmt.where(Indicator.result_key == result)
    if status := request.args.get("status"):
        stmt = stmt.where(Indicator.status == status)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))
    rows = list(
        db.session.scalars(
            stmt.order_by(Indicator.code).limit(size).offset((page - 1) * size)
        ).unique()
    )
    targets = services.targets_for_api(db.session, [i.id for i in rows])
    results = logframe.results_by_key(db.session, [i.result_key for i in rows])
    return jsonify(
        {
            "indicators": [
                services.indicator_as_dict(
                    i,
                    targets[i.id],
                    (results[i.result_key].code or i.result_key)
                    if i.result_key in results
                    else None,
                )
                for i in rows
            ],
            "pager": {"page": page, "pageSize": size, "total": total},
        }
    )


@bp.route("/periods")
@signed_in
def periods():
    page, size = page_args()
    stmt = sa.select(ReportingPeriod)
    if (year := numbers.query_int("year", minimum=1, maximum=9999)) is not None:
        stmt = stmt.where(ReportingPeriod.year == year)
    if status := request.args.get("status"):
        if status not in {s.value for s in PeriodStatus}:
            abort(
                400,
                description=_(
                    "status must be one of %(values)s.",
                    values=", ".join(s.value for s in PeriodStatus),
                ),
            )
        stmt = stmt.where(ReportingPeriod.status == status)
    if frequency := request.args.get("frequency"):
        stmt = stmt.where(ReportingPeriod.frequency == frequency)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(
        stmt.order_by(ReportingPeriod.start_date, ReportingPeriod.end_date.desc())
        .limit(size)
        .offset((page - 1) * size)
    )
    return jsonify(
        {
            "periods": [services.period_as_dict(p) for p in rows],
            "pager": {"page": page, "pageSize": size, "total": total},
        }
    )


# The submission workflow's routes live beside, on the same blueprint.
from indicators import api_submissions  # noqa: E402, F401
