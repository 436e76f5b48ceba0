"""The forecast chart's two canvases (wide for the page and the PDF, compact for a
phone): every label inside the canvas, x labels thinned so that none overlaps the next,
the trend line stopped at the top of the plot, a title as the text alternative."""

from __future__ import annotations

import itertools
import re

import pytest

from leap_me.reports import charts


def _row(n: int, forecast: dict | None = None) -> dict:
    codes = [f"{2026 + i // 4}Q{i % 4 + 1}" for i in range(n)]
    return {
        "code": "T-1",
        "measure": "number",
        "agg_time": "sum",
        "series": [
            {"period": c, "actual": 10.0, "cumulative": 10.0 * (i + 1)} for i, c in enumerate(codes)
        ],
        "forecast": forecast,
    }


TEXT = re.compile(
    r'<text x="([\d.]+)" y="[\d.]+" text-anchor="(\w+)" font-size="(\d+)"[^>]*>([^<]*)<'
)


def _labels(svg: str) -> list[tuple[float, float, str]]:
    """(left, right, text) of every anchored label, by the chart's own width estimate."""
    out = []
    for x, anchor, size, text in TEXT.findall(svg):
        w = charts._text_width(text, float(size))
        x = float(x)
        left = {"start": x, "middle": x - w / 2, "end": x - w}[anchor]
        out.append((left, left + w, text))
    return out


@pytest.mark.parametrize("compact", [False, True])
def test_period_labels_stay_inside_and_apart(app, compact):
    with app.test_request_context():
        svg = charts.forecast_chart(_row(12), compact=compact)
    width = float(re.search(r'viewBox="0 0 ([\d.]+) ', svg).group(1))
    assert width == (360 if compact else 720)
    assert "<title" in svg  # the text alternative
    labels = _labels(svg)
    assert all(lo >= 0 and hi <= width for lo, hi, _t in labels), labels
    axis = sorted(lab for lab in labels if re.fullmatch(r"\d{4}Q\d", lab[2]))
    assert axis and axis[0][2] == "2026Q1"
    assert all(a[1] < b[0] for a, b in itertools.pairwise(axis)), axis  # no overlap
    if compact:
        assert len(axis) < 12  # thinned on the phone's canvas


def test_trend_line_stops_at_the_top_of_the_plot(app):
    fc = {
        "kind": "reach",
        "target": 100.0,
        "value": 100.0,
        "period": "2027Q4",
        "end_period": "2035Q4",
        "end_index": 39,
        "points": [(0, 10.0), (1, 20.0), (2, 30.0)],
        "intercept": 10.0,
        "slope": 10.0,
    }
    with app.test_request_context():
        svg = charts.forecast_chart(_row(3, fc), compact=True)
    trend = re.search(
        r'<line x1="[\d.]+" y1="[\d.]+" x2="[\d.]+" y2="(-?[\d.]+)" stroke="#1b4f72"', svg
    )
    assert float(trend.group(1)) >= 30 - 0.5  # the plot's top: never above the canvas
    assert ">2026<" in svg and (">2034<" in svg or ">2035<" in svg)
