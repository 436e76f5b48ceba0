"""The activity timeline of a year as server-rendered SVG: one row per activity, grouped by
output, bars coloured by status with the done share darker, and a line at today.

Plain string building with XML escaping: the same picture serves the page and the PDF.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from xml.sax.saxutils import escape, quoteattr

from flask_babel import format_date
from flask_babel import gettext as _

STATUS_COLOURS = {
    "not_started": "#8a96a3",
    "on_track": "#2e7d32",
    "delayed": "#c62828",
    "completed": "#1565c0",
    "cancelled": "#5f5f5f",
}

#: Drawn at no less than 1100 px (app.css), so that 12-unit text is at least 11 px on
#: screen; on a phone the timeline scrolls inside its own frame.
WIDTH = 1200
LABEL = 360
HEAD = 30
GROUP_H = 24
ROW_H = 22


@dataclass
class Row:
    code: str
    title: str
    start: date
    end: date
    status: str
    progress: int
    tooltip: str


@dataclass
class Group:
    code: str
    title: str
    rows: list[Row]


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def render(year: int, groups: list[Group], today: date | None = None) -> str:
    y0, y1 = date(year, 1, 1), date(year, 12, 31)
    days = (y1 - y0).days + 1
    span = WIDTH - LABEL - 10

    def x(d: date) -> float:
        d = min(max(d, y0), y1)
        return LABEL + span * (d - y0).days / days

    title = _("Timeline of the activities of %(year)d", year=year)
    today_label = _("Today")
    height = HEAD + sum(GROUP_H + ROW_H * len(g.rows) for g in groups) + 8
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="svg-chart lf-gantt" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" '
        f"aria-label={quoteattr(title)}>",
        f"<title>{escape(title)}</title>",
    ]
    # month grid and names
    for m in range(1, 13):
        start = date(year, m, 1)
        x0 = x(start)
        x1 = x(date(year, m + 1, 1)) if m < 12 else LABEL + span
        out.append(
            f'<line x1="{x0:.1f}" y1="{HEAD - 6}" x2="{x0:.1f}" y2="{height - 4}" class="grid"/>'
        )
        out.append(
            f'<text x="{(x0 + x1) / 2:.1f}" y="{HEAD - 12}" text-anchor="middle" class="month">'
            f"{escape(format_date(start, 'MMM'))}</text>"
        )
    y = HEAD
    for g in groups:
        out.append(f'<rect x="0" y="{y}" width="{WIDTH}" height="{GROUP_H}" class="group"/>')
        out.append(
            f'<text x="4" y="{y + 16}" class="group-label">'
            f"{escape(g.code)} {escape(_short(g.title, 110))}</text>"
        )
        y += GROUP_H
        for r in g.rows:
            colour = STATUS_COLOURS.get(r.status, "#8a96a3")
            bx0, bx1 = x(r.start), x(r.end)
            bw = max(bx1 - bx0, 3)
            done = bw * max(0, min(100, r.progress)) / 100
            out.append(
                f'<g class="bar status-{escape(r.status)}"><title>{escape(r.tooltip)}</title>'
            )
            out.append(
                f'<text x="4" y="{y + 15}" class="code bar-label">'
                f"{escape(r.code)} {escape(_short(r.title, 48))}</text>"
            )
            out.append(
                f'<rect x="{bx0:.1f}" y="{y + 4}" width="{bw:.1f}" height="{ROW_H - 8}" '
                f'rx="3" fill="{colour}" fill-opacity="0.35"/>'
            )
            if done:
                out.append(
                    f'<rect x="{bx0:.1f}" y="{y + 4}" width="{done:.1f}" height="{ROW_H - 8}" '
                    f'rx="3" fill="{colour}"/>'
                )
            out.append("</g>")
            y += ROW_H
    if today and y0 <= today <= y1:
        tx = x(today)
        out.append(
            f'<line x1="{tx:.1f}" y1="{HEAD - 6}" x2="{tx:.1f}" y2="{height - 4}" class="today"/>'
        )
        anchor = "end" if tx > WIDTH - 80 else "start"
        out.append(
            f'<text x="{tx + (-3 if anchor == "end" else 3):.1f}" y="{height - 6}" '
            f'text-anchor="{anchor}" class="today-label">{escape(today_label)}</text>'
        )
    out.append("</svg>")
    return "".join(out)
