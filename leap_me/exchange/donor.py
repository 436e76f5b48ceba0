"""The donor workbook: the logframe, the indicator tracking table, every approved value
as a tidy table and the cost-sharing budget, in one ``.xlsx`` in English or Khmer.

Written with XlsxWriter in ``constant_memory`` mode: each row goes to a temporary file as
soon as it is complete, so memory stays flat whatever the number of values. The figures
come from the services that own them and are never recomputed here:

- the tracking table from the variance engine (``leap_me.reports.variance``; one
  ``load`` answers the three spans and the series);
- the tidy data from ONE query (``indicators.services.tidy``), disaggregations split into
  columns by pandas;
- the budget from ``budget.compute``, written by the budget export's own sheet functions;
- the "Progress report" sheet from ``leap_me.reports.progress.build`` (the report's one
  build, reusing the same variance load), written by ``leap_me.exchange.donor_progress``.

Every cell of user text goes through ``leap_me.exchange.xlsx_safe``.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import xlsxwriter
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import orm as so

from indicators.services import calendar
from indicators.services import tidy as tidy_reading
from indicators.services.disaggregations import categories as disagg_categories
from leap_me.exchange import donor_progress
from leap_me.exchange.xlsx_safe import TextStyle, text_format_map, text_style, write_text
from leap_me.lazy import pandas as pd

LANGS = ("en", "km")
#: A font with Khmer glyphs for the Khmer workbook (the one the site serves; Excel and
#: LibreOffice fall back to another Khmer font where it is not installed).
KHMER_FONT = "Noto Sans Khmer"
MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WORKBOOK_OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}


class DonorWorkbookError(ValueError):
    """A request the workbook cannot answer, translated. ``field``: ``lang``, ``period``
    (not a period code) or ``unknown_period`` (no such reporting period: a 404)."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass
class Styles:
    head: Any
    text: TextStyle
    wrap: TextStyle
    bold: TextStyle
    number: Any
    integer: Any
    percent: Any
    date: Any
    datetime: Any
    #: The data sheet's own formats: one line per value, no alignment, so that a cell
    #: costs what a bare XlsxWriter cell costs (text: no format at all in English).
    tidy_text: TextStyle
    tidy_number: Any
    tidy_date: Any
    tidy_datetime: Any


TIDY_FORMATS = {"number": "#,##0.##", "date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm"}


def _styles(wb: Any, lang: str) -> Styles:
    font = {"font_name": KHMER_FONT} if lang == "km" else {}
    return Styles(
        head=wb.add_format(
            {
                "bold": True,
                "bg_color": "#D6EAF8",
                "text_wrap": True,
                "valign": "top",
                "border": 1,
                **font,
            }
        ),
        text=text_style(wb, {"valign": "top", **font}),
        wrap=text_style(wb, {"text_wrap": True, "valign": "top", **font}),
        bold=text_style(wb, {"bold": True, "font_size": 14, **font}),
        number=wb.add_format({"num_format": "#,##0.##", "valign": "top", **font}),
        integer=wb.add_format({"num_format": "0", "valign": "top", **font}),
        percent=wb.add_format({"num_format": "0.0%", "valign": "top", **font}),
        date=wb.add_format({"num_format": "yyyy-mm-dd", "valign": "top", **font}),
        datetime=wb.add_format({"num_format": "yyyy-mm-dd hh:mm", "valign": "top", **font}),
        tidy_text=text_style(wb, font),
        tidy_number=wb.add_format({"num_format": TIDY_FORMATS["number"], **font}),
        tidy_date=wb.add_format({"num_format": TIDY_FORMATS["date"], **font}),
        tidy_datetime=wb.add_format({"num_format": TIDY_FORMATS["datetime"], **font}),
    )


def _width(texts: Sequence[Any], title: str, low: int = 8, high: int = 60) -> int:
    longest = max([len(str(title))] + [len(str(t)) for t in texts if t is not None], default=0)
    return max(low, min(high, longest + 2))


