"""The target grid: years (or the periods of one year) × national and provinces.

Works without JavaScript: cells are inputs, "copy across" and "copy down" are submit
buttons, and a textarea takes rows pasted from a spreadsheet (tab-separated). Only the
cells whose value changed are written, so a year's total typed again never overwrites
period targets set by hand. Nothing is saved unless every changed cell is valid.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from indicators import services
from indicators.models import Frequency, Target
from indicators.services import ValidationError
from indicators.views import bp
from indicators.views.common import load_indicator
from leap_me import audit, locking, numbers
from leap_me.audit import AuditEntry
from leap_me.auth.permissions import roles_required
from leap_me.auth.roles import Role
from leap_me.extensions import db
from leap_me.forms import EmptyForm
from leap_me.history import history_page
from leap_me.i18n import localized
from stakeholders.models import Province

NATIONAL = "KH"


def _columns(version) -> list[tuple[str, int | None, str]]:
    cols = [(NATIONAL, None, _("National"))]
    if version.by_province:
        provinces = db.session.scalars(db.select(Province).order_by(Province.name_en))
        cols += [(p.code, p.id, localized(p)) for p in provinces]
    return cols


def _rows(version, span, year: int | None) -> list[tuple[str, str]]:
    if year is None:
        return [(str(y), str(y)) for y in range(span[0], span[1] + 1)]
    return [(p.code, p.code) for p in services.calendar.periods_of_year(version.frequency, year)]


def _current(indicator, version, year: int | None) -> dict[tuple[str, str], str]:
    by_period = services.targets_by_period(db.session, indicator.id)
    ids = {pid: code for code, pid, _l in _columns(version)}
    if year is None:
        cells = services.yearly_targets(version, by_period)
        return {(str(y), ids.get(p, "")): services.plain(v) for (y, p), v in cells.items()}
    return {(code, ids.get(p, "")): services.plain(v) for (code, p), v in by_period.items()}


def _apply_paste(text: str, rows, cols, cells: dict, span) -> list[str]:
    """Lay rows pasted from a spreadsheet onto the grid; returns the problems found.

    A row may start with its year or period code; a code that is not a row of this table
    (a year outside the plan, a period of another year) is refused, never shifted into
    the wrong row.
    """
    labels = [r for r, _l in rows]
    problems: list[str] = []
    position = 0
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        parts = re.split(r"\t|;", line)
        first = parts[0].strip()
        if first in labels:
            position = labels.index(first)
            parts = parts[1:]
        elif (spec := services.calendar.parse(first)) is not None:
            if not span[0] <= spec.year <= span[1]:
                problems.append(
                    _(
                        "%(year)s is outside the plan (%(start)s–%(end)s): no target can be set.",
                        year=spec.year,
                        start=span[0],
                        end=span[1],
                    )
                )
            else:
                problems.append(_("Row “%(label)s” is not in this table.", label=first))
            continue
        elif re.search(r"[^\W\d_]", first) and not any(re.search(r"\d", p) for p in parts[1:2]):
            continue  # a header row copied with the data
        if position >= len(labels):
            problems.append(_("More rows were pasted than the table has."))
            break
        for col, raw in zip(cols, parts, strict=False):
            if raw.strip():
                cells[(labels[position], col[0])] = raw.strip()
        position += 1
    return problems


def _apply_copy(action: str, rows, cols, cells: dict) -> None:
    kind, _sep, key = action.partition(":")
    if kind == "row":
        source = next((cells.get((key, c)) for c, _i, _l in cols if cells.get((key, c))), None)
        for c, _i, _l in cols:
            if source and not cells.get((key, c)):
                cells[(key, c)] = source
    elif kind == "col":
        source = next((cells.get((r, key)) for r, _l in rows if cells.get((r, key))), None)
        for r, _l in rows:
            if source and not cells.get((r, key)):
                cells[(r, key)] = source


@bp.route("/indicators/<code>/targets", methods=["GET", "POST"])
@roles_required(Role.PLANNER, Role.REVIEWER)
def targets(code: str):
    indicator = load_indicator(code)
    version = indicator.current
    span = services.plan_span(db.session)
    old = _old_rows(indicator)
    if version.measure == "text" or span is None:
        return render_template(
            "indicators/targets.html", ind=indicator, v=version, span=span, old=old
        )
    year = numbers.query_int("year", minimum=1, maximum=9999, args=request.values)
    if version.frequency == Frequency.YEARLY or (year and not span[0] <= year <= span[1]):
        year = None
    rows, cols = _rows(version, span, year), _columns(version)
    stored = _current(indicator, version, year)
    token = grid_token(indicator.id)
    cells = dict(stored)
    errors: dict[tuple[str, str], str] = {}
    problems: list[str] = []
    conflict = None
    if request.method == "POST":
        cells = {
            (r, c): request.form.get(f"c-{r}-{c}", "").strip()
            for r, _l in rows
            for c, _i, _n in cols
        }
        problems = _apply_paste(request.form.get("paste", ""), rows, cols, cells, span)
        if action := request.form.get("copy"):
            _apply_copy(action, rows, cols, cells)
        if not problems and not locking.check(locking.submitted_token(), token):
            conflict = locking.conflict_of_cells(
                token,
                stored,
                cells,
                {(r, c): f"{label} · {clabel}" for r, label in rows for c, _i, clabel in cols},
                discard_url=url_for("indicators.targets", code=code, year=year),
            )
            conflict = conflict if conflict.rows else None
    if request.method == "POST" and conflict is None:
        changed = 0
        province_ids = {c: pid for c, pid, _n in cols}
        with audit.reason(request.form.get("reason") or None):
            for (r, c), raw in cells.items():
                if raw == stored.get((r, c), ""):
                    continue
                try:
                    if year is None:
                        services.set_year_target(
                            db.session, indicator, int(r), province_ids[c], raw
                        )
                    else:
                        services.set_target(db.session, indicator, r, province_ids[c], raw)
                    changed += 1
                except ValidationError as error:
                    errors[(r, c)] = error.message
        if problems:
            db.session.rollback()
            for problem in problems:
                flash(problem, "error")
            flash(_("Nothing was saved."), "error")
        elif errors:
            db.session.rollback()
            flash(
                _(
                    "%(count)s cells are not valid; nothing was saved. Correct the cells "
                    "marked in red.",
                    count=len(errors),
                ),
                "error",
            )
        else:
            db.session.commit()
            flash(_("%(count)s targets saved.", count=changed), "success")
            return redirect(url_for("indicators.targets", code=code, year=year))
    return (
        render_template(
            "indicators/targets.html",
            ind=indicator,
            v=version,
            span=span,
            year=year,
            rows=rows,
            cols=cols,
            cells=cells,
            errors=errors,
            years=list(range(span[0], span[1] + 1)),
            lock_token=token,
            conflict=conflict,
            old=old,
        ),
        conflict.status
        if conflict
        else 400
        if errors or (request.method == "POST" and problems)
        else 200,
    )


def grid_token(indicator_id: int) -> str:
    """The target grid's lock: a fingerprint of every target the indicator has."""
    return locking.fingerprint(
        (code, province_id, value)
        for (code, province_id), value in services.targets_by_period(
            db.session, indicator_id
        ).items()
    )


