"""What the submission pages share: loading a submission by organisation and period code
(404 for an unknown one and for another organisation's, as a partner), and turning the
service's grid into the rows the grid and the review page show.

The grid and the review page read everything through ``submissions.grid`` (a constant
number of queries); this module only reshapes it for the templates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from indicators.models import ReportingPeriod
from leap_me.auth import permissions as _perms
from leap_me.extensions import db
from stakeholders.models import Organisation

#: Who opens submission pages at all (each page then checks the submission itself):
#: donors and other viewers read approved figures in reports, never drafts.
SUB_READERS = ("partner", "reviewer", "planner", "admin")

#: The fields of one grid cell in the form: value, numerator, denominator, text,
#: comment, explanation. Each is bounded before it is read.
CELL_FIELDS = ("v", "n", "d", "t", "c", "x")
FIELD_LIMITS = {"v": 100, "n": 100, "d": 100, "t": 4000, "c": 2000, "x": 2000}
#: A grid never has more rows than this; a larger form is refused before it is read.
MAX_ROWS = 5000


# The permission rules live in leap_me/auth/permissions.py (sub-core adds them); until they
# are there, the same rules stand here so that the pages work.
def _fallback_view(user, sub) -> bool:
    if not user.is_authenticated:
        return False
    if user.role == "partner":
        return user.organisation_id == sub.organisation_id
    return True


def _fallback_edit(user, sub) -> bool:
    return (
        user.is_authenticated
        and user.role == "partner"
        and user.organisation_id == sub.organisation_id
        and sub.is_editable_by_partner
    )


def _fallback_review(user) -> bool:
    return user.is_authenticated and user.role == "reviewer"


def _fallback_comment(user, value) -> bool:
    if not user.is_authenticated:
        return False
    if user.role == "reviewer":
        return True
    return user.role == "partner" and user.organisation_id == value.organisation_id


can_view_submission = getattr(_perms, "can_view_submission", _fallback_view)
can_edit_submission = getattr(_perms, "can_edit_submission", _fallback_edit)
can_review = getattr(_perms, "can_review", _fallback_review)
can_comment = getattr(_perms, "can_comment", _fallback_comment)


def may_enter(user, sub) -> bool:
    """The partner may type into the grid: a draft or returned submission of an open
    period, or an approved one where a reviewer re-opened values for correction."""
    if can_edit_submission(user, sub):
        return True
    if user.role != "partner" or user.organisation_id != sub.organisation_id:
        return False
    if sub.status != "approved" or sub.period.status != "open":
        return False
    from indicators.models import DataValue

    return bool(
        db.session.scalar(
            sa.select(sa.func.count()).where(
                DataValue.submission_id == sub.id, DataValue.reopened.is_(True)
            )
        )
    )


def load_org_period(org_code: str, period_code: str) -> tuple[Organisation, ReportingPeriod]:
    org = db.session.scalar(sa.select(Organisation).where(Organisation.code == org_code[:20]))
    period = db.session.scalar(
        sa.select(ReportingPeriod).where(ReportingPeriod.code == period_code[:10])
    )
    if org is None or period is None:
        abort(404)
    # A partner never learns whether another organisation's submission exists.
    if current_user.role == "partner" and current_user.organisation_id != org.id:
        abort(404)
    return org, period


def find_submission(org: Organisation, period: ReportingPeriod):
    from indicators.models.submissions import Submission

    return db.session.scalar(
        sa.select(Submission).where(
            Submission.organisation_id == org.id, Submission.period_id == period.id
        )
    )


def load_submission(org_code: str, period_code: str):
    """The submission (404 when missing or not visible to the current user)."""
    org, period = load_org_period(org_code, period_code)
    sub = find_submission(org, period)
    if sub is None:
        abort(404)
    if not can_view_submission(current_user, sub):
        abort(404 if current_user.role == "partner" else 403)
    return sub


def row_key(indicator_id: int, province_id: int | None, disagg_key: str) -> str:
    return f"{indicator_id}.{province_id or 0}.{disagg_key}"


@dataclass
class RowVM:
    """One owed row as the templates show it."""

    index: int
    key: str
    source: Any  # the service's grid row
    owed: Any
    value: Any  # DataValue or None
    typed: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    flags: list[Any] = field(default_factory=list)
    comments: list[Any] = field(default_factory=list)
    previous: Any = None
    target: Any = None
    label: str = ""
    approved_text: str = ""
    current_text: str = ""

    @property
    def invalid(self) -> bool:
        return bool(self.errors)

    @property
    def needs_explanation(self) -> bool:
        return bool(self.warnings or self.flags)

    @property
    def locked(self) -> bool:
        """Approved and not re-opened: read-only for the partner."""
        v = self.value
        return v is not None and v.status == "approved" and not v.reopened

    @property
    def changed_since_approval(self) -> bool:
        v = self.value
        if v is None or not v.approved_value:
            return False
        return v.snapshot() != {k: v.approved_value.get(k, "") for k in v.snapshot()}


@dataclass
class IndicatorVM:
    indicator: Any
    version: Any
    rows: list[RowVM]


@dataclass
class GroupVM:
    code: str
    name: Any
    indicators: list[IndicatorVM]


def typed_of(value) -> dict[str, str]:
    """What the cell shows: the stored figure, or what was typed when it was invalid."""
    if value is None:
        return {k: "" for k in CELL_FIELDS}
    snap = value.snapshot()
    return {
        "v": snap["value"],
        "n": snap["numerator"],
        "d": snap["denominator"],
        "t": snap["text"],
        "c": value.comment or "",
        "x": value.explanation or "",
    }


def read_cells(form, count: int) -> list[dict[str, str]]:
    """The typed cells of the grid form, each field cut to its limit."""
    cells = []
    for i in range(min(count, MAX_ROWS)):
        cell = {"key": form.get(f"k{i}", "")[:300]}
        for name in CELL_FIELDS:
            cell[name] = form.get(f"{name}{i}", "")[: FIELD_LIMITS[name]]
        cells.append(cell)
    return cells


# --- the grid's rows for the templates -------------------------------------------------


def lang() -> str:
    from leap_me.i18n import current_lang

    return current_lang()


def _loc(names) -> str:
    if not names:
        return ""
    if isinstance(names, dict):
        return (names.get("km") if lang() == "km" else "") or names.get("en", "")
    from leap_me.i18n import localized

    return localized(names, "statement")


def url_of(sub) -> str:
    from flask import url_for

    return url_for(
        "indicators.submission", org_code=sub.organisation.code, period_code=sub.period.code
    )


def _flat_rows(grid) -> list:
    """The service's grid rows, in order, whatever grouping it carries."""
    rows = getattr(grid, "rows", None)
    if rows is not None:
        return list(rows)
    out = []
    for group in grid.groups:
        for item in getattr(group, "indicators", None) or []:
            out.extend(item.rows)
    return out