def _header(ws: Any, st: Styles, titles: Sequence[str], widths: Sequence[int]) -> None:
    ws.set_row(0, 32)  # two lines of a wrapped title (set before the row is written)
    for c, (title, width) in enumerate(zip(titles, widths, strict=True)):
        ws.write_string(0, c, str(title), st.head)
        ws.set_column(c, c, width)
    ws.freeze_panes(1, 0)


def _num(ws: Any, r: int, c: int, value: Any, fmt: Any) -> None:
    if value is None or (isinstance(value, float) and value != value):
        return
    ws.write_number(r, c, value, fmt)


def _loc(obj: Any, lang: str, field: str = "name") -> str:
    if isinstance(obj, dict):
        en, km = obj.get(f"{field}_en") or "", obj.get(f"{field}_km") or ""
    else:
        en, km = getattr(obj, f"{field}_en", "") or "", getattr(obj, f"{field}_km", "") or ""
    return (km or en) if lang == "km" else (en or km)


# --- the question ---------------------------------------------------------------------


def resolve(session: so.Session, lang: str | None, period: str | None) -> tuple[str, str | None]:
    """The language and period code asked for, checked (DonorWorkbookError if wrong).
    Without a period: the latest period with approved values (else the latest quarter
    that has ended, as the variance page); the workbook says which it took."""
    from indicators.services import reading
    from leap_me.reports import params

    lang = (lang or "en").strip().lower()[:5]
    if lang not in LANGS:
        raise DonorWorkbookError(
            _("“%(value)s” is not a language of the workbook: use en or km.", value=lang), "lang"
        )
    code = (period or "").strip().upper()[:10]
    if not code:
        latest = reading.latest_period_with_values(session, ("approved",))
        return lang, latest or params.default_period(session)
    if calendar.parse(code) is None:
        raise DonorWorkbookError(
            _("“%(code)s” is not a period code such as 2026Q2.", code=code), "period"
        )
    return lang, code


# --- the workbook -----------------------------------------------------------------------


def build(
    session: so.Session,
    target: Any = None,
    *,
    lang: str = "en",
    period: str | None = None,
    made_by: str = "",
    period_asked: bool = True,
) -> bytes | None:
    """Write the donor workbook into ``target`` (a path or a binary file); without one,
    return its bytes. ``lang`` and ``period`` must have been :func:`resolve`\\ d;
    ``period_asked`` False says that :func:`resolve` chose the period (the progress
    report sheet tells the reader so)."""
    with force_locale(lang):
        read = _read(session, period, lang, period_asked)  # before any file: errors leave none
        if target is None:
            buf = io.BytesIO()
            _write_book(buf, session, read, lang, period, made_by)
            return buf.getvalue()
        if isinstance(target, str | os.PathLike):
            # into a sibling file, renamed when complete: never a half-written workbook
            final = Path(target)
            part = final.with_name(final.name + ".part")
            try:
                _write_book(str(part), session, read, lang, period, made_by)
                os.replace(part, final)
            finally:
                part.unlink(missing_ok=True)
            return None
        _write_book(target, session, read, lang, period, made_by)
    return None


def _write_book(target, session, read, lang, period, made_by) -> None:
    wb = xlsxwriter.Workbook(target, WORKBOOK_OPTIONS)
    try:
        _write(session, wb, read, lang, period, made_by)
    finally:
        wb.close()


def sheet_titles() -> dict[str, str]:
    """The sheets, in order, with their names in the current language (≤ 31 characters)."""
    return {
        "readme": _("Read me"),
        "progress": _("Progress report"),
        "logframe": _("Logframe"),
        "tracking": _("Tracking"),
        "by_period": _("By period"),
        "data": _("Data"),
        "budget": _("Budget"),
        "sources": _("Funding sources"),
        "lines": _("Budget lines"),
    }


