"""The reports' charts as server-rendered SVG, in the hand-written style of the budget's
cost-sharing chart and the activity Gantt (one style for every chart: see
docs/architecture.md).

Every chart:
- says what it shows in a ``<title>`` (and each mark has its own ``<title>``), and the
  pages print the same figures in a table beside it;
- tells statuses apart without colour: each status has a fill pattern and a mark
  (▲ ● ✓ ◐ ○ ✗ … –) printed in the bar and the legend;
- takes its words from the caller's language, so Khmer is shaped by the browser or by
  WeasyPrint (Pango/HarfBuzz) like any other text of the page;
- uses large type in a ``viewBox``, so that on a 360-px phone it is scaled down but
  stays legible.
"""

from __future__ import annotations

import itertools
from typing import Any
from xml.sax.saxutils import escape

from flask_babel import gettext as _

from leap_me.reports import present
from leap_me.reports.variance import STATUSES

FONT = 'font-family="Noto Sans Khmer, system-ui, sans-serif"'
_ids = itertools.count(1)

#: status: (fill, pattern kind, ink for text on it)
STYLE = {
    "exceeded": ("#0b5345", "solid", "#ffffff"),
    "green": ("#1e8449", "solid", "#ffffff"),
    "met": ("#27ae60", "dots", "#ffffff"),
    "amber": ("#d68910", "hatch", "#000000"),
    "red": ("#a93226", "cross", "#ffffff"),
    "not_met": ("#922b21", "lines", "#ffffff"),
    "no_data": ("#d5dbdb", "dots", "#000000"),
    "no_target": ("#ffffff", "none", "#000000"),
}


def _uid(prefix: str) -> str:
    return f"{prefix}{next(_ids)}"


def _patterns(uid: str) -> str:
    """One <pattern> per status, so that a black-and-white print tells them apart."""
    out = ["<defs>"]
    for status, (fill, kind, _ink) in STYLE.items():
        pid = f"{uid}-{status}"
        marks = {
            "solid": "",
            "none": "",
            "dots": '<circle cx="4" cy="4" r="1.6" fill="#000" fill-opacity="0.45"/>',
            "hatch": '<path d="M0,8 L8,0" stroke="#000" stroke-opacity="0.5" stroke-width="1.6"/>',
            "cross": '<path d="M0,8 L8,0 M0,0 L8,8" stroke="#fff" stroke-opacity="0.7" '
            'stroke-width="1.4"/>',
            "lines": '<path d="M0,4 L8,4" stroke="#fff" stroke-opacity="0.7" stroke-width="1.6"/>',
        }[kind]
        out.append(
            f'<pattern id="{pid}" width="8" height="8" patternUnits="userSpaceOnUse">'
            f'<rect width="8" height="8" fill="{fill}"/>{marks}</pattern>'
        )
    out.append("</defs>")
    return "".join(out)


