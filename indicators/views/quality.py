"""Data quality (findings with filters, counts by kind and state, trend over periods),
cross-check rules (planners), completeness and timeliness, and notifications."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from indicators.models import Indicator, PeriodStatus, ReportingPeriod
from indicators.models.enums import FindingKind, FindingState, RuleOp
from indicators.services.common import ValidationError
from indicators.views import bp
from indicators.views import subs_common as sc
from leap_me import audit
from leap_me.auth.permissions import roles_required, signed_in
from leap_me.auth.roles import Role
from leap_me.extensions import db
from leap_me.forms import EmptyForm
from leap_me.listing import Listing
from stakeholders.models import Organisation, Province

PER_PAGE = 25
QUALITY_READERS = (Role.REVIEWER, Role.PLANNER, Role.ADMIN)


def _quality():
    from indicators.services import quality

    return quality


# --- findings -------------------------------------------------------------------------


@bp.route("/quality")
@roles_required(*QUALITY_READERS)
def quality():
    from indicators.models.quality import Finding

    stmt = (
        sa.select(Finding)
        .outerjoin(ReportingPeriod, ReportingPeriod.id == Finding.period_id)
        .outerjoin(Organisation, Organisation.id == Finding.organisation_id)
        .outerjoin(Province, Province.id == Finding.province_id)
        .outerjoin(Indicator, Indicator.id == Finding.indicator_id)
        .where(Finding.active.is_(True))
        .options(
            sa.orm.contains_eager(Finding.period),
            sa.orm.contains_eager(Finding.organisation),
            sa.orm.contains_eager(Finding.province),
            sa.orm.contains_eager(Finding.indicator),
            sa.orm.selectinload(Finding.rule),
            sa.orm.selectinload(Finding.value),
        )
    )
    filters = {
        "period": ReportingPeriod.code,
        "org": Organisation.code,
        "province": Province.code,
        "indicator": Indicator.code,
        "kind": Finding.kind,
        "state": Finding.state,
    }
    listing = Listing(
        stmt,
        sorts={
            "period": ReportingPeriod.start_date,
            "kind": Finding.kind,
            "state": Finding.state,
            "created": Finding.created_at,
        },
        default_sort="created",
        filters=filters,
    )
    if "sort" not in request.args:
        listing.direction = "desc"
    page = listing.paginate(db.session, current_app.config["PAGE_SIZE"])
    # counts and trend over the same filters (except the one being counted)
    base = (
        sa.select(Finding.kind, Finding.state, sa.func.count())
        .outerjoin(ReportingPeriod, ReportingPeriod.id == Finding.period_id)
        .outerjoin(Organisation, Organisation.id == Finding.organisation_id)
        .outerjoin(Province, Province.id == Finding.province_id)
        .outerjoin(Indicator, Indicator.id == Finding.indicator_id)
        .where(Finding.active.is_(True))
    )
    for key, value in listing.active_filters.items():
        base = base.where(filters[key] == value)
    counts: dict[str, dict[str, int]] = {}
    for kind, state, n in db.session.execute(base.group_by(Finding.kind, Finding.state)):
        counts.setdefault(kind, {})[state] = n
    trend_stmt = base.with_only_columns(
        ReportingPeriod.code, ReportingPeriod.start_date, Finding.state, sa.func.count()
    ).group_by(ReportingPeriod.code, ReportingPeriod.start_date, Finding.state)
    trend: dict[str, dict[str, int]] = {}
    order = []
    for code, _start, state, n in db.session.execute(
        trend_stmt.order_by(ReportingPeriod.start_date)
    ):
        if code not in trend:
            order.append(code)
        trend.setdefault(code, {})[state] = n
    return render_template(
        "indicators/quality/findings.html",
        listing=listing,
        page=page,
        counts=counts,
        kinds=list(FindingKind),
        states=list(FindingState),
        trend=sc.trend_chart([(c, trend[c]) for c in order[-12:]], list(FindingState)),
        can_decide=sc.can_review(current_user),
        finding_text=sc.finding_text,
        periods=list(
            db.session.scalars(
                sa.select(ReportingPeriod.code)
                .where(ReportingPeriod.id.in_(sa.select(Finding.period_id)))
                .order_by(ReportingPeriod.start_date.desc())
            )
        ),
        organisations=list(db.session.scalars(sa.select(Organisation).order_by(Organisation.code))),
        provinces=list(db.session.scalars(sa.select(Province).order_by(Province.name_en))),
        indicators=list(
            db.session.scalars(
                sa.select(Indicator.code)
                .where(Indicator.id.in_(sa.select(Finding.indicator_id)))
                .order_by(Indicator.code)
            )
        ),
    )


@bp.route("/quality/findings/<int:finding_id>/<action>", methods=["POST"])
@roles_required(Role.REVIEWER)
def decide_finding(finding_id: int, action: str):
    from indicators.models.quality import Finding

    if action not in ("resolve", "dismiss"):
        abort(404)
    finding = db.session.get(Finding, finding_id)
    if finding is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    back = request.form.get("next", "")
    back = (
        back if back.startswith("/quality") and "//" not in back else url_for("indicators.quality")
    )
    reason = request.form.get("reason", "").strip()[:1000]
    if not reason:
        flash(_("Give a reason: it is kept with the finding."), "error")
        return redirect(back)
    q = _quality()
    try:
        with audit.reason(reason):
            if action == "dismiss":
                q.dismiss(db.session, finding, user=current_user, reason=reason)
            else:
                q.resolve(db.session, finding, user=current_user, reason=reason)
    except ValidationError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(back)
    db.session.commit()
    flash(_("Finding resolved.") if action == "resolve" else _("Finding dismissed."), "success")
    return redirect(back)


# --- cross-check rules ----------------------------------------------------------------

TERM = re.compile(
    r"^\s*([A-Za-z0-9_.-]{1,20})\s*(?:\[\s*([a-z0-9_]{1,30}:[A-Za-z0-9_]{1,30})\s*\])?\s*$"
)


def parse_terms(text: str) -> list[dict]:
    """ "AHTJP-05 + MOJ-01[sex:F]" → [{"indicator": "AHTJP-05", "option": None}, …]."""
    text = (text or "").strip()[:500]
    if not text:
        raise ValueError(_("Name at least one indicator on each side."))
    terms = []
    for chunk in text.split("+"):
        m = TERM.match(chunk)
        if not m:
            raise ValueError(
                _(
                    "“%(term)s” is not an indicator code, optionally with [category:option].",
                    term=chunk.strip(),
                )
            )
        terms.append({"indicator": m.group(1), "option": m.group(2)})
    return terms


def terms_text(terms) -> str:
    return " + ".join(
        t["indicator"] + (f"[{t['option']}]" if t.get("option") else "") for t in terms or []
    )


@bp.route("/quality/rules")
@roles_required(*QUALITY_READERS)
def rules():
    from indicators.models.quality import CrossCheckRule

    items = list(db.session.scalars(sa.select(CrossCheckRule).order_by(CrossCheckRule.code)))
    return render_template(
        "indicators/quality/rules.html",
        rules=items,
        terms_text=terms_text,
        can_edit=current_user.role == Role.PLANNER,
    )


def _rule_form_data(rule=None) -> dict:
    if request.method == "POST":
        f = request.form
        return {
            k: f.get(k, "")[:500]
            for k in ("code", "name_en", "name_km", "left", "op", "right", "tolerance")
        } | {"active": f.get("active") == "y"}
    if rule is None:
        return {
            "code": "",
            "name_en": "",
            "name_km": "",
            "left": "",
            "op": "within",
            "right": "",
            "tolerance": "10",
            "active": True,
        }
    return {
        "code": rule.code,
        "name_en": rule.name_en,
        "name_km": rule.name_km,
        "left": terms_text(rule.left_terms),
        "op": rule.op,
        "right": terms_text(rule.right_terms),
        "tolerance": "" if rule.tolerance_pct is None else f"{rule.tolerance_pct.normalize():f}",
        "active": rule.active,
    }


def _validate_rule(data: dict) -> tuple[dict, dict]:
    errors: dict[str, str] = {}
    clean: dict = {}
    code = data["code"].strip()
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,30}", code):
        errors["code"] = _("Letters, digits, dot, dash or underscore; at most 30.")
    clean["code"] = code
    clean["name_en"] = data["name_en"].strip()[:300]
    if not clean["name_en"]:
        errors["name_en"] = _("Give the rule a name.")
    clean["name_km"] = data["name_km"].strip()[:300]
    for side in ("left", "right"):
        try:
            clean[side] = parse_terms(data[side])
        except ValueError as error:
            errors[side] = str(error)
    if data["op"] not in {o.value for o in RuleOp}:
        errors["op"] = _("Choose how the sides compare.")
    clean["op"] = data["op"]
    clean["tolerance_pct"] = None
    if data["op"] == "within":
        try:
            tol = Decimal(data["tolerance"].strip().replace(",", "."))
            if not (Decimal(0) <= tol <= Decimal(100)):
                raise InvalidOperation
            clean["tolerance_pct"] = tol
        except (InvalidOperation, ValueError):
            errors["tolerance"] = _("Type a percentage between 0 and 100.")
    clean["active"] = data["active"]
    return clean, errors


#: The service's field names → the form's.
_FIELD = {"tolerance_pct": "tolerance", "left_terms": "left", "right_terms": "right"}


def _rule_page(rule, data, errors, status=200):
    return (
        render_template(
            "indicators/quality/rule_form.html",
            rule=rule,
            data=data,
            errors=errors,
            ops=list(RuleOp),
        ),
        status,
    )


@bp.route("/quality/rules/new", methods=["GET", "POST"])
@roles_required(Role.PLANNER)
def new_rule():
    data = _rule_form_data()
    if request.method == "GET":
        return _rule_page(None, data, {})
    if not EmptyForm().validate_on_submit():
        abort(400)
    clean, errors = _validate_rule(data)
    if errors:
        return _rule_page(None, data, errors, 400)
    q = _quality()
    try:
        rule = q.create_rule(db.session, clean, user=current_user)
    except ValidationError as error:
        db.session.rollback()
        errors[_FIELD.get(error.field, error.field or "code")] = error.message
        return _rule_page(None, data, errors, 400)
    db.session.commit()
    flash(_("Rule %(code)s is created.", code=rule.code), "success")
    return redirect(url_for("indicators.rules"))


def _load_rule(rule_id: int):
    from indicators.models.quality import CrossCheckRule

    rule = db.session.get(CrossCheckRule, rule_id)
    if rule is None:
        abort(404)
    return rule


@bp.route("/quality/rules/<int:rule_id>/edit", methods=["GET", "POST"])
@roles_required(Role.PLANNER)
def edit_rule(rule_id: int):
    rule = _load_rule(rule_id)
    data = _rule_form_data(rule)
    if request.method == "GET":
        return _rule_page(rule, data, {})
    if not EmptyForm().validate_on_submit():
        abort(400)
    clean, errors = _validate_rule(data)
    if errors:
        return _rule_page(rule, data, errors, 400)
    q = _quality()
    try:
        q.update_rule(db.session, rule, clean)
    except ValidationError as error:
        db.session.rollback()
        errors[_FIELD.get(error.field, error.field or "code")] = error.message
        return _rule_page(rule, data, errors, 400)
    db.session.commit()
    flash(_("Rule %(code)s is saved.", code=rule.code), "success")
    return redirect(url_for("indicators.rules"))


@bp.route("/quality/rules/<int:rule_id>/delete", methods=["POST"])
@roles_required(Role.PLANNER)
def delete_rule(rule_id: int):
    rule = _load_rule(rule_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    code = rule.code
    q = _quality()
    try:
        q.delete_rule(db.session, rule)
    except ValidationError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("indicators.rules"))
    db.session.commit()
    flash(_("Rule %(code)s is deleted.", code=code), "success")
    return redirect(url_for("indicators.rules"))


# --- completeness ---------------------------------------------------------------------


@bp.route("/completeness")
@roles_required(*QUALITY_READERS)
def completeness():
    from indicators.services import completeness as comp

    periods = list(
        db.session.scalars(
            sa.select(ReportingPeriod)
            .where(ReportingPeriod.status != PeriodStatus.PLANNED.value)
            .order_by(ReportingPeriod.start_date.desc(), ReportingPeriod.frequency)
        )
    )
    code = request.args.get("period", "")[:10]
    period = next((p for p in periods if p.code == code), None)
    if period is None and code:
        abort(404)
    if period is None and periods:
        period = sc.default_period(periods)
    report = comp.completeness(db.session, period) if period else None
    rows = sc.completeness_rows(report, request.args.get("sort", ""), request.args.get("dir"))
    return render_template(
        "indicators/quality/completeness.html",
        periods=periods,
        period=period,
        report=report,
        rows=rows,
        sort=request.args.get("sort", ""),
        direction=request.args.get("dir", "asc"),
    )


# --- notifications --------------------------------------------------------------------


@bp.route("/notifications")
@signed_in
def notifications():
    from indicators.services import notifications as notes

    try:
        number = max(1, int(request.args.get("page", "1")))
    except ValueError:
        number = 1
    items, total = notes.list_for(db.session, current_user, number, PER_PAGE)
    page = sc.SimplePage(items, number, PER_PAGE, total)
    return render_template(
        "indicators/notifications.html", page=page, message_text=notes.message_text
    )


@bp.route("/notifications/read", methods=["POST"])
@signed_in
def read_notifications():
    from indicators.services import notifications as notes

    if not EmptyForm().validate_on_submit():
        abort(400)
    notes.mark_read(db.session, current_user)
    db.session.commit()
    flash(_("All notifications are marked as read."), "success")
    return redirect(url_for("indicators.notifications"))


@bp.app_context_processor
def _notification_count():
    """The unread count in the navigation, asked only when the page shows it."""

    def count() -> int:
        if not current_user or not current_user.is_authenticated:
            return 0
        from indicators.services import notifications as notes

        return notes.unread_count(db.session, current_user)

    return {"notification_count": count}