def _read(
    session: so.Session, period: str | None, lang: str = "en", period_asked: bool = True
) -> dict[str, Any]:
    """Everything the workbook shows, in a fixed number of queries whatever the data."""
    from budget import services as budget
    from leap_me.reports import variance
    from logframe import services as logframe

    data = None
    if period:
        try:
            data = variance.load(session, period)
        except variance.VarianceError:
            message = _("There is no reporting period %(code)s.", code=period)
            raise DonorWorkbookError(message, "unknown_period") from None
    until = data.period["end"].date() if data is not None else None
    schedule = budget.approved_schedule(session)
    report = donor_progress.read(
        session, period if data is not None else None, period_asked, data, lang
    )
    return {
        "report": report,
        "version": logframe.current_version(session),
        "data": data,
        "values": tidy_reading.approved_values(session, until),
        "cats": disagg_categories(session),
        "schedule": schedule,
        "money": budget.compute(session, schedule) if schedule is not None else None,
    }


def _write(session, wb: Any, read: dict[str, Any], lang: str, period, made_by: str) -> None:
    st = _styles(wb, lang)
    names = sheet_titles()
    version, data, values = read["version"], read["data"], read["values"]
    cats, schedule, money = read["cats"], read["schedule"], read["money"]
    _readme(wb, st, names, lang, period, version, values, schedule, made_by)
    donor_progress.write(
        wb, st, names["progress"], read["report"], lang, KHMER_FONT if lang == "km" else None
    )
    _logframe(session, wb, st, names["logframe"], lang, version)
    _tracking(wb, st, names["tracking"], names["by_period"], lang, data)
    write_tidy(wb.add_worksheet(names["data"]), st, tidy_frame(values, cats, lang))
    _budget(wb, st, names, lang, money)


def _readme(wb, st, names, lang, period, version, values, schedule, made_by) -> None:
    ws = wb.add_worksheet(names["readme"])
    ws.set_column(0, 0, 28)
    ws.set_column(1, 1, 100)
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    plan = (
        _(
            "Plan version %(number)s (%(status)s)",
            number=version.number,
            status=_version_status(version.status),
        )
        if version is not None
        else _("No plan yet.")
    )
    rows: list[tuple[str, str]] = [
        (_("Made on"), now),
        (_("Made by"), made_by or "—"),
        (_("Reporting period"), period or _("No reporting period yet.")),
        (_("Language"), "ខ្មែរ" if lang == "km" else "English"),
        (_("Logframe"), plan),
        (
            _("Values"),
            _(
                "%(count)s approved values (submitted or draft values are never included).",
                count=f"{len(values):,}",
            ),
        ),
        (_("Budget"), schedule.name if schedule is not None else _("No approved schedule yet.")),
        ("", ""),
        (_("Sheet"), _("What it holds")),
        (
            names["progress"],
            _(
                "The sector-wide progress report of the period, in the order of its PDF: "
                "summary, progress by outcome with forecasts, the planners' narratives and "
                "the partners' explanations, data quality and de-duplication, activity "
                "status, budget and cost-sharing, completeness and timeliness."
            ),
        ),
        (
            names["logframe"],
            _(
                "The logframe matrix: goal, outcomes and outputs with their indicators, "
                "means of verification, assumptions and risks."
            ),
        ),
        (
            names["tracking"],
            _(
                "One row per indicator: baseline, then target, actual, variance, progress "
                "and status for the period, the year to date and the plan to date, as the "
                "variance analysis computes them (approved values only)."
            ),
        ),
        (
            names["by_period"],
            _(
                "Targets and actuals of each indicator period by period (national figures; "
                "cumulative actuals for counts that add up over time)."
            ),
        ),
        (
            names["data"],
            _(
                "Every approved value, one row each, with every dimension in its own column "
                "(indicator, period, organisation, province, each disaggregation), for "
                "pivot tables and filters."
            ),
        ),
        (
            names["budget"],
            _(
                "The approved cost-sharing schedule per fiscal year: planned, MoI share, "
                "path, gap and execution, in USD and KHR."
            ),
        ),
        (names["sources"], _("Planned and actual amounts per funding source and year.")),
        (names["lines"], _("Budget lines per year in USD, with the output each one serves.")),
    ]
    write_text(ws, 0, 0, _("LEAP M&E: donor workbook"), st.bold)
    for r, (label, text) in enumerate(rows, start=2):
        if label == _("Sheet"):
            ws.write_string(r, 0, label, st.head)
            ws.write_string(r, 1, text, st.head)
            continue
        write_text(ws, r, 0, label, st.text)
        write_text(ws, r, 1, text, st.wrap)
    ws.freeze_panes(1, 0)