def _short(text: str, limit: int = 48) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def status_bars(
    outcomes: list[dict[str, Any]], counts: dict[str, Any], lang: str = "en"
) -> dict[str, Any]:
    """Indicators by status: one stacked bar for all indicators, then one per outcome.

    Returns {"svg": markup, "rows": [(label, {status: n})]} — the rows are the table that
    the page prints beside the chart.
    """
    uid = _uid("sb")
    rows: list[tuple[str, dict[str, int]]] = [(_("All indicators"), counts["overall"])]
    for o in outcomes:
        c = counts["per_outcome"].get(o["key"])
        if not c or not sum(c.values()):
            continue
        statement = o["statement_km"] if lang == "km" else o["statement_en"]
        label = (
            _("Outcome %(code)s: %(statement)s", code=o["code"], statement=_short(statement))
            if o["key"]
            else _("Goal")
        )
        rows.append((label, c))
    width, left, right = 720, 8, 8
    bar_h, label_h, gap = 30, 26, 14
    plot_w = width - left - right
    legend_rows = (len(STATUSES) + 2) // 3
    height = len(rows) * (bar_h + label_h + gap) + legend_rows * 30 + 16
    title = _("Indicators by status, overall and per outcome")
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="svg-chart status-bars" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="{uid}-t" {FONT}>',
        f'<title id="{uid}-t">{escape(title)}</title>',
        _patterns(uid),
    ]
    y = 4
    for label, c in rows:
        total = sum(c.values())
        out.append(f'<text x="{left}" y="{y + 19}" font-size="18">{escape(label)}</text>')
        y += label_h
        x = float(left)
        for status in STATUSES:
            n = c.get(status, 0)
            if not n:
                continue
            w = plot_w * n / total
            fill, _kind, ink = STYLE[status]
            name = present.status_title(status)
            out.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                f'fill="url(#{uid}-{status})" stroke="#000" stroke-width="1">'
                f"<title>{escape(label)} · {escape(name)}: {n}</title></rect>"
            )
            if w >= 34:
                mark = present.STATUS_MARKS[status]
                out.append(
                    f'<text x="{x + w / 2:.1f}" y="{y + 21}" text-anchor="middle" '
                    f'font-size="17" font-weight="bold" fill="{ink}" stroke="{fill}" '
                    f'stroke-width="3" paint-order="stroke">{mark}{n}</text>'
                )
            x += w
        if not total:
            out.append(
                f'<rect x="{left}" y="{y}" width="{plot_w}" height="{bar_h}" fill="none" '
                f'stroke="#000" stroke-dasharray="4 3"/>'
            )
        y += bar_h + gap
    for i, status in enumerate(STATUSES):
        row, col = divmod(i, 3)
        lx = left + col * (width / 3)
        ly = y + row * 30 + 16
        out.append(
            f'<rect x="{lx:.1f}" y="{ly - 14}" width="20" height="18" '
            f'fill="url(#{uid}-{status})" stroke="#000"/>'
            f'<text x="{lx + 28:.1f}" y="{ly}" font-size="17">'
            f"{present.STATUS_MARKS[status]} {escape(present.status_title(status))}</text>"
        )
    out.append("</svg>")
    return {"svg": "".join(out), "rows": rows}


def sparkline(points: list[dict[str, Any]], row: dict[str, Any], lang: str = "en") -> str:
    """The values of each period so far (and the period targets, dashed) in 120 × 32."""
    if len(points) < 2:
        return ""
    uid = _uid("sp")
    width, height, pad = 120, 32, 3
    values = [p["actual"] for p in points]
    targets = [p.get("target") for p in points]
    top = max([*values, *[t for t in targets if t is not None]] or [1]) or 1
    bottom = min(0.0, *values)
    span = (top - bottom) or 1

    def xy(i: int, v: float) -> str:
        x = pad + (width - 2 * pad) * i / (len(points) - 1)
        y = height - pad - (height - 2 * pad) * (v - bottom) / span
        return f"{x:.1f},{y:.1f}"

    summary = ", ".join(f"{p['period']} {present.num(p['actual'])}" for p in points)
    title = _("%(code)s by period: %(values)s", code=row["code"], values=summary)
    line = " ".join(xy(i, v) for i, v in enumerate(values))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sparkline" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{uid}-t">',
        f'<title id="{uid}-t">{escape(title)}</title>',
    ]
    tline = " ".join(xy(i, t) for i, t in enumerate(targets) if t is not None)
    if tline and sum(t is not None for t in targets) >= 2:
        out.append(
            f'<polyline points="{tline}" fill="none" stroke="#555" stroke-width="1.2" '
            f'stroke-dasharray="3 2"/>'
        )
    out.append(f'<polyline points="{line}" fill="none" stroke="#1b4f72" stroke-width="2"/>')
    last = xy(len(values) - 1, values[-1]).split(",")
    out.append(f'<circle cx="{last[0]}" cy="{last[1]}" r="2.8" fill="#1b4f72"/>')
    out.append("</svg>")
    return "".join(out)