def _text(x) -> str:
    if x is None:
        return ""
    return str(getattr(x, "text", x))


def shown_value(owed, value) -> str:
    """A stored figure as the page shows it (for diffs and conflict tables)."""
    if value is None:
        return ""
    snap = value if isinstance(value, dict) else value.snapshot()
    measure = owed.version.measure if owed is not None else "number"
    if measure in ("percentage", "ratio"):
        num, den = snap.get("numerator", ""), snap.get("denominator", "")
        return f"{num} / {den}" if (num or den) else ""
    if measure == "text":
        return snap.get("text", "")
    return snap.get("value", "")


def build_groups(grid, typed: dict | None = None, outcome: dict | None = None):
    """(groups, rows): outcome → indicator → rows, each a :class:`RowVM`."""
    from indicators.models.submissions import ValueComment

    source_rows = _flat_rows(grid)
    value_ids = [r.value.id for r in source_rows if getattr(r, "value", None) is not None]
    comments: dict[int, list] = {}
    if value_ids:
        for c in db.session.scalars(
            sa.select(ValueComment)
            .where(ValueComment.value_id.in_(value_ids))
            .options(sa.orm.selectinload(ValueComment.user))
            .order_by(ValueComment.created_at, ValueComment.id)
        ):
            comments.setdefault(c.value_id, []).append(c)
    groups: list[GroupVM] = []
    by_outcome: dict[str, GroupVM] = {}
    by_indicator: dict[int, IndicatorVM] = {}
    rows: list[RowVM] = []
    for i, src in enumerate(source_rows):
        owed = getattr(src, "owed", None) or getattr(src, "row", None)
        value = getattr(src, "value", None)
        key = row_key(owed.indicator.id, owed.province_id, owed.disagg_key)
        vm = RowVM(index=i, key=key, source=src, owed=owed, value=value)
        vm.typed = (typed or {}).get(key) or typed_of(value)
        for e in getattr(src, "errors", None) or []:
            if _text(e) not in vm.errors:
                vm.errors.append(_text(e))
        if not vm.errors and value is not None and value.error:
            vm.errors.append(value.error)
        vm.warnings = [_text(w) for w in (getattr(src, "warnings", None) or [])]
        vm.flags = list(getattr(src, "flags", None) or [])
        for f in vm.flags:
            t = finding_text(f) if hasattr(f, "kind") else _text(f)
            if t and t not in vm.warnings:
                vm.warnings.append(t)
        if outcome and key in outcome:
            o = outcome[key]
            for e in getattr(o, "errors", []) or []:
                if _text(e) not in vm.errors:
                    vm.errors.append(_text(e))
        vm.previous = _display(owed, getattr(src, "previous", None))
        vm.target = _display(owed, getattr(src, "target", None))
        vm.comments = comments.get(value.id, []) if value is not None else []
        if value is not None and value.approved_value:
            vm.approved_text = shown_value(owed, value.approved_value)
            vm.current_text = shown_value(owed, value)
        rows.append(vm)
        group = by_outcome.get(owed.outcome_code)
        if group is None:
            group = GroupVM(owed.outcome_code, _loc(owed.outcome_name), [])
            by_outcome[owed.outcome_code] = group
            groups.append(group)
        item = by_indicator.get(owed.indicator.id)
        if item is None:
            item = IndicatorVM(owed.indicator, owed.version, [])
            by_indicator[owed.indicator.id] = item
            group.indicators.append(item)
        vm.label = _row_label(owed)
        item.rows.append(vm)
    return groups, rows


