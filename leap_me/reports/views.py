"""Pages of the reports: the variance analysis, its drill-down and de-duplication."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from indicators import services as indicators
from indicators.services.common import ValidationError
from leap_me import audit
from leap_me.auth.permissions import can_preview_values, can_record_dedup, roles_required, signed_in
from leap_me.auth.roles import Role
from leap_me.extensions import db
from leap_me.i18n import current_lang
from leap_me.reports import charts, dedup, params, present
from leap_me.reports.models import DedupAdjustment
from leap_me.reports.variance import STATUSES, VarianceError, load
from stakeholders import services as stakeholders

bp = Blueprint("reports", __name__)


def _question():
    """The parsed query string, or the page's own 400/403."""
    try:
        return params.parse(request.args, db.session, may_preview=can_preview_values(current_user))
    except params.BadRequest as exc:
        abort(400, description=exc.message)
    except PermissionError as exc:
        abort(403, description=str(exc))


def _load(q):
    try:
        return load(db.session, q.period, preview=q.preview, filters=q.filters)
    except VarianceError as exc:
        abort(
            404 if exc.field == "period" else 400,
            description=params.engine_error_message(exc.field or "", str(exc)),
        )


def _choices(data):
    """Select boxes of the filter form (one query beyond what the engine read)."""
    periods = data.periods
    return {
        "periods": list(reversed(periods["period_code"].tolist())),
        "provinces": sorted(data.provinces.values(), key=lambda p: p.name_en),
        "organisations": sorted(data.organisations.values(), key=lambda o: o.code),
        "options": [
            (f"{c.code}:{o.code}", c, o)
            for c in indicators.categories(db.session)
            for o in c.options
        ],
    }


@bp.route("/variance")
@signed_in
def variance_page():
    if not request.args.get("period") and params.default_period(db.session) is None:
        return render_template("reports/no_periods.html")
    q = _question()
    data = _load(q)
    lang = current_lang()
    rows = [present.display(r, lang) for r in data.variance(q.span)]
    counts = data.counts(q.span)
    if q.show:
        rows = [r for r in rows if r["status"] in q.show]
    rows = params.sort_rows(rows, q.sort, q.desc)
    outcomes = {o["key"]: o for o in data.outcomes}
    for r in rows:
        r["sparkline"] = charts.sparkline(r.get("series") or [], r, lang)
    bars = charts.status_bars(data.outcomes, counts, lang)
    return render_template(
        "reports/variance.html",
        q=q,
        qs=params.query_string(q),
        data=data,
        rows=rows,
        counts=counts,
        outcomes=outcomes,
        statuses=STATUSES,
        status_titles={s: present.status_title(s) for s in STATUSES},
        marks=present.STATUS_MARKS,
        span_titles={k: str(v) for k, v in present.SPAN_TITLES.items()},
        bars=bars,
        may_preview=can_preview_values(current_user),
        sorts=params.SORTS,
        **_choices(data),
    )


@bp.route("/variance/<code>")
@signed_in
def variance_detail(code: str):
    indicator = indicators.get_indicator(db.session, code[:20])
    if indicator is None:
        abort(404)
    q = _question()
    data = _load(q)
    lang = current_lang()
    row = next((r for r in data.variance(q.span) if r["indicator_id"] == indicator.id), None)
    if row is None:
        abort(
            404,
            description=_(
                "%(code)s is not reported in %(period)s.", code=indicator.code, period=q.period
            ),
        )
    row = present.display(row, lang)
    by_province = [
        present.display(r, lang)
        for r in data.variance(q.span, by="province")
        if r["indicator_id"] == indicator.id
    ]
    by_org = [
        present.display(r, lang)
        for r in data.variance(q.span, by="organisation")
        if r["indicator_id"] == indicator.id
    ]
    period_row = data.periods[data.periods["period_code"] == q.period]
    adjustments = [a for a in dedup.list_adjustments(db.session) if a.indicator_id == indicator.id]
    may_dedup = (
        can_record_dedup(current_user) and row["measure"] == "number" and row["agg_space"] == "sum"
    )
    return render_template(
        "reports/variance_detail.html",
        q=q,
        qs=params.query_string(q),
        data=data,
        row=row,
        indicator=indicator,
        by_province=by_province,
        by_org=by_org,
        chart=charts.forecast_chart(row, lang),
        chart_phone=charts.forecast_chart(row, lang, compact=True),
        adjustments=adjustments,
        may_dedup=may_dedup,
        provinces=sorted(data.provinces.values(), key=lambda p: p.name_en),
        period_id=int(period_row.iloc[0]["period_id"]) if not period_row.empty else None,
        span_titles={k: str(v) for k, v in present.SPAN_TITLES.items()},
        marks=present.STATUS_MARKS,
        num=present.num,
    )


@bp.route("/variance/<code>/dedup", methods=["POST"])
@roles_required(Role.REVIEWER)
def record_dedup(code: str):
    indicator = indicators.get_indicator(db.session, code[:20])
    if indicator is None:
        abort(404)
    period = indicators.get_period(db.session, (request.form.get("period") or "")[:10].upper())
    if period is None:
        abort(404, description=_("Choose a reporting period."))
    province = None
    province_code = (request.form.get("province") or "").strip()[:8].upper()
    if province_code:
        province = stakeholders.provinces_by_code(db.session).get(province_code)
        if province is None:
            abort(400, description=_("There is no province %(value)s.", value=province_code))
    back = url_for("reports.variance_detail", code=indicator.code, period=period.code)
    try:
        with audit.reason((request.form.get("reason") or "")[:2000]):
            dedup.record_adjustment(
                db.session,
                indicator=indicator,
                period=period,
                province=province,
                value=(request.form.get("value") or "")[:30],
                reason=request.form.get("reason") or "",
                user=current_user,
            )
    except ValidationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(back)
    db.session.commit()
    flash(_("The de-duplication adjustment was saved; sector totals now include it."), "success")
    return redirect(back)


@bp.route("/variance/dedup/<int:adjustment_id>/delete", methods=["POST"])
@roles_required(Role.REVIEWER)
def delete_dedup(adjustment_id: int):
    adjustment = db.session.get(DedupAdjustment, adjustment_id)
    if adjustment is None:
        abort(404)
    back = url_for(
        "reports.variance_detail", code=adjustment.indicator.code, period=adjustment.period.code
    )
    with audit.reason(_("de-duplication adjustment removed")):
        dedup.delete_adjustment(db.session, adjustment)
    db.session.commit()
    flash(_("The adjustment was removed."), "success")
    return redirect(back)


# The progress report's pages register on this blueprint too.
from leap_me.reports import views_progress  # noqa: E402, F401