def forecast_chart(row: dict[str, Any], lang: str = "en") -> str:
    """Cumulative actuals (or values, for stocks) per period, the least-squares line to
    the plan's last period and the end target: the forecast of METHOD.md §3."""
    points = row.get("series") or []
    fc = row.get("forecast")
    if not points:
        return ""
    uid = _uid("fc")
    cumulative = row["measure"] == "number" and row["agg_time"] == "sum"
    ys = [p["cumulative"] if cumulative else p["actual"] for p in points]
    end_index = fc["end_index"] if fc else len(points) - 1
    idx = [x for x, _y in fc["points"]] if fc else list(range(len(points)))
    width, height = 720, 360
    left, right, top, bottom = 70, 20, 24, 50
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([*ys, fc["target"] if fc else 0, fc["value"] if fc and fc.get("value") else 0])
    peak = peak * 1.1 or 1
    n = max(end_index, 1)

    def x_of(i: float) -> float:
        return left + plot_w * i / n

    def y_of(v: float) -> float:
        return top + plot_h * (1 - max(0.0, v) / peak)

    title = present.forecast_sentence(fc) or _("%(code)s: values so far", code=row["code"])
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="svg-chart forecast-chart" '
        f'viewBox="0 0 {width} {height + 40}" role="img" aria-labelledby="{uid}-t" {FONT}>',
        f'<title id="{uid}-t">{escape(row["code"])} — {escape(title)}</title>',
    ]
    for k in range(5):
        v = peak * k / 4
        y = y_of(v)
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d5dbdb"/>'
            f'<text x="{left - 6}" y="{y + 6:.1f}" text-anchor="end" font-size="16">'
            f"{escape(present.num(v, 0))}</text>"
        )
    codes = [p["period"] for p in points]
    if fc and fc.get("end_period"):
        first_year = int(codes[0][:4])
        last_year = int(fc["end_period"][:4])
        per_year = max(1, round((end_index + 1) / max(1, last_year - first_year + 1)))
        for year in range(first_year, last_year + 1, 2 if last_year - first_year > 6 else 1):
            i = (year - first_year) * per_year
            out.append(
                f'<text x="{x_of(i):.1f}" y="{top + plot_h + 26}" text-anchor="middle" '
                f'font-size="16">{year}</text>'
            )
    else:
        for i, code in enumerate(codes):
            out.append(
                f'<text x="{x_of(idx[i]):.1f}" y="{top + plot_h + 26}" text-anchor="middle" '
                f'font-size="16">{escape(code)}</text>'
            )
    target_label = _("Target %(value)s", value=present.num(fc["target"])) if fc else ""
    trend_label = _("Trend (least squares)")
    if fc:
        ty = y_of(fc["target"])
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{ty:.1f}" y2="{ty:.1f}" '
            f'stroke="#000" stroke-width="2"/>'
            f'<text x="{width - right}" y="{ty - 8:.1f}" text-anchor="end" font-size="17">'
            f"{escape(target_label)}</text>"
        )
        x0, x1 = idx[0], end_index
        y0 = fc["intercept"] + fc["slope"] * x0
        y1 = fc["intercept"] + fc["slope"] * x1
        out.append(
            f'<line x1="{x_of(x0):.1f}" y1="{y_of(y0):.1f}" x2="{x_of(x1):.1f}" '
            f'y2="{y_of(y1):.1f}" stroke="#1b4f72" stroke-width="2" stroke-dasharray="8 5">'
            f"<title>{escape(title)}</title></line>"
        )
    line = " ".join(f"{x_of(i):.1f},{y_of(v):.1f}" for i, v in zip(idx, ys, strict=False))
    out.append(f'<polyline points="{line}" fill="none" stroke="#000" stroke-width="2.5"/>')
    for i, v, code in zip(idx, ys, codes, strict=False):
        out.append(
            f'<rect x="{x_of(i) - 4:.1f}" y="{y_of(v) - 4:.1f}" width="8" height="8" fill="#000">'
            f"<title>{escape(code)}: {escape(present.num(v))}</title></rect>"
        )
    legend_y = height + 20
    label = _("Cumulative actual") if cumulative else _("Actual")
    out.append(
        f'<line x1="{left}" x2="{left + 28}" y1="{legend_y - 6}" y2="{legend_y - 6}" '
        f'stroke="#000" stroke-width="2.5"/>'
        f'<text x="{left + 36}" y="{legend_y}" font-size="17">{escape(label)}</text>'
    )
    if fc:
        out.append(
            f'<line x1="{left + 300}" x2="{left + 328}" y1="{legend_y - 6}" y2="{legend_y - 6}" '
            f'stroke="#1b4f72" stroke-width="2" stroke-dasharray="8 5"/>'
            f'<text x="{left + 336}" y="{legend_y}" font-size="17">'
            f"{escape(trend_label)}</text>"
        )
    out.append("</svg>")
    return "".join(out)
