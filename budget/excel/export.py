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
from budget.excel.common import (
    PLANNED_FIXED,
    PLANNED_SHEET,
    SPENDING_SHEET,
    safe_text,
)
from budget.models import Spending
from stakeholders.models import Organisation


def export_workbook(data: dict[str, Any], spending: list[dict[str, Any]], lang: str) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(
        buf,
        {"constant_memory": True, "strings_to_formulas": False, "strings_to_numbers": False},
    )
    head = wb.add_format({"bold": True, "bg_color": "#D6EAF8", "text_wrap": True, "border": 1})
    usd = wb.add_format({"num_format": "#,##0.00"})
    khr = wb.add_format({"num_format": "#,##0"})
    pct = wb.add_format({"num_format": "0.00%"})
    rate_fmt = wb.add_format({"num_format": "#,##0.00##"})
    bold = wb.add_format({"bold": True})
    years = data["years"]

    def loc(obj: dict, field: str = "name") -> str:
        return (obj.get(f"{field}_km") if lang == "km" else None) or obj.get(f"{field}_en") or ""

    def money(ws, r, c, value, fmt):
        if value is None:
            ws.write_blank(r, c, None)
        else:
            ws.write_number(r, c, value, fmt)  # Decimal in, number out: xlsx stores text

    def header(ws, titles: list[str], widths: list[int] | None = None):
        for c, t in enumerate(titles):
            ws.write_string(0, c, str(t), head)
            ws.set_column(c, c, (widths or [])[c] if widths and c < len(widths) else 14)
        ws.freeze_panes(1, 0)

    # About
    ws = wb.add_worksheet("About")
    ws.set_column(0, 0, 110)
    lines = [
        _("LEAP cost-sharing schedule"),
        safe_text(data["schedule"]["name"]),
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
    for r, text in enumerate(lines):
        ws.write_string(r, 0, text, bold if r == 0 else None)

    # Schedule: one row per year.
    ws = wb.add_worksheet("Schedule")
    titles = [
        _("Year"), _("KHR per USD"), _("Planned (USD)"), _("Planned (KHR)"),
        _("MoI planned (USD)"), _("MoI planned (KHR)"), _("Donors (USD)"), _("MoI share"),
        _("Path"), _("Gap (USD)"), _("Gap (KHR)"), _("Actual (USD)"), _("Actual (KHR)"),
        _("Actual MoI share"), _("Quarters reported"), _("Planned to date (USD)"),
        _("Execution rate"), _("Variance (USD)"),
    ]  # fmt: skip
    header(ws, titles)
    for r, y in enumerate(data["years_rows"], start=1):
        ws.write_number(r, 0, y["year"])
        money(ws, r, 1, y["rate"], rate_fmt)
        money(ws, r, 2, y["planned_usd"], usd)
        money(ws, r, 3, y["planned_khr"], khr)
        money(ws, r, 4, y["moi_usd"], usd)
        money(ws, r, 5, y["moi_khr"], khr)
        money(ws, r, 6, y["donors_usd"], usd)
        money(ws, r, 7, y["moi_share"], pct)
        money(ws, r, 8, y["path_share"], pct)
        money(ws, r, 9, y["gap_usd"], usd)
        money(ws, r, 10, y["gap_khr"], khr)
        money(ws, r, 11, y["actual_usd"], usd)
        money(ws, r, 12, y["actual_khr"], khr)
        money(ws, r, 13, y["actual_moi_share"], pct)
        ws.write_number(r, 14, y["quarters"])
        money(ws, r, 15, y["planned_to_date_usd"], usd)
        money(ws, r, 16, y["execution_rate"], pct)
        money(ws, r, 17, y["variance_usd"], usd)
    ws.autofilter(0, 0, max(1, len(data["years_rows"])), len(titles) - 1)

    # Sources: year × source, planned and actual in USD, and shares.
    ws = wb.add_worksheet("Sources")
    srcs = data["sources"]
    titles = [_("Year")]
    for s in srcs:
        titles += [
            _("%(source)s planned (USD)", source=s["code"]),
            _("%(source)s share", source=s["code"]),
            _("%(source)s actual (USD)", source=s["code"]),
        ]
    header(ws, titles)
    for r, y in enumerate(data["years_rows"], start=1):
        ws.write_number(r, 0, y["year"])
        for i, s in enumerate(srcs):
            cell = y["sources"][s["code"]]
            money(ws, r, 1 + 3 * i, cell["planned_usd"], usd)
            money(ws, r, 2 + 3 * i, cell["share"], pct)
            money(ws, r, 3 + 3 * i, cell["actual_usd"], usd)
    ws.autofilter(0, 0, max(1, len(years)), len(titles) - 1)

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
            ws.write_string(r, 0, safe_text(ln["code"]))
            ws.write_string(r, 1, safe_text(ln["category"]))
            ws.write_string(r, 2, safe_text(ln["name_en"]))
            ws.write_string(r, 3, safe_text(ln["name_km"]))
            ws.write_string(r, 4, safe_text(ln["result_key"] or ""))
            ws.write_string(r, 5, ln["currency"])
            ws.write_string(r, 6, s["code"])
            fmt = khr if ln["currency"] == calc.KHR else usd
            for c, y in enumerate(years, start=PLANNED_FIXED):
                money(ws, r, c, cells.get(y), fmt)
    ws.autofilter(0, 0, max(1, r), len(titles) - 1)

    # Lines in USD: line × year.
    ws = wb.add_worksheet("Lines USD")
    titles = [_("Line code"), _("Name"), _("Output")] + [str(y) for y in years] + [_("Total")]
    header(ws, titles, [10, 50, 10])
    for r, ln in enumerate(data.get("lines", []), start=1):
        ws.write_string(r, 0, safe_text(ln["code"]))
        ws.write_string(r, 1, safe_text(loc(ln)))
        ws.write_string(r, 2, safe_text((ln["result"] or {}).get("output_code", "")))
        for c, y in enumerate(years, start=3):
            money(ws, r, c, ln["by_year_usd"][y], usd)
        money(ws, r, 3 + len(years), ln["total_usd"], usd)
    ws.autofilter(0, 0, max(1, len(data.get("lines", []))), len(titles) - 1)

    # Execution: line × source × year.
    ws = wb.add_worksheet("Execution")
    titles = [
        _("Line code"), _("Funding source"), _("Year"), _("Planned (USD)"),
        _("Planned to date (USD)"), _("Actual (USD)"), _("Execution rate"), _("Variance (USD)"),
    ]  # fmt: skip
    header(ws, titles)
    rows = data.get("execution", {}).get("by_line_source_year", [])
    for r, e in enumerate(rows, start=1):
        ws.write_string(r, 0, safe_text(e["line"]))
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
        ws.write_string(r, 0, safe_text(s["line"]))
        ws.write_string(r, 1, s["source"])
        ws.write_number(r, 2, s["year"])
        ws.write_number(r, 3, s["quarter"])
        money(ws, r, 4, s["amount"], khr if s["currency"] == calc.KHR else usd)
        ws.write_string(r, 5, s["currency"])
        ws.write_string(r, 6, safe_text(s["note"]))
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