def _logframe(session, wb, st, name, lang, version) -> None:
    from logframe import services as logframe
    from logframe.models import Level

    ws = wb.add_worksheet(name)
    titles = [
        _("Level"),
        _("Code"),
        _("Results chain"),
        _("Indicators"),
        _("Means of verification"),
        _("Assumptions"),
        _("Risks"),
    ]
    rows: list[list[str]] = []
    if version is not None:
        shown = (Level.GOAL, Level.OUTCOME, Level.OUTPUT)
        nodes = logframe.flat_tree(logframe.load_results(session, version, shown, links=False))
        indicators = logframe.matrix_rows(session, [n.result.key for n in nodes])
        for n in nodes:
            r = n.result
            lines = [
                " ".join(x for x in (i.get("code") or "", _loc(i, lang)) if x)
                for i in indicators.get(r.key, [])
            ]
            rows.append(
                [
                    r.level_enum.title,
                    r.code,
                    _loc(r, lang, "statement"),
                    "\n".join(lines),
                    _loc(r, lang, "verification"),
                    _loc(r, lang, "assumptions"),
                    _loc(r, lang, "risks"),
                ]
            )
    widths = [10, 8, 60, 60, 40, 40, 30]
    widths[0] = _width([row[0] for row in rows], titles[0], 10, 16)
    _header(ws, st, titles, widths)
    for r, row in enumerate(rows, start=1):
        for c, text in enumerate(row):
            write_text(ws, r, c, text, st.wrap if c >= 2 else st.text)
    if not rows:
        write_text(ws, 1, 0, _("No plan yet."), st.text)
    ws.autofilter(0, 0, max(1, len(rows)), len(titles) - 1)


SPAN_COLUMNS = ("target", "actual", "variance", "progress", "status")


