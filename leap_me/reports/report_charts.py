"""Charts of the progress report: the hand-written SVG of :mod:`leap_me.reports.charts`,
arranged so that the PDF shapes Khmer correctly.

WeasyPrint draws SVG ``<text>`` letter by letter, without shaping: Khmer vowels and
subscripts would fall apart (dotted circles). So in the report every word of a chart is
HTML (shaped by Pango like the rest of the page) and the SVG keeps only the marks, the
figures and the lines:

* :func:`status_strips` — indicators by status, one labelled bar per row, the legend in
  HTML (status marks ▲ ● ✓ ◐ ○ ✗ … – and patterns, never colour alone);
* :func:`without_khmer_text` — the forecast chart with its Khmer labels taken out; its
  legend and target are printed in the figure's caption instead.
"""

from __future__ import annotations

import re
from typing import Any
from xml.sax.saxutils import escape

from leap_me.reports import charts, present
from leap_me.reports.variance import STATUSES

_KHMER_TEXT = re.compile(r"<text\b[^>]*>[^<]*[\u1780-\u17FF\u19E0-\u19FF][^<]*</text>")


def without_khmer_text(svg: str) -> str:
    """The SVG without the ``<text>`` elements that hold Khmer (their ``<title>`` stays)."""
    return _KHMER_TEXT.sub("", svg or "")


def status_strip(label: str, counts: dict[str, int]) -> str:
    """One bar: the share of each status, with its pattern, mark and count."""
    uid = charts._uid("ps")
    width, height = 720, 30
    total = sum(counts.values()) or 1
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="svg-chart status-strip" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}">',
        charts._patterns(uid),
    ]
    x = 0.0
    for status in STATUSES:
        n = counts.get(status, 0)
        if not n:
            continue
        w = width * n / total
        fill, kind, _ink = charts.STYLE[status]
        name = present.status_title(status)
        # solid fills drawn as colours: a print shows no seams between pattern tiles
        paint = fill if kind in ("solid", "none") else f"url(#{uid}-{status})"
        out.append(
            f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="{height}" '
            f'fill="{paint}" stroke="#000" stroke-width="1">'
            f"<title>{escape(label)} · {escape(name)}: {n}</title></rect>"
        )
        if w >= 34:
            # the mark and count on a white tag: legible on every fill, in black and white
            tag = 14 + 10 * len(str(n))
            cx = x + w / 2
            out.append(
                f'<rect x="{cx - tag / 2:.1f}" y="5" width="{tag}" height="20" rx="3" '
                f'fill="#fff" stroke="#000" stroke-width="0.8"/>'
                f'<text x="{cx:.1f}" y="20.5" text-anchor="middle" font-size="15" '
                f'font-weight="bold" fill="#000" font-family="DejaVu Sans, sans-serif">'
                f"{present.STATUS_MARKS[status]}{n}</text>"
            )
        x += w
    out.append("</svg>")
    return "".join(out)


def status_strips(rows: list[tuple[str, dict[str, int]]]) -> list[dict[str, Any]]:
    """[{label, svg}] for the rows of :func:`charts.status_bars` (its table)."""
    return [
        {"label": label, "svg": status_strip(label, counts)}
        for label, counts in rows
        if sum(counts.values())
    ]


def legend() -> list[dict[str, str]]:
    """The statuses with their marks and a sample of their pattern (an SVG swatch)."""
    out = []
    for status in STATUSES:
        uid = charts._uid("pl")
        swatch = (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="18" height="12" viewBox="0 0 18 12" '
            f'aria-hidden="true">{charts._patterns(uid)}'
            f'<rect width="18" height="12" fill="url(#{uid}-{status})" stroke="#000"/></svg>'
        )
        out.append(
            {
                "status": status,
                "mark": present.STATUS_MARKS[status],
                "title": present.status_title(status),
                "swatch": swatch,
            }
        )
    return out
