"""The donor workbook's "Progress report" sheet: the sector-wide progress report of the
workbook's period (issue 12 §3), built from :func:`leap_me.reports.progress.build` — the
same object the page, the PDF and publishing read — in the same order as the PDF:

1. the summary (on track, off track, the three biggest variances with their
   explanations, the summary narrative);
2. progress by outcome (the indicator table with its forecast sentences);
3. variance explanations (the planner's narrative of each outcome, the partners'
   explanations);
4. data quality (findings, broken cross-checks, de-duplication adjustments);
5. activity status;
6. the budget and the cost-sharing position;
7. the annex of completeness and timeliness.

The sheet is a document laid out in rows: a section title, then a table with its own
header row. Figures are numbers (with the workbook's number formats), never text. Every
cell of text goes through :mod:`leap_me.exchange.xlsx_safe`, so a narrative or an
explanation that begins with ``=`` stays inert text. The figures are the live ones,
approved values only; when a report of the period has been published the sheet says so,
and whether the live figures have moved since (the published PDFs keep the figures of
their day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from sqlalchemy import orm as so

from leap_me.exchange.xlsx_safe import text_style, write_text

#: Columns whose texts are long: wrapped, and as wide as their longest text allows.
MAX_WIDTH = 60
MIN_WIDTH = 10


@dataclass
class Read:
    """What the sheet shows: the report (None without a period) and its publication."""

    report: Any
    asked: bool
    published: Any = None
    published_by: str = ""
    moved: bool = False


def read(session: so.Session, period: str | None, asked: bool, data: Any, lang: str) -> Read:
    """The report of ``period`` in ``lang`` (reusing the variance engine's ``data``) and
    its latest publication: a fixed number of queries whatever the data."""
    from leap_me.reports import progress, publish

    if not period:
        return Read(None, asked)
    report = progress.build(session, period, lang, charts_on=False, data=data)
    published = publish.latest_for_period(session, report.period["id"])
    who = ""
    if published is not None and published.published_by is not None:
        who = published.published_by.full_name or published.published_by.username
    moved = bool(published is not None and published.fingerprint != report.fingerprint())
    return Read(report, asked, published, who, moved)


# --- a grid of cells, written once its widths are known --------------------------------


class _Grid:
    """Rows of (kind, value) cells. Kinds: title, section, heading (overflow across the
    row, never counted in widths), head (a table's header), text, wrap, num, int, pct
    (a fraction), date."""

    def __init__(self) -> None:
        self.rows: list[list[tuple[str, Any] | None]] = []

    def add(self, *cells: tuple[str, Any] | None) -> None:
        self.rows.append(list(cells))

    def blank(self) -> None:
        self.rows.append([])

    def head(self, *titles: str) -> None:
        self.add(*[("head", t) if t else None for t in titles])

    def widths(self) -> list[int]:
        n = max((len(r) for r in self.rows), default=1)
        widths = [MIN_WIDTH] * n
        for row in self.rows:
            for c, cell in enumerate(row):
                if cell is None or cell[1] is None:
                    continue
                kind, value = cell
                if kind in ("title", "section", "heading"):
                    continue
                if kind == "head":
                    need = max((len(w) for w in str(value).split()), default=0) + 2
                elif kind in ("text", "wrap"):
                    lines = str(value).splitlines() or [""]
                    need = max(len(line) for line in lines) + 2
                else:
                    need = 12
                widths[c] = max(widths[c], min(MAX_WIDTH, need))
        return widths


def _n(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and value != value:
        return None
    return float(value)


def _fraction(value: Any, base: int = 100) -> tuple[str, Any]:
    """A share as a fraction for the percent format (``base`` 100: 25 means 25 %)."""
    v = _n(value)
    return ("pct", None if v is None else v / base)


def _t(text: Any) -> tuple[str, Any]:
    return ("text", "" if text is None else str(text))


def _w(text: Any) -> tuple[str, Any]:
    return ("wrap", "" if text is None else str(text))


# --- the sections, in the order of the PDF ----------------------------------------------


def _cover(g: _Grid, rd: Read, lang: str) -> None:
    r = rd.report
    g.add(("title", r.title))
    g.add(("heading", _("LEAP — Ministry of Interior, Kingdom of Cambodia")))
    g.blank()
    p = r.period
    g.add(
        _t(_("Reporting period")),
        _w(f"{p['code']} ({format_date(p['start'])} – {format_date(p['end'])})"),
    )
    g.add(
        _t(_("Period")),
        _w(
            _("The period asked for when the workbook was made.")
            if rd.asked
            else _("No period was asked for: the latest period with approved values.")
        ),
    )
    g.add(_t(_("Figures")), _w(_("Approved values only")))
    if rd.published is not None:
        state = _(
            "Published on %(when)s by %(who)s.",
            when=format_datetime(rd.published.published_dt),
            who=rd.published_by or "—",
        )
        state += " " + (
            _(
                "The live figures have changed since: this sheet shows the live figures; "
                "the published report keeps the figures of its day."
            )
            if rd.moved
            else _("The live figures have not changed since.")
        )
    else:
        state = _("Not published yet: this sheet shows the live figures.")
    g.add(_t(_("Publication")), _w(state))
    g.blank()


def _status_counts(g: _Grid, r, statuses, titles) -> None:
    g.add(("heading", _("Indicators by status")))
    g.head(_("Code"), _("Outcome"), *titles)
    g.add(
        _t(""), _w(_("All indicators")), *[("int", r.summary["counts"].get(s, 0)) for s in statuses]
    )
    for o in r.outcomes:
        c = o["counts"]
        if not c or not sum(c.values()):
            continue
        g.add(
            _t(o["code"] if o["key"] else ""),
            _w(o["statement"] if o["key"] else _("Goal")),
            *[("int", c.get(s, 0)) for s in statuses],
        )


def _indicator_list(g: _Grid, rows, empty: str) -> None:
    if not rows:
        g.add(None, _w(empty))
        return
    g.head(_("Code"), _("Indicator"), _("Status"))
    for row in rows:
        g.add(_t(row["code"]), _w(row["name"]), _t(f"{row['status_mark']} {row['status_title']}"))


def _explained(items) -> str:
    return "\n".join(f"{e['organisation']}: {e['text']}" for e in items)


def _summary(g: _Grid, r) -> None:
    from leap_me.reports import present
    from leap_me.reports.variance import STATUSES

    s = r.summary
    g.add(("section", _("Summary")))
    g.add(("int", s["total"]), _w(_("indicators due this period")))
    g.add(("int", len(s["on_track"])), _w(_("on track, met or exceeded")))
    g.add(("int", len(s["off_track"])), _w(_("behind, off track or not met")))
    g.add(("int", len(s["no_data"])), _w(_("without approved data")))
    g.blank()
    titles = [f"{present.STATUS_MARKS[st]} {present.status_title(st)}" for st in STATUSES]
    _status_counts(g, r, STATUSES, titles)
    g.blank()
    g.add(("heading", _("What is on track")))
    _indicator_list(g, s["on_track"], _("No indicator is on track this period."))
    g.blank()
    g.add(("heading", _("What is off track")))
    _indicator_list(g, s["off_track"], _("No indicator is behind or off track this period."))
    g.blank()
    g.add(("heading", _("The three biggest variances")))
    if s["biggest"]:
        g.head(
            _("Code"),
            _("Indicator"),
            _("Target"),
            _("Actual"),
            _("Variance"),
            _("Relative variance"),
            _("Explanation"),
        )
        for row in s["biggest"]:
            g.add(
                _t(row["code"]),
                _w(row["name"]),
                ("num", _n(row["target"])),
                ("num", _n(row["actual"])),
                ("num", _n(row["variance"])),
                _fraction(row["relative_variance"], 1),
                _w(_explained(row["explanations"]) or _("No explanation given.")),
            )
    else:
        g.add(None, _w(_("No indicator has both a target and approved data this period.")))
    g.blank()
    _narrative(g, r, "")
    g.blank()


def _narrative(g: _Grid, r, key: str) -> None:
    text = r.narrative(key)
    g.add(
        _t(_("Narrative")),
        _w(text or _("No narrative has been written for this period yet.")),
    )


def _outcome_title(o) -> str:
    if not o["key"]:
        return _("Goal")
    return _("Outcome %(code)s", code=o["code"]) + ": " + (o["statement"] or "")


def _outcomes(g: _Grid, r) -> None:
    g.add(("section", _("Progress by outcome")))
    g.add(
        None,
        _w(
            _(
                "Actual against target for the period, the year to date and the plan to "
                "date; statuses use each indicator’s own thresholds."
            )
        ),
    )
    ytd, plan = _("Year to date"), _("Plan to date")
    for o in r.outcomes:
        g.blank()
        g.add(("heading", _outcome_title(o)))
        if not o["entries"]:
            g.add(None, _w(_("No indicator of this outcome is due this period.")))
            continue
        g.head(
            _("Code"),
            _("Indicator"),
            _("Baseline"),
            _("Target"),
            _("Actual"),
            _("Variance"),
            _("Progress"),
            _("Status"),
            f"{ytd}: {_('Actual')}",
            f"{ytd}: {_('Target')}",
            f"{plan}: {_('Actual')}",
            f"{plan}: {_('Target')}",
            _("Adjustment"),
            _("Forecast"),
        )
        for it in o["entries"]:
            row, y, p = it["row"], it["ytd"] or {}, it["plan"] or {}
            g.add(
                _t(row["code"]),
                _w(row["name"]),
                ("num", _n(row.get("baseline"))),
                ("num", _n(row["target"])),
                ("num", _n(row["actual"])),
                ("num", _n(row["variance"])),
                _fraction(row["progress"]),
                _t(f"{row['status_mark']} {row['status_title']}"),
                ("num", _n(y.get("actual"))),
                ("num", _n(y.get("target"))),
                ("num", _n(p.get("actual"))),
                ("num", _n(p.get("target"))),
                ("num", _n(row.get("dedup")) or None),
                _w(it["forecast_s"]),
            )
    g.blank()


def _explanations(g: _Grid, r) -> None:
    g.add(("section", _("Variance explanations")))
    g.add(
        None,
        _w(
            _(
                "The planner’s narrative of each outcome, then the explanations the partners "
                "gave with their values."
            )
        ),
    )
    km = r.lang == "km"
    for o in r.outcomes:
        if not o["key"]:
            continue
        g.blank()
        g.add(("heading", _outcome_title(o)))
        _narrative(g, r, o["key"])
        items = [e for it in o["entries"] for e in it["explanations"]]
        if items:
            g.head(
                _("Code"), _("Partners’ explanations"), _("Organisation"), _("Province"), _("Value")
            )
            for e in items:
                g.add(
                    _t(e["code"]),
                    _w(e["text"]),
                    _t(e["organisation"]),
                    _w(e["province_name_km"] if km else e["province_name_en"]),
                    ("num", _n(e["value"])),
                )
    g.blank()


def _quality(g: _Grid, r) -> None:
    g.add(("section", _("Data quality")))
    g.add(("heading", _("Data-quality findings")))
    head = (
        _("What was found"),
        _("Finding"),
        _("Organisation"),
        _("Province"),
        _("State"),
        _("Explanation"),
    )
    if r.findings:
        g.head(_("Indicator"), *head)
        for f in r.findings:
            g.add(
                _t(f["indicator"]),
                _w(f["text"]),
                _w(f["kind_title"]),
                _t(f["organisation"]),
                _t(f["province"]),
                _w(f["state_title"]),
                _w(f["explanation"]),
            )
    else:
        g.add(None, _w(_("No data-quality finding for this period.")))
    listed = len(r.findings) + len(r.crosschecks)
    if r.summary["findings_total"] > listed:
        g.add(
            None,
            _w(
                _(
                    "%(shown)s of %(total)s findings are listed.",
                    shown=listed,
                    total=r.summary["findings_total"],
                )
            ),
        )
    g.blank()
    g.add(("heading", _("Broken cross-checks")))
    if r.crosschecks:
        g.head(_("Cross-check rule"), *head)
        for f in r.crosschecks:
            g.add(
                _t(f["rule"]),
                _w(f["text"]),
                _w(f["rule_name"]),
                _t(f["organisation"]),
                _t(f["province"]),
                _w(f["state_title"]),
                _w(f["explanation"]),
            )
    else:
        g.add(None, _w(_("No cross-check is broken for this period.")))
    g.blank()
    g.add(("heading", _("De-duplication adjustments")))
    if r.adjustments:
        g.head(_("Indicator"), _("Reason"), _("Province"), _("Adjustment"))
        for a in r.adjustments:
            g.add(_t(a["indicator"]), _w(a["reason"]), _w(a["province_name"]), ("num", a["value"]))
        g.add(None, _w(_("Sector and provincial totals in this report include these adjustments.")))
    else:
        g.add(None, _w(_("No de-duplication adjustment for this period.")))
    g.blank()


def _activities(g: _Grid, r) -> None:
    from leap_me.reports import render
    from leap_me.reports.progress import ACTIVITY_STATUSES

    g.add(("section", _("Activity status")))
    acts = r.activities
    if not acts["count"]:
        g.add(None, _w(_("The current plan version has no activities.")))
        g.blank()
        return
    titles = render._activity_titles()
    g.head(_("Code"), _("Outcome"), *[titles[s] for s in ACTIVITY_STATUSES])
    for o in r.outcomes:
        c = o["activities"]
        if not c or not sum(c.values()):
            continue
        g.add(
            _t(o["code"] if o["key"] else ""),
            _w(o["statement"] if o["key"] else _("Goal")),
            *[("int", c.get(s, 0)) for s in ACTIVITY_STATUSES],
        )
    g.add(
        _t(""),
        _w(_("All activities")),
        *[("int", acts["total"].get(s, 0)) for s in ACTIVITY_STATUSES],
    )
    g.blank()
    g.add(("heading", _("Delayed and overdue activities")))
    if acts["late"]:
        g.head(_("Code"), _("Activity"), _("Ends"), _("Progress"), _("Status and note"))
        for a in acts["late"]:
            state = titles.get(a["status"], a["status"])
            if a["overdue"]:
                state += " · " + _("overdue")
            if a["note"]:
                state += ": " + a["note"]
            g.add(
                _t(a["code"]),
                _w(a["statement"]),
                ("date", a["end_date"]),
                _fraction(a["progress"]),
                _w(state),
            )
    else:
        g.add(None, _w(_("No activity is delayed or overdue.")))
    g.blank()


def _budget(g: _Grid, r) -> None:
    from leap_me.reports.render import pct

    g.add(("section", _("Budget and cost-sharing")))
    b = r.budget
    if not b:
        g.add(None, _w(_("There is no approved budget schedule yet.")))
        g.blank()
        return
    y = b["this_year"]
    if y:
        g.add(("num", _n(y["planned_usd"])), _w(_("USD planned in %(year)s", year=y["year"])))
        g.add(
            _fraction(y["moi_share"], 1),
            _w(_("MoI share planned (path: %(path)s)", path=pct(y["path_share"]))),
        )
        g.add(("num", _n(y["gap_usd"])), _w(_("USD gap to the path")))
        g.add(_fraction(y["execution_rate"], 1), _w(_("executed of the planned to date")))
        if y["path_reading"] == "below":
            reading = _(
                "In %(year)s the MoI’s planned share is below the cost-sharing path: "
                "%(gap)s USD are still to be found.",
                year=y["year"],
                gap=_num_text(y["gap_usd"]),
            )
        elif y["path_reading"]:
            reading = _(
                "In %(year)s the MoI’s planned share is on or above the cost-sharing path.",
                year=y["year"],
            )
        else:
            reading = _(
                "The position against the path of %(year)s is not known (exchange rate missing).",
                year=y["year"],
            )
        g.add(None, _w(reading))
        g.blank()
    g.head(
        _("Year"),
        _("Planned (USD)"),
        _("MoI share"),
        _("Path"),
        _("Gap (USD)"),
        _("Spent (USD)"),
        _("Execution"),
    )
    for row in b["years"]:
        g.add(
            ("int", row["year"]),
            ("num", _n(row["planned_usd"])),
            _fraction(row["moi_share"], 1),
            _fraction(row["path_share"], 1),
            ("num", _n(row["gap_usd"])),
            ("num", _n(row["actual_usd"])),
            _fraction(row["execution_rate"], 1),
        )
    t = b["totals"]
    g.add(
        _t(_("Total")),
        ("num", _n(t["planned_usd"])),
        None,
        None,
        ("num", _n(t["gap_to_cover_usd"])),
        ("num", _n(t["actual_usd"])),
    )
    g.add(
        None,
        _w(
            _(
                "A positive gap is money the MoI still has to find to follow the path; the "
                "total adds up the years below the path only."
            )
        ),
    )
    g.blank()


def _num_text(value: Any) -> str:
    from leap_me.reports import present

    return present.num(_n(value))


def _annex(g: _Grid, r) -> None:
    from leap_me.reports.render import pct

    c = r.completeness
    o = c["overall"]
    g.add(("section", _("Annex: completeness and timeliness")))
    deadline = r.period["deadline"]
    g.add(
        None,
        _w(
            _(
                "%(submitted)s of %(expected)s expected submissions were made (completeness "
                "%(completeness)s); %(on_time)s by the deadline of %(deadline)s (timeliness "
                "%(timeliness)s).",
                submitted=o["submitted"],
                expected=o["expected"],
                completeness=pct(o["completeness"], 100),
                on_time=o["on_time"],
                deadline=format_date(deadline) if deadline else "—",
                timeliness=pct(o["timeliness"], 100),
            )
        ),
    )
    if c["provinces"]:
        g.blank()
        g.add(("heading", _("By province")))
        g.head(
            _("Code"),
            _("Province"),
            _("Expected"),
            _("Submitted"),
            _("On time"),
            _("Completeness"),
            _("Timeliness"),
        )
        for p in c["provinces"]:
            g.add(
                _t(p["code"]),
                _w(p["name"]),
                ("int", p["expected"]),
                ("int", p["submitted"]),
                ("int", p["on_time"]),
                _fraction(p["completeness"]),
                _fraction(p["timeliness"]),
            )
    g.blank()
    g.add(("heading", _("By organisation")))
    if c["organisations"]:
        g.head(_("Code"), _("Organisation"), _("Submission"), _("Submitted on"), _("On time"))
        for org in c["organisations"]:
            on_time = _("Yes") if org["on_time"] else (_("No, late") if org["late"] else "—")
            g.add(
                _t(org["code"]),
                _w(org["name"]),
                _w(org["status_title"]),
                ("date", org["submitted_at"]),
                _t(on_time),
            )
    else:
        g.add(None, _w(_("No organisation owes a submission for this period.")))


def grid(rd: Read, lang: str) -> _Grid:
    """The sheet's rows (in the current locale)."""
    g = _Grid()
    if rd.report is None:
        g.add(("title", _("Sector-wide progress report")))
        g.blank()
        g.add(None, _w(_("There are no reporting periods yet.")))
        return g
    r = rd.report
    _cover(g, rd, lang)
    _summary(g, r)
    _outcomes(g, r)
    _explanations(g, r)
    _quality(g, r)
    _activities(g, r)
    _budget(g, r)
    _annex(g, r)
    return g


# --- writing ----------------------------------------------------------------------------


def write(wb: Any, st: Any, name: str, rd: Read, lang: str, font: str | None) -> None:
    """Add the sheet ``name`` to the workbook (rows in order: constant-memory safe)."""
    extra = {"font_name": font} if font else {}
    section = text_style(wb, {"bold": True, "font_size": 12, "bottom": 1, **extra})
    heading = text_style(wb, {"bold": True, **extra})
    fmt = {
        "title": st.bold,
        "section": section,
        "heading": heading,
        "text": st.text,
        "wrap": st.wrap,
    }
    g = grid(rd, lang)
    ws = wb.add_worksheet(name)
    for c, width in enumerate(g.widths()):
        ws.set_column(c, c, width)
    for r, row in enumerate(g.rows):
        for c, cell in enumerate(row):
            if cell is None:
                continue
            kind, value = cell
            if kind == "head":
                ws.write_string(r, c, str(value), st.head)
            elif kind in fmt:
                write_text(ws, r, c, value, fmt[kind])
            elif value is None:
                continue
            elif kind == "num":
                ws.write_number(r, c, value, st.number)
            elif kind == "int":
                ws.write_number(r, c, value, st.integer)
            elif kind == "pct":
                ws.write_number(r, c, value, st.percent)
            elif kind == "date":
                day = value.date() if isinstance(value, datetime) else value
                if isinstance(day, date):
                    ws.write_datetime(r, c, datetime(day.year, day.month, day.day), st.date)
    ws.freeze_panes(1, 0)