def _tracking(wb, st, name, by_period_name, lang, data) -> None:
    from leap_me.reports import present

    ws = wb.add_worksheet(name)
    spans = [("period", _("Period")), ("ytd", _("Year to date")), ("plan", _("Plan to date"))]
    fixed = [_("Outcome"), _("Code"), _("Indicator"), _("Unit"), _("Frequency"), _("Baseline")]
    per = [_("Target"), _("Actual"), _("Variance"), _("Progress"), _("Status")]
    titles = fixed + [f"{title}: {p}" for _key, title in spans for p in per]
    rows_by_span = {key: data.variance(key) if data is not None else [] for key, _t in spans}
    base = rows_by_span["plan"] or rows_by_span["period"]
    index = {key: {r["indicator_id"]: r for r in rows} for key, rows in rows_by_span.items()}
    ids = [r["indicator_id"] for r in rows_by_span["period"]]
    ids += [i for i in index["ytd"] if i not in set(ids)]
    ids += [i for i in index["plan"] if i not in set(ids)]
    any_row = {r["indicator_id"]: r for key in ("plan", "ytd", "period") for r in rows_by_span[key]}
    widths = [8, 12, 50, 14, 12, 12] + [12] * (len(titles) - len(fixed))
    names = [_loc(any_row[i], lang) for i in ids]
    widths[2] = _width(names, titles[2], 20, 70)
    _header(ws, st, titles, widths)
    ws.freeze_panes(1, 3)
    for r, ind_id in enumerate(ids, start=1):
        row = any_row[ind_id]
        write_text(ws, r, 0, row["outcome_code"], st.text)
        write_text(ws, r, 1, row["code"], st.text)
        write_text(ws, r, 2, _loc(row, lang), st.wrap)
        write_text(ws, r, 3, _loc(row, lang, "unit"), st.text)
        write_text(ws, r, 4, _frequency_title(row["frequency"]), st.text)
        _num(ws, r, 5, row.get("baseline"), st.number)
        c = len(fixed)
        for key, _title in spans:
            one = index[key].get(ind_id)
            if one is not None:
                _num(ws, r, c, one["target"], st.number)
                _num(ws, r, c + 1, one["actual"], st.number)
                _num(ws, r, c + 2, one["variance"], st.number)
                progress = one["progress"]
                _num(ws, r, c + 3, progress / 100 if progress is not None else None, st.percent)
                write_text(ws, r, c + 4, present.status_title(one["status"]), st.text)
            c += len(per)
    if data is None:
        write_text(ws, 1, 0, _("There are no reporting periods yet."), st.text)
    ws.autofilter(0, 0, max(1, len(ids)), len(titles) - 1)

    # Period by period: the engine's national series and period targets.
    ws = wb.add_worksheet(by_period_name)
    titles = [
        _("Code"),
        _("Indicator"),
        _("Period"),
        _("Target"),
        _("Actual"),
        _("Cumulative actual"),
    ]
    lines: list[tuple] = []
    if data is not None:
        targets = data._period_targets()
        for row in base:
            points = {p["period"]: p for p in row.get("series") or []}
            cumulative = row["measure"] == "number" and row["agg_time"] == "sum"
            codes = set(points) | set(targets.get(row["indicator_id"], {}))
            ordered = sorted(codes, key=lambda code: (calendar.parse(code).end, code))
            for code in ordered:
                point = points.get(code) or {}
                lines.append(
                    (
                        row["code"],
                        _loc(row, lang),
                        code,
                        targets.get(row["indicator_id"], {}).get(code),
                        point.get("actual"),
                        point.get("cumulative") if cumulative else None,
                    )
                )
    widths = [12, _width([x[1] for x in lines], titles[1], 20, 70), 10, 12, 12, 14]
    _header(ws, st, titles, widths)
    for r, line in enumerate(lines, start=1):
        write_text(ws, r, 0, line[0], st.text)
        write_text(ws, r, 1, line[1], st.wrap)
        write_text(ws, r, 2, line[2], st.text)
        for c in (3, 4, 5):
            _num(ws, r, c, line[c], st.number)
    ws.autofilter(0, 0, max(1, len(lines)), len(titles) - 1)


def _version_status(code: str) -> str:
    from logframe.models import VersionStatus

    try:
        return VersionStatus(code).title
    except ValueError:
        return code or ""


def _frequency_title(code: str) -> str:
    from indicators.models import Frequency

    try:
        return Frequency(code).title
    except ValueError:
        return code or ""


# --- the tidy data sheet -----------------------------------------------------------------


@dataclass
class TidyColumn:
    title: str
    kind: str  # "text", "number", "date", "datetime"
    values: list[Any]
    width: int


