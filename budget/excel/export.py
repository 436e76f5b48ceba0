"""The donor workbook: xlsxwriter in constant-memory mode, frozen headers, filters,
number formats, user text that Excel never runs."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import sqlalchemy as sa
import xlsxwriter
from flask_babel import gettext as _
from sqlalchemy import orm as so

from budget import calc
from budget.excel.common import PLANNED_FIXED, PLANNED_SHEET, SPENDING_SHEET
from budget.models import Spending
from leap_me.exchange.xlsx_safe import text_style, write_text
from stakeholders.models import Organisation


def make_formats(wb: Any, font_name: str | None = None) -> dict[str, Any]:
    """The budget sheets' cell formats (``font_name``: a font with Khmer, when Khmer)."""
    font = {"font_name": font_name} if font_name else {}
    return {
        "head": wb.add_format(
            {"bold": True, "bg_color": "#D6EAF8", "text_wrap": True, "border": 1, **font}
        ),
        "usd": wb.add_format({"num_format": "#,##0.00", **font}),
        "khr": wb.add_format({"num_format": "#,##0", **font}),
        "pct": wb.add_format({"num_format": "0.00%", **font}),
        "rate": wb.add_format({"num_format": "#,##0.00##", **font}),
        "int": wb.add_format({"num_format": "0", **font}),
        "bold": wb.add_format({"bold": True, **font}),
        "text": text_style(wb, font),
        "bold_text": text_style(wb, {"bold": True, **font}),
    }


def _money(ws, r, c, value, fmt):
    if value is None:
        ws.write_blank(r, c, None, fmt)
    else:
        ws.write_number(r, c, value, fmt)  # Decimal in, number out: xlsx stores text


def _header(ws, f, titles: list[str], widths: list[int] | None = None) -> None:
    for c, t in enumerate(titles):
        ws.write_string(0, c, str(t), f["head"])
        width = widths[c] if widths and c < len(widths) else max(14, min(40, len(str(t)) + 2))
        ws.set_column(c, c, width)
    ws.freeze_panes(1, 0)


def write_schedule_sheet(wb: Any, f: dict[str, Any], data: dict[str, Any], name: str) -> None:
    """The cost-sharing schedule, one row per fiscal year, into the sheet ``name``."""
    ws = wb.add_worksheet(name)
    titles = [
        _("Year"), _("KHR per USD"), _("Planned (USD)"), _("Planned (KHR)"),
        _("MoI planned (USD)"), _("MoI planned (KHR)"), _("Donors (USD)"), _("MoI share"),
        _("Path"), _("Gap (USD)"), _("Gap (KHR)"), _("Actual (USD)"), _("Actual (KHR)"),
        _("Actual MoI share"), _("Quarters reported"), _("Planned to date (USD)"),
        _("Execution rate"), _("Variance (USD)"),
    ]  # fmt: skip
    _header(ws, f, titles)
    usd, khr, pct, rate_fmt = f["usd"], f["khr"], f["pct"], f["rate"]
    for r, y in enumerate(data["years_rows"], start=1):
        ws.write_number(r, 0, y["year"], f["int"])
        _money(ws, r, 1, y["rate"], rate_fmt)
        _money(ws, r, 2, y["planned_usd"], usd)
        _money(ws, r, 3, y["planned_khr"], khr)
        _money(ws, r, 4, y["moi_usd"], usd)
        _money(ws, r, 5, y["moi_khr"], khr)
        _money(ws, r, 6, y["donors_usd"], usd)
        _money(ws, r, 7, y["moi_share"], pct)
        _money(ws, r, 8, y["path_share"], pct)
        _money(ws, r, 9, y["gap_usd"], usd)
        _money(ws, r, 10, y["gap_khr"], khr)
        _money(ws, r, 11, y["actual_usd"], usd)
        _money(ws, r, 12, y["actual_khr"], khr)
        _money(ws, r, 13, y["actual_moi_share"], pct)
        ws.write_number(r, 14, y["quarters"], f["int"])
        _money(ws, r, 15, y["planned_to_date_usd"], usd)
        _money(ws, r, 16, y["execution_rate"], pct)
        _money(ws, r, 17, y["variance_usd"], usd)
    ws.autofilter(0, 0, max(1, len(data["years_rows"])), len(titles) - 1)


