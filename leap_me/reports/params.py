"""The variance question from a query string, bounded and checked (page and API)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import orm as so

from indicators.services import calendar, reading
from leap_me.lazy import pandas as pd
from leap_me.reports.variance import SPANS, STATUSES, Filters

MAX_ARG = 40
SORTS = (
    "outcome",
    "code",
    "name",
    "target",
    "actual",
    "variance",
    "relative",
    "progress",
    "status",
)


class BadRequest(ValueError):
    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass
class Question:
    period: str
    span: str
    preview: bool
    filters: Filters
    show: list[str]
    sort: str
    desc: bool


def _arg(args, name: str) -> str:
    value = (args.get(name) or "").strip()
    if len(value) > MAX_ARG:
        raise BadRequest(_("%(name)s is too long.", name=name), name)
    return value


def default_period(session: so.Session, today: date | None = None) -> str | None:
    """The latest quarter that has ended (else the latest period that has ended, else the
    first one): what a reader most likely wants to see."""
    today = today or date.today()
    periods = reading.period_frame(session)
    if periods.empty:
        return None
    ended = periods[periods["end"] <= pd.Timestamp(today)]
    if ended.empty:
        return str(periods.iloc[0]["period_code"])
    quarters = ended[ended["frequency"] == "quarterly"]
    pick = quarters if not quarters.empty else ended
    return str(pick.iloc[-1]["period_code"])


def parse(args, session: so.Session, *, may_preview: bool) -> Question:
    period = _arg(args, "period").upper()
    if not period:
        period = default_period(session) or ""
        if not period:
            raise BadRequest(_("There are no reporting periods yet."), "period")
    elif calendar.parse(period) is None:
        raise BadRequest(
            _("“%(code)s” is not a period code such as 2026Q2.", code=period), "period"
        )
    span = _arg(args, "span") or "period"
    if span not in SPANS:
        raise BadRequest(_("span must be period, ytd or plan."), "span")
    status = _arg(args, "status") or "approved"
    if status not in ("approved", "submitted"):
        raise BadRequest(_("status must be approved or submitted."), "status")
    preview = status == "submitted" or args.get("preview") == "1"
    if preview and not may_preview:
        raise PermissionError(_("Previews with submitted values are for reviewers and planners."))
    show = [s for s in args.getlist("show") if s]
    unknown = [s for s in show if s not in STATUSES]
    if unknown or len(show) > len(STATUSES):
        raise BadRequest(_("Unknown status filter."), "show")
    sort = _arg(args, "sort") or "outcome"
    if sort not in SORTS:
        raise BadRequest(_("Unknown sort order."), "sort")
    filters = Filters(
        outcome=_arg(args, "outcome") or None,
        province=_arg(args, "province").upper() or None,
        organisation=(_arg(args, "org") or _arg(args, "organisation")).upper() or None,
        option=_arg(args, "option") or None,
    )
    return Question(period, span, preview, filters, show, sort, _arg(args, "dir") == "desc")


def engine_error_message(field: str, value: str) -> str:
    """The reader's message for a :class:`VarianceError` of the engine."""
    messages = {
        "period": _("There is no reporting period %(value)s.", value=value),
        "outcome": _("There is no outcome %(value)s in the current plan.", value=value),
        "province": _("There is no province %(value)s.", value=value),
        "org": _("There is no organisation %(value)s.", value=value),
        "option": _("“%(value)s” is not a disaggregation option such as sex:F.", value=value),
        "by": _("by must be province or organisation."),
    }
    return messages.get(field, _("The request cannot be answered."))


def query_string(q: Question, **extra: str) -> str:
    """The question as a query string, for links that keep it (sorting, drill-down)."""
    from urllib.parse import urlencode

    pairs = [("period", q.period), ("span", q.span)]
    if q.preview:
        pairs.append(("status", "submitted"))
    f = q.filters
    for name, value in (
        ("outcome", f.outcome),
        ("province", f.province),
        ("org", f.organisation),
        ("option", f.option),
    ):
        if value:
            pairs.append((name, value))
    pairs.extend(extra.items())
    return urlencode(pairs)


STATUS_ORDER = {s: i for i, s in enumerate(STATUSES)}


def sort_rows(rows: list[dict], sort: str, desc: bool) -> list[dict]:
    """Rows in the chosen order; empty figures always last."""
    if sort == "outcome":
        return list(reversed(rows)) if desc else rows
    key = {
        "code": lambda r: r["code"],
        "name": lambda r: (r.get("name") or r["name_en"]).lower(),
        "target": lambda r: r["target"],
        "actual": lambda r: r["actual"],
        "variance": lambda r: r["variance"],
        "relative": lambda r: r["relative_variance"],
        "progress": lambda r: r["progress"],
        "status": lambda r: STATUS_ORDER[r["status"]],
    }[sort]
    present = [r for r in rows if key(r) is not None]
    missing = [r for r in rows if key(r) is None]
    return sorted(present, key=key, reverse=desc) + missing