@bp.route("/indicators/<code>/targets/history")
@roles_required(Role.ADMIN, Role.PLANNER, Role.REVIEWER)
def target_history(code: str):
    """Who changed which target, from what to what, and why (from the audit trail)."""
    indicator = load_indicator(code)
    stmt = (
        sa.select(AuditEntry)
        .where(
            AuditEntry.object_type == Target.__tablename__,
            AuditEntry.object_label.startswith(f"{indicator.code} ", autoescape=True),
        )
        .order_by(AuditEntry.created_dt.desc(), AuditEntry.id.desc())
    )
    return history_page(
        stmt,
        _("Target history of %(code)s", code=indicator.code),
        url_for("indicators.pirs", code=indicator.code),
        per_page=50,
    )


# --- targets of an earlier definition --------------------------------------------------


def _old_rows(indicator) -> list[dict]:
    """The stored targets the grid of the current definition cannot show (see
    ``services.old_targets``), ready for the table above the grid."""
    old = services.old_targets(db.session, indicator)
    if not old:
        return []
    names = {p.id: localized(p) for p in db.session.scalars(db.select(Province))}
    why = {
        services.targets.OLD_FREQUENCY: _("a period of another frequency"),
        services.targets.OLD_MEASURE: _("not a valid target for the current measure"),
    }
    return [
        {
            "period": t.period_code,
            "where": names.get(t.province_id, "") if t.province_id else _("National"),
            "value": services.plain(t.value),
            "reason": reason,
            "why": why[reason],
        }
        for t, reason in old
    ]


def _confirmed() -> bool:
    if request.form.get("confirm") != "yes":
        flash(_("Tick the box to confirm; nothing was changed."), "error")
        return False
    return True


@bp.route("/indicators/<code>/targets/old/resplit", methods=["POST"])
@roles_required(Role.PLANNER, Role.REVIEWER)
def resplit_old_targets(code: str):
    indicator = load_indicator(code)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if _confirmed():
        version = indicator.current
        with audit.reason(
            request.form.get("reason")
            or _(
                "Targets of an earlier definition re-split to %(frequency)s periods",
                frequency=version.frequency_enum.title.lower(),
            )
        ):
            done = services.resplit_old_targets(db.session, indicator)
        db.session.commit()
        flash(
            _(
                "%(moved)s old targets were replaced by %(written)s targets of the current "
                "frequency.",
                moved=done.moved,
                written=done.written,
            ),
            "success",
        )
        if done.kept:
            flash(
                _(
                    "%(count)s years were left as they were: they already have targets of "
                    "the current frequency, lie outside the plan, or their total is not a "
                    "valid target. Remove their old targets if they are not needed.",
                    count=len(done.kept),
                ),
                "warning",
            )
    return redirect(url_for("indicators.targets", code=code) + "#old-targets")


@bp.route("/indicators/<code>/targets/old/remove", methods=["POST"])
@roles_required(Role.PLANNER, Role.REVIEWER)
def remove_old_targets(code: str):
    indicator = load_indicator(code)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if _confirmed():
        with audit.reason(
            request.form.get("reason") or _("Targets of an earlier definition removed")
        ):
            count = services.remove_old_targets(db.session, indicator)
        db.session.commit()
        flash(_("%(count)s old targets were removed.", count=count), "success")
    return redirect(url_for("indicators.targets", code=code) + "#old-targets")