def write_sources_sheet(wb: Any, f: dict[str, Any], data: dict[str, Any], name: str) -> None:
    """Year × funding source: planned and actual in USD, and each source's share."""
    ws = wb.add_worksheet(name)
    srcs = data["sources"]
    titles = [_("Year")]
    for s in srcs:
        titles += [
            _("%(source)s planned (USD)", source=s["code"]),
            _("%(source)s share", source=s["code"]),
            _("%(source)s actual (USD)", source=s["code"]),
        ]
    _header(ws, f, titles)
    for r, y in enumerate(data["years_rows"], start=1):
        ws.write_number(r, 0, y["year"], f["int"])
        for i, s in enumerate(srcs):
            cell = y["sources"][s["code"]]
            _money(ws, r, 1 + 3 * i, cell["planned_usd"], f["usd"])
            _money(ws, r, 2 + 3 * i, cell["share"], f["pct"])
            _money(ws, r, 3 + 3 * i, cell["actual_usd"], f["usd"])
    ws.autofilter(0, 0, max(1, len(data["years_rows"])), len(titles) - 1)


def write_lines_sheet(
    wb: Any, f: dict[str, Any], data: dict[str, Any], lang: str, name: str
) -> None:
    """Budget line × year in USD, with the output each line serves."""
    ws = wb.add_worksheet(name)
    years = data["years"]
    titles = [_("Line code"), _("Name"), _("Output")] + [str(y) for y in years] + [_("Total")]
    _header(ws, f, titles, [10, 50, 10])
    text = f["text"]
    for r, ln in enumerate(data.get("lines", []), start=1):
        write_text(ws, r, 0, ln["code"], text)
        write_text(ws, r, 1, _loc(ln, lang), text)
        write_text(ws, r, 2, (ln["result"] or {}).get("output_code", ""), text)
        for c, y in enumerate(years, start=3):
            _money(ws, r, c, ln["by_year_usd"][y], f["usd"])
        _money(ws, r, 3 + len(years), ln["total_usd"], f["usd"])
    ws.autofilter(0, 0, max(1, len(data.get("lines", []))), len(titles) - 1)


def _loc(obj: dict, lang: str, field: str = "name") -> str:
    return (obj.get(f"{field}_km") if lang == "km" else None) or obj.get(f"{field}_en") or ""


