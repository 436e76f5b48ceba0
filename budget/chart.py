"""The cost-sharing chart as server-rendered SVG: per year, a stacked bar of the MoI
share and each donor's share of the planned budget, and the path as a line.

Plain string building with XML escaping; the caller passes labels already translated,
so the same picture serves the page in English or Khmer and a printed report.
"""

from __future__ import annotations

from decimal import Decimal
from xml.sax.saxutils import escape

PALETTE = ["#1b4f72", "#d68910", "#7d3c98", "#148f77", "#a93226", "#5d6d7e", "#2e86c1"]
PATH_COLOUR = "#111111"
FONT = 22
LEGEND_ROW = 32


def _pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{(value * 100).quantize(Decimal('1'))}%"


def cost_sharing_svg(
    years: list[int],
    shares: dict[int, dict[str, Decimal | None]],
    series: list[tuple[str, str]],
    path: dict[int, Decimal],
    labels: dict[str, str],
) -> str:
    """``shares[year][code]`` is a share (0–1) of the year's planned total; ``series`` is
    [(code, label)] bottom to top (the MoI first); ``labels`` holds 'title', 'path',
    'share' and 'year' in the page's language."""
    # Large type for a small picture: on a 360-px phone the chart is drawn at about half
    # size (336 of 640 units), so 22-unit text is still 11.5 px there; on a desktop it is
    # drawn at most 640 px wide (app.css).
    width, height = 640, 380
    left, right, top, bottom = 70, 12, 20, 70
    legend_rows = len(series) + 1  # one to a row: Khmer names are long
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(1, len(years))
    slot = plot_w / n
    bar = slot * 0.62

    def y_of(share: Decimal) -> float:
        return top + plot_h * (1 - float(min(max(share, Decimal(0)), Decimal(1))))  # pixels

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="svg-chart budget-chart" '
        f'viewBox="0 0 {width} {height + LEGEND_ROW * legend_rows}" role="img" '
        f'aria-labelledby="budget-chart-title">',
        f'<title id="budget-chart-title">{escape(labels["title"])}</title>',
    ]
    for tick in range(0, 101, 20):
        y = y_of(Decimal(tick) / 100)
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#d5dbdb" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y + 6:.1f}" text-anchor="end" '
            f'font-size="{FONT}">{tick}%</text>'
        )
    colours = {code: PALETTE[i % len(PALETTE)] for i, (code, _l) in enumerate(series)}
    names = dict(series)
    for i, year in enumerate(years):
        x = left + slot * i + (slot - bar) / 2
        base = Decimal(0)
        for code, _label in series:
            s = (shares.get(year) or {}).get(code) or Decimal(0)
            if s <= 0:
                continue
            y_top, y_bottom = y_of(base + s), y_of(base)
            out.append(
                f'<rect x="{x:.1f}" y="{y_top:.1f}" width="{bar:.1f}" '
                f'height="{max(0.0, y_bottom - y_top):.1f}" fill="{colours[code]}">'
                f"<title>{escape(str(year))} · {escape(names[code])}: {_pct(s)}</title></rect>"
            )
            base += s
        # slanted, so that ten years fit under the bars at a size a phone can read
        cx, cy = left + slot * i + slot / 2 + 8, top + plot_h + 20
        out.append(
            f'<text x="{cx:.1f}" y="{cy}" text-anchor="end" font-size="{FONT}" '
            f'transform="rotate(-40 {cx:.1f} {cy})">{year}</text>'
        )
    points = " ".join(
        f"{left + slot * i + slot / 2:.1f},{y_of(path[y]):.1f}"
        for i, y in enumerate(years)
        if path.get(y) is not None
    )
    if points:
        out.append(
            f'<polyline points="{points}" fill="none" stroke="{PATH_COLOUR}" '
            f'stroke-width="2.5" stroke-dasharray="6 4"/>'
        )
        for i, y in enumerate(years):
            if path.get(y) is not None:
                out.append(
                    f'<circle cx="{left + slot * i + slot / 2:.1f}" cy="{y_of(path[y]):.1f}" '
                    f'r="3.5" fill="{PATH_COLOUR}"><title>{escape(labels["path"])} '
                    f"{y}: {_pct(path[y])}</title></circle>"
                )
    # Legend under the plot, one to a row so that Khmer names stay readable on a phone.
    legend = [(PATH_COLOUR, labels["path"], True)] + [
        (colours[c], label, False) for c, label in series
    ]
    for i, (colour, label, dashed) in enumerate(legend):
        x = 12
        y = height + i * LEGEND_ROW + 4
        if dashed:
            out.append(
                f'<line x1="{x:.1f}" x2="{x + 24:.1f}" y1="{y - 6}" y2="{y - 6}" '
                f'stroke="{colour}" stroke-width="2.5" stroke-dasharray="6 4"/>'
            )
        else:
            out.append(f'<rect x="{x:.1f}" y="{y - 11}" width="14" height="14" fill="{colour}"/>')
        out.append(f'<text x="{x + 30:.1f}" y="{y}" font-size="{FONT}">{escape(label)}</text>')
    out.append("</svg>")
    return "".join(out)
