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
    # Drawn by the dashboards' stacked bars (400 units wide: legible on a 360-px phone).
    svg = stacked_bars(
        rows,
        status_series(),
        title=_("Indicators by status, overall and per outcome"),
        cls="status-bars",
    )
    return {"svg": svg, "rows": rows}


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


#: The forecast chart's two canvases: the page and the PDF draw it 720 units wide; a
#: phone gets a canvas of its own, 360 units wide, so that the same 16-unit type is drawn
#: at about 0.9× (14 px) rather than 0.45× (7 px) — both are rendered and CSS shows one.
FORECAST_CANVAS = {"wide": (720, 310), "compact": (360, 230)}


def _text_width(text: str, size: float) -> float:
    """An upper estimate of a label's width in SVG units: Latin and digits about 0.6 em;
    Khmer combining signs (vowels, coeng and its subscript) add no width of their own."""
    width = 0.0
    for ch in text:
        code = ord(ch)
        if 0x17B4 <= code <= 0x17D3 or code == 0x17DD:  # dependent vowels, signs, coeng
            continue
        width += 0.75 if 0x1780 <= code <= 0x17FF else 0.6
    return width * size


def _axis_labels(
    candidates: list[tuple[float, str]], x_of, size: float, low: float, high: float
) -> list[tuple[float, str, str]]:
    """(x, text, anchor) for the x axis: every k-th candidate so that no two overlap, the
    first and last pulled inside ``low``–``high`` instead of being cut off."""
    if not candidates:
        return []
    widest = max(_text_width(t, size) for _i, t in candidates) + 10
    gaps = [x_of(b[0]) - x_of(a[0]) for a, b in itertools.pairwise(candidates)]
    step = 1
    if gaps:
        smallest = max(min(gaps), 0.1)
        step = max(1, int(-(-widest // smallest)))
    out = []
    for i, text in candidates[::step]:
        x, half = x_of(i), _text_width(text, size) / 2
        if x + half > high:
            out.append((high, text, "end"))
        elif x - half < low:
            out.append((low, text, "start"))
        else:
            out.append((x, text, "middle"))
    return out


def forecast_chart(row: dict[str, Any], lang: str = "en", *, compact: bool = False) -> str:
    """Cumulative actuals (or values, for stocks) per period, the least-squares line to
    the plan's last period and the end target: the forecast of METHOD.md §3.

    ``compact``: the phone's canvas (360 units wide, the legend on two lines)."""
    points = row.get("series") or []
    fc = row.get("forecast")
    if not points:
        return ""
    uid = _uid("fc")
    cumulative = row["measure"] == "number" and row["agg_time"] == "sum"
    ys = [p["cumulative"] if cumulative else p["actual"] for p in points]
    end_index = fc["end_index"] if fc else len(points) - 1
    idx = [x for x, _y in fc["points"]] if fc else list(range(len(points)))
    width, plot_h = FORECAST_CANVAS["compact" if compact else "wide"]
    size, legend_size = 16, 16 if compact else 17
    peak = max([*ys, fc["target"] if fc else 0, fc["value"] if fc and fc.get("value") else 0])
    peak = peak * 1.1 or 1
    ticks = [peak * k / 4 for k in range(5)]
    tick_texts = [present.num(v, 0) for v in ticks]
    left = max(44.0, max(_text_width(t, size) for t in tick_texts) + 14)
    right, top = (10 if compact else 20), 30
    plot_w = width - left - right
    n = max(end_index, 1)

    def x_of(i: float) -> float:
        return left + plot_w * i / n

    def y_of(v: float) -> float:
        return top + plot_h * (1 - max(0.0, v) / peak)

    label = _("Cumulative actual") if cumulative else _("Actual")
    trend_label = _("Trend (least squares)")
    axis_y = top + plot_h + 26
    if compact:
        legend_rows = [axis_y + 32, axis_y + 58] if fc else [axis_y + 32]
    else:
        legend_rows = [axis_y + 36]
    height = legend_rows[-1] + 12
    title = present.forecast_sentence(fc) or _("%(code)s: values so far", code=row["code"])
    cls = "svg-chart forecast-chart" + (" forecast-compact" if compact else " forecast-wide")
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{cls}" '
        f'viewBox="0 0 {width} {height:.0f}" role="img" aria-labelledby="{uid}-t" {FONT}>',
        f'<title id="{uid}-t">{escape(row["code"])} — {escape(title)}</title>',
    ]
    for v, text in zip(ticks, tick_texts, strict=True):
        y = y_of(v)
        out.append(
            f'<line x1="{left:.1f}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#d5dbdb"/><text x="{left - 6:.1f}" y="{y + 6:.1f}" text-anchor="end" '
            f'font-size="{size}">{escape(text)}</text>'
        )
    codes = [p["period"] for p in points]
    if fc and fc.get("end_period"):
        first_year = int(codes[0][:4])
        last_year = int(fc["end_period"][:4])
        per_year = max(1, round((end_index + 1) / max(1, last_year - first_year + 1)))
        candidates = [
            (float((year - first_year) * per_year), str(year))
            for year in range(first_year, last_year + 1)
        ]
    else:
        candidates = [(float(idx[i]), code) for i, code in enumerate(codes)]
    for x, text, anchor in _axis_labels(candidates, x_of, size, 2, width - 2):
        out.append(
            f'<text x="{x:.1f}" y="{axis_y:.0f}" text-anchor="{anchor}" '
            f'font-size="{size}">{escape(text)}</text>'
        )
    if fc:
        target_label = _("Target %(value)s", value=present.num(fc["target"]))
        ty = y_of(fc["target"])
        out.append(
            f'<line x1="{left:.1f}" x2="{width - right}" y1="{ty:.1f}" y2="{ty:.1f}" '
            f'stroke="#000" stroke-width="2"/>'
            f'<text x="{width - right}" y="{ty - 8:.1f}" text-anchor="end" '
            f'font-size="{legend_size}" stroke="#fff" stroke-width="4" paint-order="stroke">'
            f"{escape(target_label)}</text>"
        )
        x0, x1 = idx[0], end_index
        y0 = fc["intercept"] + fc["slope"] * x0
        y1 = fc["intercept"] + fc["slope"] * x1
        if y1 > peak and fc["slope"] > 0:  # stop the line at the top of the plot
            x1 = max(x0, (peak - fc["intercept"]) / fc["slope"])
            y1 = peak
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
    keys = [(label, 'stroke="#000" stroke-width="2.5"')]
    if fc:
        keys.append((trend_label, 'stroke="#1b4f72" stroke-width="2" stroke-dasharray="8 5"'))
    lx = 4.0 if compact else left
    for k, (text, stroke) in enumerate(keys):
        ly = legend_rows[k] if compact else legend_rows[0]
        x = lx if compact else lx + 300 * k
        out.append(
            f'<line x1="{x:.1f}" x2="{x + 28:.1f}" y1="{ly - 6:.0f}" y2="{ly - 6:.0f}" {stroke}/>'
            f'<text x="{x + 36:.1f}" y="{ly:.0f}" font-size="{legend_size}">'
            f"{escape(text)}</text>"
        )
    out.append("</svg>")
    return "".join(out)


# --- the dashboards' charts (same style, narrower canvas) ----------------------------
#
# The dashboards put several charts on one screen, so their canvas is 400 units wide:
# on a 360-px phone they are drawn at about 0.8×, and 18-unit type stays near 14 px.
# Every one of them takes its series as (key, label, fill, pattern kind, ink, mark):
# the pattern and the printed mark tell the series apart in black and white.

DASH_W = 400

#: pattern kind → the marks drawn over the fill in one 8 × 8 tile
_MARKS = {
    "solid": "",
    "none": "",
    "dots": '<circle cx="4" cy="4" r="1.6" fill="#000" fill-opacity="0.45"/>',
    "hatch": '<path d="M0,8 L8,0" stroke="#000" stroke-opacity="0.5" stroke-width="1.6"/>',
    "cross": '<path d="M0,8 L8,0 M0,0 L8,8" stroke="#fff" stroke-opacity="0.7" '
    'stroke-width="1.4"/>',
    "lines": '<path d="M0,4 L8,4" stroke="#fff" stroke-opacity="0.7" stroke-width="1.6"/>',
    "vlines": '<path d="M4,0 L4,8" stroke="#000" stroke-opacity="0.45" stroke-width="1.6"/>',
}


def _pattern(pid: str, fill: str, kind: str) -> str:
    return (
        f'<pattern id="{pid}" width="8" height="8" patternUnits="userSpaceOnUse">'
        f'<rect width="8" height="8" fill="{fill}"/>{_MARKS[kind]}</pattern>'
    )


def status_series() -> list[tuple[str, str, str, str, str, str]]:
    """The variance statuses as chart series, in table order."""
    return [
        (s, present.status_title(s), STYLE[s][0], STYLE[s][1], STYLE[s][2], present.STATUS_MARKS[s])
        for s in STATUSES
    ]


def _head(uid: str, cls: str, height: float, title: str, desc: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="svg-chart dash-chart {cls}" '
        f'viewBox="0 0 {DASH_W} {height:.0f}" role="img" '
        f'aria-labelledby="{uid}-t {uid}-d" {FONT}>',
        f'<title id="{uid}-t">{escape(title)}</title>',
        f'<desc id="{uid}-d">{escape(desc)}</desc>',
    ]


def _legend(uid: str, series, y: float, columns: int = 2) -> tuple[list[str], float]:
    out = []
    rows = (len(series) + columns - 1) // columns
    for i, (key, label, _fill, _kind, _ink, mark) in enumerate(series):
        row, col = divmod(i, columns)
        lx = 4 + col * (DASH_W / columns)
        ly = y + row * 28 + 18
        out.append(
            f'<rect x="{lx:.1f}" y="{ly - 15}" width="20" height="18" '
            f'fill="url(#{uid}-{key})" stroke="#000"/>'
            f'<text x="{lx + 26:.1f}" y="{ly}" font-size="17">'
            f"{escape(mark)} {escape(_short(label, 18))}</text>"
        )
    return out, y + rows * 28 + 8


def stacked_bars(
    rows: list[tuple[str, dict[str, int]]],
    series: list[tuple[str, str, str, str, str, str]],
    *,
    title: str,
    cls: str = "stacked-bars",
) -> str:
    """One labelled horizontal bar per row, split into the series (counts): the stacked
    bar of the dashboards (indicators by status, activities by status, per outcome)."""
    uid = _uid("db")
    left, plot_w = 4, DASH_W - 8
    bar_h, label_h, gap = 28, 26, 12
    legend_rows = (len(series) + 1) // 2
    height = 4 + len(rows) * (bar_h + label_h + gap) + legend_rows * 28 + 12
    names = {key: label for key, label, *_rest in series}
    desc = "; ".join(
        f"{label}: " + ", ".join(f"{names[k]} {c.get(k, 0)}" for k, *_r in series if c.get(k, 0))
        for label, c in rows
    )
    out = _head(uid, cls, height, title, desc)
    out.append(
        "<defs>"
        + "".join(_pattern(f"{uid}-{k}", fill, kind) for k, _l, fill, kind, _i, _m in series)
        + "</defs>"
    )
    y = 4.0
    for label, c in rows:
        total = sum(c.get(k, 0) for k, *_r in series)
        out.append(
            f'<text x="{left}" y="{y + 18:.0f}" font-size="18">{escape(_short(label, 34))} '
            f'<tspan font-weight="bold">({total})</tspan></text>'
        )
        y += label_h
        x = float(left)
        for key, name, fill, _kind, ink, mark in series:
            n = c.get(key, 0)
            if not n:
                continue
            w = plot_w * n / total
            out.append(
                f'<rect x="{x:.1f}" y="{y:.0f}" width="{w:.1f}" height="{bar_h}" '
                f'fill="url(#{uid}-{key})" stroke="#000" stroke-width="1">'
                f"<title>{escape(label)} · {escape(name)}: {n}</title></rect>"
            )
            text = f"{mark}{n}"
            if w >= 12 * len(text) + 6:
                out.append(
                    f'<text x="{x + w / 2:.1f}" y="{y + 20:.0f}" text-anchor="middle" '
                    f'font-size="17" font-weight="bold" fill="{ink}" stroke="{fill}" '
                    f'stroke-width="3" paint-order="stroke">{escape(text)}</text>'
                )
            x += w
        if not total:
            out.append(
                f'<rect x="{left}" y="{y:.0f}" width="{plot_w}" height="{bar_h}" fill="none" '
                f'stroke="#000" stroke-dasharray="4 3"/>'
            )
        y += bar_h + gap
    legend, _y = _legend(uid, series, y)
    out.extend(legend)
    out.append("</svg>")
    return "".join(out)


def meters(items: list[dict[str, Any]], *, title: str, cls: str = "meters") -> str:
    """Percentages as labelled bars on a 0–100 % scale: ``items`` are dicts of ``label``,
    ``value`` (0–100, or None when there is nothing to measure), ``text`` (the figure as
    printed, e.g. "75 % (3 of 4)") and ``kind`` (a pattern kind). Each bar carries its
    own figure, so no legend is needed and colour carries no meaning."""
    uid = _uid("mt")
    left, plot_w = 4, DASH_W - 8
    bar_h, label_h, gap = 26, 26, 12
    height = 8 + len(items) * (bar_h + label_h + gap) + 20
    desc = "; ".join(f"{i['label']}: {i['text']}" for i in items)
    out = _head(uid, cls, height, title, desc)
    kinds = sorted({i.get("kind", "solid") for i in items})
    out.append("<defs>" + "".join(_pattern(f"{uid}-{k}", "#1b4f72", k) for k in kinds) + "</defs>")
    y = 4.0
    for item in items:
        out.append(
            f'<text x="{left}" y="{y + 18:.0f}" font-size="18">{escape(_short(item["label"], 40))}'
            "</text>"
        )
        y += label_h
        out.append(
            f'<rect x="{left}" y="{y:.0f}" width="{plot_w}" height="{bar_h}" fill="#ffffff" '
            f'stroke="#000" stroke-width="1"/>'
        )
        value = item.get("value")
        text = item["text"]
        if value is not None:
            w = plot_w * max(0.0, min(100.0, float(value))) / 100
            out.append(
                f'<rect x="{left}" y="{y:.0f}" width="{w:.1f}" height="{bar_h}" '
                f'fill="url(#{uid}-{item.get("kind", "solid")})" stroke="#000" stroke-width="1">'
                f"<title>{escape(item['label'])}: {escape(text)}</title></rect>"
            )
            inside = w > 17 * len(text) * 0.6 + 12
            tx = left + w - 6 if inside else left + w + 6
            anchor = "end" if inside else "start"
            if not inside and tx + 10 * len(text) > DASH_W:
                tx, anchor = DASH_W - 8, "end"
            ink, halo = ("#ffffff", "#1b4f72") if inside else ("#000000", "#ffffff")
        else:
            tx, anchor, ink, halo = left + 8, "start", "#000000", "#ffffff"
        out.append(
            f'<text x="{tx:.1f}" y="{y + 19:.0f}" text-anchor="{anchor}" font-size="17" '
            f'font-weight="bold" fill="{ink}" stroke="{halo}" stroke-width="3" '
            f'paint-order="stroke">{escape(text)}</text>'
        )
        y += bar_h + gap
    for tick in (0, 50, 100):
        tx = left + plot_w * tick / 100
        anchor = {0: "start", 50: "middle", 100: "end"}[tick]
        out.append(
            f'<text x="{tx:.1f}" y="{y + 10:.0f}" text-anchor="{anchor}" font-size="15" '
            f'fill="#333">{tick} %</text>'
        )
    out.append("</svg>")
    return "".join(out)


def share_path_chart(
    years: list[dict[str, Any]], *, title: str, bar_label: str, path_label: str
) -> str:
    """The MoI share of each year's planned budget (hatched bars, the share printed above
    each) against the cost-sharing path (a dashed line with round marks). ``years`` are
    dicts of ``year``, ``share`` and ``path`` (fractions 0–1, or None)."""
    uid = _uid("cs")
    left, right, top, plot_h = 44, 6, 26, 180
    plot_w = DASH_W - left - right
    n = max(1, len(years))
    slot = plot_w / n
    bar = slot * 0.64
    height = top + plot_h + 30 + 2 * 28 + 8

    def pct(v: float | None) -> str:
        return "—" if v is None else f"{round(float(v) * 100)} %"

    def y_of(v: float) -> float:
        return top + plot_h * (1 - max(0.0, min(1.0, float(v))))

    desc = "; ".join(
        f"{y['year']}: {bar_label} {pct(y['share'])}, {path_label} {pct(y['path'])}" for y in years
    )
    out = _head(uid, "share-path", height, title, desc)
    out.append(
        "<defs>"
        + _pattern(f"{uid}-bar", "#1b4f72", "hatch")
        + _pattern(f"{uid}-bar-key", "#1b4f72", "hatch")
        + "</defs>"
    )
    for tick in (0, 50, 100):
        y = y_of(tick / 100)
        out.append(
            f'<line x1="{left}" x2="{DASH_W - right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#aab7b8" stroke-width="1"/>'
            f'<text x="{left - 4}" y="{y + 5:.1f}" text-anchor="end" font-size="15">{tick}%</text>'
        )
    small = n > 6
    for i, row in enumerate(years):
        cx = left + slot * i + slot / 2
        share = row.get("share")
        if share is not None:
            y = y_of(share)
            out.append(
                f'<rect x="{cx - bar / 2:.1f}" y="{y:.1f}" width="{bar:.1f}" '
                f'height="{top + plot_h - y:.1f}" fill="url(#{uid}-bar)" stroke="#000">'
                f"<title>{row['year']} · {escape(bar_label)}: {pct(share)}</title></rect>"
            )
            out.append(
                f'<text x="{cx:.1f}" y="{y - 5:.1f}" text-anchor="middle" '
                f'font-size="{13 if small else 16}" font-weight="bold" stroke="#fff" '
                f'stroke-width="3" paint-order="stroke">{round(float(share) * 100)}</text>'
            )
        label = str(row["year"])
        if small:
            label = "’" + label[-2:]
        out.append(
            f'<text x="{cx:.1f}" y="{top + plot_h + 20}" text-anchor="middle" '
            f'font-size="{14 if small else 16}">{escape(label)}</text>'
        )
    points = [
        (left + slot * i + slot / 2, y_of(r["path"]), r)
        for i, r in enumerate(years)
        if r.get("path") is not None
    ]
    if points:
        out.append(
            f'<polyline points="{" ".join(f"{x:.1f},{y:.1f}" for x, y, _r in points)}" '
            f'fill="none" stroke="#000" stroke-width="2.5" stroke-dasharray="7 4"/>'
        )
        for x, y, r in points:
            out.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="#fff" stroke="#000" '
                f'stroke-width="2"><title>{r["year"]} · {escape(path_label)}: '
                f"{pct(r['path'])}</title></circle>"
            )
    ly = top + plot_h + 30 + 18
    out.append(
        f'<rect x="4" y="{ly - 14}" width="20" height="18" fill="url(#{uid}-bar-key)" '
        f'stroke="#000"/><text x="30" y="{ly}" font-size="17">{escape(bar_label)}</text>'
    )
    ly += 28
    out.append(
        f'<line x1="4" x2="24" y1="{ly - 5}" y2="{ly - 5}" stroke="#000" stroke-width="2.5" '
        f'stroke-dasharray="7 4"/><circle cx="14" cy="{ly - 5}" r="4.5" fill="#fff" '
        f'stroke="#000" stroke-width="2"/>'
        f'<text x="30" y="{ly}" font-size="17">{escape(path_label)}</text>'
    )
    out.append("</svg>")
    return "".join(out)