def tidy_frame(values: pd.DataFrame, cats: Sequence[Any], lang: str) -> list[TidyColumn]:
    """The data sheet's columns, built with pandas from the one query's frame."""
    km = lang == "km"

    def pick(en: str, kh: str) -> pd.Series:
        if not km:
            return values[en]
        return values[kh].where(values[kh].fillna("") != "", values[en])

    def text(title: str, series: pd.Series) -> TidyColumn:
        series = series.astype(object).where(series.notna() & (series != ""), None)
        distinct = [v for v in pd.unique(series) if v is not None]  # widths: once per text
        longest = max((len(str(v)) for v in distinct), default=0)
        width = max(8, min(60, max(len(title), longest) + 2))
        return TidyColumn(title, "text", series.tolist(), width)

    def number(title: str, series: pd.Series) -> TidyColumn:
        series = series.astype(object).where(series.notna(), None)
        return TidyColumn(title, "number", series.tolist(), max(12, len(title) + 2))

    def moment(title: str, series: pd.Series, kind: str) -> TidyColumn:
        stamps = pd.to_datetime(series)
        plain = pd.Series(stamps.dt.to_pydatetime(), dtype=object)  # vectorised, not per row
        plain = plain.where(stamps.notna().to_numpy(), None)
        return TidyColumn(title, kind, plain.tolist(), 12 if kind == "date" else 17)

    approved = _("Approved")
    status = values["status"].replace({"approved": approved})
    columns = [
        text(_("Indicator code"), values["indicator_code"]),
        text(_("Indicator"), pick("indicator_name_en", "indicator_name_km")),
        text(_("Unit"), pick("unit_en", "unit_km")),
        text(_("Period"), values["period_code"]),
        moment(_("Period end"), values["period_end"], "date"),
        text(_("Organisation code"), values["organisation_code"]),
        text(_("Organisation"), pick("organisation_name_en", "organisation_name_km")),
        text(_("Province code"), values["province_code"]),
        text(_("Province"), pick("province_name_en", "province_name_km")),
    ]
    for cat, series in tidy_reading.split_disaggregations(values, cats, lang):
        columns.append(text(_loc(cat, lang), series))
    columns += [
        number(_("Value"), values["value"]),
        number(_("Numerator"), values["numerator"]),
        number(_("Denominator"), values["denominator"]),
        text(_("Text value"), values["text_value"]),
        text(_("Status"), status),
        text(_("Approved by"), values["approved_by"]),
        moment(_("Approved at (UTC)"), values["approved_at"], "datetime"),
    ]
    return columns


def write_tidy(ws: Any, st: Styles, columns: list[TidyColumn]) -> int:
    """Stream the tidy sheet: header, then one row per value (constant memory). Returns
    the number of data rows."""
    _header(ws, st, [c.title for c in columns], [c.width for c in columns])
    n = len(columns[0].values) if columns else 0
    write_string, write_number, write_datetime = ws.write_string, ws.write_number, ws.write_datetime
    kinds, formats = [], []
    for col in columns:
        if col.kind == "text":
            # {text: format}: the rule is asked once per distinct text
            kinds.append(0)
            formats.append(text_format_map(col.values, st.tidy_text))
        elif col.kind == "number":
            kinds.append(1)
            formats.append(st.tidy_number)
        else:
            kinds.append(2)
            formats.append(st.tidy_date if col.kind == "date" else st.tidy_datetime)
    for row, cells in enumerate(zip(*[col.values for col in columns], strict=True), start=1):
        for c, v in enumerate(cells):
            if v is None:
                continue
            kind = kinds[c]
            if kind == 0:
                write_string(row, c, v, formats[c][v])
            elif kind == 1:
                write_number(row, c, v, formats[c])
            else:
                write_datetime(row, c, v, formats[c])
    ws.autofilter(0, 0, max(1, n), max(0, len(columns) - 1))
    return n


# --- the budget ---------------------------------------------------------------------------


def _budget(wb, st, names, lang, money) -> None:
    from budget.excel import export as budget_export

    if money is None:
        for key in ("budget", "sources", "lines"):
            ws = wb.add_worksheet(names[key])
            ws.set_column(0, 0, 60)
            write_text(ws, 0, 0, _("No approved schedule yet."), st.text)
        return
    f = budget_export.make_formats(wb, KHMER_FONT if lang == "km" else None)
    budget_export.write_schedule_sheet(wb, f, money, names["budget"])
    budget_export.write_sources_sheet(wb, f, money, names["sources"])
    budget_export.write_lines_sheet(wb, f, money, lang, names["lines"])


def filename(lang: str, period: str | None) -> str:
    return f"leap-donor-workbook-{period or 'all'}-{lang}.xlsx"