def export_workbook(data: dict[str, Any], spending: list[dict[str, Any]], lang: str) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(
        buf,
        {"constant_memory": True, "strings_to_formulas": False, "strings_to_numbers": False},
    )
    f = make_formats(wb)
    usd, khr, pct, rate_fmt = f["usd"], f["khr"], f["pct"], f["rate"]
    text = f["text"]
    years = data["years"]
    money = _money

    def header(ws, titles: list[str], widths: list[int] | None = None):
        _header(ws, f, titles, widths)

    # About
    ws = wb.add_worksheet("About")
    ws.set_column(0, 0, 110)
    lines = [
        _("LEAP cost-sharing schedule"),
        data["schedule"]["name"],
        _("Exported on %(date)s", date=date.today().isoformat()),
    ]
    if data["schedule"]["is_demo"]:
        lines.append(_("DEMO DATA: invented but plausible amounts, not an approved budget."))
    lines += [
        _("Money is exact decimal; USD is rounded half up to the cent, KHR to the whole riel."),
        _("Totals convert each fiscal year once at that year's rate (KHR per USD)."),
        _("MoI share = MoI planned / total planned (in USD)."),
        _(
            "Gap = path share × total − MoI planned; positive: the MoI must add it, or donors "
            "must still cover it."
        ),
        _(
            "Execution rate = actual / planned to date; a year with spending reported for q "
            "quarters is compared with planned × q / 4."
        ),
        _(
            "The sheet Planned is the import layout for planned amounts; the sheet Spending is "
            "the import layout for actual spending."
        ),
    ]
    for r, line in enumerate(lines):
        write_text(ws, r, 0, line, f["bold_text"] if r == 0 else text)

    write_schedule_sheet(wb, f, data, "Schedule")
    write_sources_sheet(wb, f, data, "Sources")
    srcs = data["sources"]

    # Planned: the import layout, one row per line × source, in the line's currency.
    ws = wb.add_worksheet(PLANNED_SHEET)
    titles = [
        _("Line code"), _("Category"), _("Name (English)"), _("Name (Khmer)"),
        _("Result"), _("Currency"), _("Funding source"),
    ] + [str(y) for y in years]  # fmt: skip
    header(ws, titles, [10, 18, 40, 40, 10, 9, 12])
    ws.freeze_panes(1, 3)
    r = 0
    for ln in data.get("lines", []):
        for s in srcs:
            cells = ln["planned"].get(s["code"])
            if not cells:
                continue
            r += 1
            write_text(ws, r, 0, ln["code"], text)
            write_text(ws, r, 1, ln["category"], text)
            write_text(ws, r, 2, ln["name_en"], text)
            write_text(ws, r, 3, ln["name_km"], text)
            write_text(ws, r, 4, ln["result_key"] or "", text)
            ws.write_string(r, 5, ln["currency"])
            ws.write_string(r, 6, s["code"])
            fmt = khr if ln["currency"] == calc.KHR else usd
            for c, y in enumerate(years, start=PLANNED_FIXED):
                money(ws, r, c, cells.get(y), fmt)
    ws.autofilter(0, 0, max(1, r), len(titles) - 1)

    write_lines_sheet(wb, f, data, lang, "Lines USD")

    # Execution: line × source × year.
    ws = wb.add_worksheet("Execution")
    titles = [
        _("Line code"), _("Funding source"), _("Year"), _("Planned (USD)"),
        _("Planned to date (USD)"), _("Actual (USD)"), _("Execution rate"), _("Variance (USD)"),
    ]  # fmt: skip
    header(ws, titles)
    rows = data.get("execution", {}).get("by_line_source_year", [])
    for r, e in enumerate(rows, start=1):
        write_text(ws, r, 0, e["line"], text)
        ws.write_string(r, 1, e["source"])
        ws.write_number(r, 2, e["year"])
        money(ws, r, 3, e["planned_year_usd"], usd)
        money(ws, r, 4, e["planned_to_date_usd"], usd)
        money(ws, r, 5, e["actual_usd"], usd)
        money(ws, r, 6, e["execution_rate"], pct)
        money(ws, r, 7, e["variance_usd"], usd)
    ws.autofilter(0, 0, max(1, len(rows)), len(titles) - 1)

    # Spending: the import layout for actual spending.
    ws = wb.add_worksheet(SPENDING_SHEET)
    titles = [
        _("Line code"), _("Funding source"), _("Year"), _("Quarter"), _("Amount"),
        _("Currency"), _("Note"),
    ]  # fmt: skip
    header(ws, titles, [10, 12, 8, 8, 16, 9, 40])
    for r, s in enumerate(spending, start=1):
        write_text(ws, r, 0, s["line"], text)
        ws.write_string(r, 1, s["source"])
        ws.write_number(r, 2, s["year"])
        ws.write_number(r, 3, s["quarter"])
        money(ws, r, 4, s["amount"], khr if s["currency"] == calc.KHR else usd)
        ws.write_string(r, 5, s["currency"])
        write_text(ws, r, 6, s["note"], text)
    ws.autofilter(0, 0, max(1, len(spending)), len(titles) - 1)

    # Rates
    ws = wb.add_worksheet("Rates")
    header(ws, [_("Year"), _("KHR per USD")])
    for r, y in enumerate(years, start=1):
        ws.write_number(r, 0, y)
        money(ws, r, 1, data["rates"].get(y), rate_fmt)
    wb.close()
    return buf.getvalue()


def spending_rows(session: so.Session) -> list[dict[str, Any]]:
    rows = session.execute(
        sa.select(
            Spending.line_code,
            Organisation.code,
            Spending.year,
            Spending.quarter,
            Spending.amount,
            Spending.currency,
            Spending.note,
        )
        .join(Organisation, Organisation.id == Spending.source_id)
        .order_by(Spending.year, Spending.quarter, Spending.line_code, Organisation.code)
    ).all()
    return [
        {
            "line": r[0],
            "source": r[1],
            "year": r[2],
            "quarter": r[3],
            "amount": r[4],
            "currency": r[5],
            "note": r[6],
        }
        for r in rows
    ]