def _row_label(owed) -> str:
    from flask_babel import gettext as _

    from leap_me.i18n import localized

    parts = []
    if owed.province is not None:
        parts.append(localized(owed.province))
    parts.append(_loc(owed.label) if not owed.is_total else _("Total"))
    return " · ".join(p for p in parts if p)


def _display(owed, x) -> str:
    """A previous value or a target, whatever shape the service gives it."""
    from leap_me.i18n import number

    if x is None or x == "":
        return ""
    if hasattr(x, "snapshot"):
        x = x.snapshot()
    if isinstance(x, dict):
        return shown_value(owed, x)
    if hasattr(x, "value") and not isinstance(x, (int, float)):
        x = x.value
    try:
        from decimal import Decimal

        d = Decimal(str(x))
        if owed.version.measure == "yesno":
            from flask_babel import gettext as _

            return _("Yes") if d == 1 else _("No")
        return number(d, 0 if d == d.to_integral_value() else 2)
    except Exception:  # noqa: BLE001 - a text answer
        return str(x)


# --- findings, events, evidence -------------------------------------------------------


def finding_text(f) -> str:
    """The message of a finding in the user's language (from the service when it has one)."""
    from indicators.services import quality

    return quality.finding_text(f) or f.kind_enum.title


def evidence_of(sub) -> list:
    from indicators.models.submissions import Evidence

    return list(
        db.session.scalars(
            sa.select(Evidence)
            .where(Evidence.submission_id == sub.id)
            .order_by(Evidence.created_at, Evidence.id)
        )
    )


@dataclass
class EventVM:
    at: Any
    who: str
    what: str
    from_status: str | None = None
    to_status: str | None = None
    reason: str | None = None
    detail: str = ""


def event_title(action: str) -> str:
    from flask_babel import gettext as _

    return {
        "created": _("Created"),
        "saved": _("Draft saved"),
        "submitted": _("Submitted"),
        "returned": _("Returned"),
        "approved": _("Approved"),
        "reopened": _("Re-opened"),
        "value_reopened": _("One value re-opened"),
        "value_approved": _("Value approved"),
    }.get(action, action)


def _detail_text(detail) -> str:
    if not detail:
        return ""
    if isinstance(detail, dict):
        return ", ".join(f"{k}: {v}" for k, v in detail.items() if not isinstance(v, (dict, list)))
    return str(detail)


def all_events(sub) -> list[EventVM]:
    from indicators.models.submissions import SubmissionEvent

    events = db.session.scalars(
        sa.select(SubmissionEvent)
        .where(SubmissionEvent.submission_id == sub.id)
        .options(sa.orm.selectinload(SubmissionEvent.user))
        .order_by(SubmissionEvent.at.desc(), SubmissionEvent.id.desc())
    )
    return [
        EventVM(
            e.at,
            (e.user.full_name or e.user.username) if e.user else "",
            event_title(e.action),
            e.from_status,
            e.to_status,
            e.reason,
            _detail_text(e.detail),
        )
        for e in events
    ]


