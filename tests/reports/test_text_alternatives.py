"""Every chart of the dashboards, the variance pages and the progress report has a text
alternative (issue 12, "every chart has a text alternative"): an ``<svg role="img">``
named by its own ``<title>`` (``aria-labelledby``) or an ``aria-label``, and no two
elements of a page share an id (two charts on one page, the drill-down's two canvases)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from flask_babel import refresh

from leap_me import seeding
from leap_me.reports import params, variance

SVG = re.compile(r"<svg\b([^>]*)>(.*?)</svg>", re.S)
ATTR = re.compile(r'([\w:-]+)="([^"]*)"')
IDS = re.compile(r'\sid="([^"]+)"')


@pytest.fixture
def demo(app, db):
    seeding.seed_all(db.session, Path(app.config["SEEDS_DIR"]))
    db.session.commit()
    period = params.default_period(db.session)
    rows = variance.variance(db.session, period, "plan")
    code = next(r["code"] for r in rows if r.get("forecast"))
    return {"period": period, "code": code}


def _check(html: str, url: str) -> int:
    charts = []
    for attrs, body in SVG.findall(html):
        a = dict(ATTR.findall(attrs))
        if a.get("aria-hidden") == "true":  # a legend's swatch beside its words
            assert "<text" not in body, (url, attrs[:120])
            continue
        charts.append(attrs)
        assert a.get("role") == "img", (url, attrs[:120])
        if a.get("aria-label"):
            continue
        label = a.get("aria-labelledby")
        assert label, (url, attrs[:120])
        for ref in label.split():  # its <title> (and a <desc>), inside the chart
            named = re.search(rf'<(title|desc) id="{re.escape(ref)}">([^<]+)</\1>', body)
            assert named and named.group(2).strip(), (url, ref)
        assert "<title" in body, url
    dupes = [i for i, n in Counter(IDS.findall(html)).items() if n > 1]
    assert dupes == [], (url, dupes)
    return len(charts)


@pytest.mark.parametrize("lang", ["en", "km"])
def test_every_chart_is_named_in_both_languages(demo, login, lang):
    client = login("planner")
    r = client.post("/language", data={"lang": lang})
    assert r.status_code == 302, r.get_data(as_text=True)[:300]
    p, code = demo["period"], demo["code"]
    urls = [
        "/",
        f"/variance?period={p}&span=plan",
        f"/variance/{code}?period={p}&span=plan",
        f"/reports/progress/{p}",
    ]
    total = 0
    for url in urls:
        # the test's app context is shared with the client's requests: forget the locale
        # Babel cached there (while seeding), as every real request starts without one
        refresh()
        r = client.get(url)
        assert r.status_code == 200, url
        html = r.get_data(as_text=True)
        assert f'<html lang="{lang}"' in html, url
        total += _check(html, url)
    assert total >= 6