def recent_events(sub) -> list[EventVM]:
    return all_events(sub)[:5]


def queue_stats(session, ids: list[int]) -> dict[int, dict[str, int]]:
    """Per submission: findings still open or explained, and explanations given."""
    from indicators.models.quality import Finding

    if not ids:
        return {}
    out: dict[int, dict[str, int]] = {}
    stmt = (
        sa.select(
            Finding.submission_id,
            sa.func.count(),
            sa.func.sum(sa.case((Finding.explanation.is_not(None), 1), else_=0)),
        )
        .where(Finding.submission_id.in_(ids), Finding.active.is_(True))
        .group_by(Finding.submission_id)
    )
    for sid, flags, explained in session.execute(stmt):
        out[sid] = {"flags": flags, "explained": int(explained or 0)}
    return out


# --- completeness ---------------------------------------------------------------------


def default_period(periods):
    """The latest open period, else the latest one."""
    for p in periods:
        if p.status == "open":
            return p
    return periods[0]


def _pct(x) -> str:
    if x is None:
        return "—"
    from leap_me.i18n import number

    return number(x, 0 if x == int(x) else 1) + " %"


def completeness_rows(report, sort: str, direction: str | None):
    """Rows of the completeness page, the late ones first unless another sort is asked."""
    if report is None:
        return None
    keys = ("expected", "submitted", "approved", "on_time", "completeness", "timeliness")

    def get(x, k, default=None):
        return x.get(k, default) if isinstance(x, dict) else getattr(x, k, default)

    def vm(x, name, url=None):
        d = {k: get(x, k, 0) for k in keys}
        raw = dict(d)
        d["completeness"] = _pct(raw["completeness"])
        d["timeliness"] = _pct(raw["timeliness"])
        d["raw"] = raw
        d["name"] = name
        d["url"] = url
        d["late"] = bool(get(x, "late", 0))
        d["status"] = get(x, "status", "")
        return d

    from leap_me.i18n import localized

    orgs = []
    for x in get(report, "organisations", None) or get(report, "per_organisation", None) or []:
        org = get(x, "organisation")
        orgs.append(vm(x, (org.acronym or org.code) if org is not None else get(x, "name", "")))
    provs = []
    for x in get(report, "provinces", None) or get(report, "per_province", None) or []:
        prov = get(x, "province")
        provs.append(vm(x, localized(prov) if prov is not None else _national()))
    overall = vm(get(report, "overall", report), "")

    def order(items):
        if sort in keys or sort == "name":
            return sorted(
                items,
                key=lambda d: d["name"] if sort == "name" else (d["raw"][sort] or 0),
                reverse=direction == "desc",
            )
        return sorted(items, key=lambda d: (not d["late"], d["raw"]["timeliness"] or 0, d["name"]))

    return {"overall": overall, "organisations": order(orgs), "provinces": order(provs)}


def _national() -> str:
    from flask_babel import gettext as _

    return _("National")


# --- the trend chart (SVG made on the server) ------------------------------------------


def trend_chart(series: list[tuple[str, dict[str, int]]], states) -> str:
    """Stacked bars of findings per period by state, as inline SVG (no script)."""
    from markupsafe import escape

    if not series:
        return ""
    colours = {
        "open": "#b03a2e",
        "explained": "#b9770e",
        "resolved": "#1e8449",
        "dismissed": "#626567",
    }
    top = max(sum(c.values()) for _p, c in series) or 1
    bar, gap, height, left, bottom = 38, 16, 150, 36, 28
    width = left + len(series) * (bar + gap) + 10
    parts = [
        f'<svg class="svg-chart dq-trend" viewBox="0 0 {width} {height + bottom + 30}" '
        f'role="img" aria-labelledby="dq-trend-title"><title id="dq-trend-title">'
        f"{escape(_trend_title())}</title>"
    ]
    for i, (code, counts) in enumerate(series):
        x = left + i * (bar + gap)
        y = height
        for s in states:
            n = counts.get(s.value, 0)
            if not n:
                continue
            h = n / top * (height - 10)
            y -= h
            parts.append(
                f'<rect x="{x}" y="{y:.1f}" width="{bar}" height="{h:.1f}" '
                f'fill="{colours.get(s.value, "#555")}"><title>{escape(code)} · '
                f"{escape(s.title)}: {n}</title></rect>"
            )
        total = sum(counts.values())
        parts.append(
            f'<text x="{x + bar / 2}" y="{y - 4:.1f}" text-anchor="middle" font-size="11">'
            f"{total}</text>"
        )
        parts.append(
            f'<text x="{x + bar / 2}" y="{height + 16}" text-anchor="middle" font-size="11">'
            f"{escape(code)}</text>"
        )
    lx = left
    for s in states:
        parts.append(
            f'<rect x="{lx}" y="{height + bottom + 8}" width="10" height="10" '
            f'fill="{colours.get(s.value, "#555")}"></rect>'
            f'<text x="{lx + 14}" y="{height + bottom + 17}" font-size="11">'
            f"{escape(s.title)}</text>"
        )
        lx += 14 + 9 * len(str(s.title)) + 14
    parts.append("</svg>")
    return "".join(parts)


def _trend_title() -> str:
    from flask_babel import gettext as _

    return _("Findings per period, by state")


# --- from the form to the service, and back --------------------------------------------


def parse_key(key: str) -> tuple[int, int | None, str] | None:
    ind, sep, rest = key.partition(".")
    prov, sep2, dk = rest.partition(".")
    if not (sep and sep2 and ind.isdigit() and prov.isdigit()):
        return None
    return int(ind), (int(prov) or None), dk


def to_cell_inputs(subs, typed: list[dict]) -> list:
    cells = []
    for c in typed:
        parsed = parse_key(c["key"])
        if parsed is None:
            continue
        ind, prov, dk = parsed
        cells.append(
            subs.CellInput(
                indicator_id=ind,
                province_id=prov,
                disagg_key=dk,
                value=c["v"],
                numerator=c["n"],
                denominator=c["d"],
                text=c["t"],
                comment=c["c"],
                explanation=c["x"],
            )
        )
    return cells


def _cell_key(cell) -> str:
    key = getattr(cell, "key", None)
    if isinstance(key, tuple):
        return row_key(*key)
    if isinstance(key, str):
        return key
    return row_key(cell.indicator_id, cell.province_id, cell.disagg_key)


def _plain(x) -> str:
    if x is None:
        return ""
    if isinstance(x, dict):
        bits = [
            x.get("value") or "",
            x.get("numerator") or "",
            x.get("denominator") or "",
            x.get("text") or "",
        ]
        if bits[1] or bits[2]:
            return f"{bits[1]} / {bits[2]}"
        return bits[0] or bits[3]
    if hasattr(x, "snapshot"):
        return _plain(x.snapshot())
    if hasattr(x, "value") or hasattr(x, "numerator"):
        num, den = getattr(x, "numerator", None), getattr(x, "denominator", None)
        if num or den:
            return f"{num or ''} / {den or ''}"
        return str(getattr(x, "value", None) or getattr(x, "text", None) or "")
    return str(x)


def conflict_rows(cells: list[dict], rows: list[RowVM]) -> list[dict]:
    """Each differing cell: its label, what I typed and what the other person stored."""
    by_key = {r.key: r for r in rows}
    out = []
    for cell in cells or []:
        key = cell["key"]
        key = row_key(*key) if isinstance(key, tuple) else str(key)
        row = by_key.get(key)
        label = f"{row.owed.indicator.code} · {row.label}" if row else key
        out.append(
            {
                "label": label,
                "anchor": f"r{row.index}" if row else "",
                "mine": _plain(cell.get("mine")),
                "theirs": _plain(cell.get("theirs")),
            }
        )
    return out


def outcomes_by_key(result) -> dict:
    outcomes = getattr(result, "cells", None) or getattr(result, "outcomes", None) or []
    if isinstance(outcomes, dict):
        return {row_key(*k) if isinstance(k, tuple) else k: v for k, v in outcomes.items()}
    return {_cell_key(o): o for o in outcomes}


@dataclass
class ProblemVM:
    text: str
    label: str = ""
    anchor: str = ""


def problems_of(error) -> list[ProblemVM]:
    problems = getattr(error, "problems", None)
    if not problems:
        return [ProblemVM(_text(getattr(error, "message", None) or error))]
    out = []
    for p in problems:
        if isinstance(p, dict):
            where = [p.get("indicator") or "", p.get("province") or "", p.get("disagg") or ""]
            label = " · ".join(w for w in where if w)
            anchor = f"ind-{p['indicator']}" if p.get("indicator") else ""
            out.append(ProblemVM(_text(p.get("message", "")), label, anchor))
        else:
            out.append(ProblemVM(_text(getattr(p, "message", None) or p)))
    return out


@dataclass
class SimplePage:
    """What ``simple_pager`` needs, for a service that returns (items, total)."""

    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1
