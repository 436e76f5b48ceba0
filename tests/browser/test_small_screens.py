"""Measured in real Chromium: on a 360-px phone the menu, the periods and the charts stay
usable; on a 1366-px desktop the budget tables show every column (issue 8, item 19).

Each check measures the rendered page (boxes, the font size a chart's text really has on
screen) in English and in Khmer, and saves screenshots (LEAP_SCREENSHOTS keeps copies).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from leap_me import seeding
from leap_me.extensions import db
from tests.browser.conftest import wait_for_khmer_font

#: The smallest text a chart may show, in CSS pixels on the screen.
MIN_CHART_PX = 11

# For every <text> of the SVGs matched: the size it is drawn at on screen (its font size
# times the scale from the SVG's units to screen pixels); returns the smallest, with the
# text that has it.
SMALLEST_TEXT = """
(selector) => {
  let best = null;
  for (const svg of document.querySelectorAll(selector)) {
    for (const t of svg.querySelectorAll('text')) {
      if (!t.textContent.trim() || t.getClientRects().length === 0) continue;
      const m = t.getScreenCTM();
      if (!m) continue;
      const scale = Math.hypot(m.a, m.b);
      const px = parseFloat(getComputedStyle(t).fontSize) * scale;
      if (best === null || px < best[0]) best = [px, t.textContent.trim().slice(0, 40)];
    }
  }
  return best;
}
"""

# Elements matched that stick out of the viewport on the right, or are squeezed to nothing.
OFF_SCREEN = """
(selector) => {
  const out = [];
  for (const el of document.querySelectorAll(selector)) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.right > window.innerWidth + 1 || r.left < -1) {
      out.push((el.textContent || el.value || el.tagName).trim().slice(0, 40));
    }
  }
  return out;
}
"""


@pytest.fixture
def plan_and_budget(app):
    with app.app_context():
        seeding.seed_all(
            db.session,
            Path(app.config["SEEDS_DIR"]),
            only=("plan", "disaggregations", "indicators", "periods", "budget"),
        )
        db.session.commit()


def _khmer(page):
    page.click("form.lang-switch button")
    page.wait_for_selector("html[lang=km]")
    wait_for_khmer_font(page)


def _ready(page):
    page.evaluate("document.fonts.ready.then(() => true)")


@pytest.mark.parametrize("lang", ["en", "km"])
def test_phone_menu_reaches_the_user_menu_and_log_out(
    phone, live_server, sign_in, shot, plan_and_budget, lang
):
    sign_in(phone, "planner")
    if lang == "km":
        _khmer(phone)
    _ready(phone)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 362
    logout = phone.locator("form[action$='/logout'] button")
    if not logout.is_visible():  # behind the menu button
        phone.locator("details.nav-menu > summary").click()
    expect(logout).to_be_visible()
    box = logout.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 361, box
    shot(phone, f"phone-menu-open-{lang}")
    logout.click()
    phone.wait_for_url(f"{live_server}/login*")


@pytest.mark.parametrize("lang", ["en", "km"])
def test_phone_periods_show_deadlines_and_buttons_on_screen(
    phone, live_server, sign_in, shot, plan_and_budget, lang
):
    sign_in(phone, "planner")
    if lang == "km":
        _khmer(phone)
    phone.goto(f"{live_server}/periods")
    _ready(phone)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 362
    off = phone.evaluate(OFF_SCREEN, "main button, main .deadline, main input[type=date]")
    assert off == [], f"off-screen on a 360-px phone: {off}"
    assert phone.locator("main .deadline").count() > 0
    shot(phone, f"phone-periods-{lang}")


@pytest.mark.parametrize("lang", ["en", "km"])
def test_charts_text_is_at_least_11_px_on_a_phone(
    phone, live_server, sign_in, shot, plan_and_budget, lang
):
    sign_in(phone, "planner")
    if lang == "km":
        _khmer(phone)
    for path, selector in (
        ("/activities?year=2026", "svg.lf-gantt"),
        ("/budget", "main svg"),
    ):
        phone.goto(f"{live_server}{path}")
        _ready(phone)
        smallest = phone.evaluate(SMALLEST_TEXT, selector)
        assert smallest is not None, f"no chart text on {path}"
        assert smallest[0] >= MIN_CHART_PX - 0.01, f"{path}: {smallest[1]!r} at {smallest[0]:.1f}px"
        shot(phone, f"phone-chart-{path.strip('/').split('?')[0]}-{lang}")


def test_gantt_names_the_activities(phone, live_server, sign_in, plan_and_budget):
    sign_in(phone, "viewer")
    phone.goto(f"{live_server}/activities?year=2026")
    labels = phone.locator("svg.lf-gantt text.bar-label").all_text_contents()
    assert labels and all(len(t.split(" ", 1)) == 2 for t in labels[:5]), labels[:5]


@pytest.mark.parametrize("lang", ["en", "km"])
def test_budget_tables_show_every_column_at_1366(
    browser, live_server, sign_in, shot, plan_and_budget, lang
):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB")
    page = context.new_page()
    try:
        sign_in(page, "planner")
        if lang == "km":
            _khmer(page)
        page.goto(f"{live_server}/budget")
        _ready(page)
        shot(page, f"budget-1366-{lang}")
        clipped = page.evaluate(
            """() => [...document.querySelectorAll('main table')].filter(t => {
                 const box = t.parentElement; return t.scrollWidth > box.clientWidth + 1;
               }).map(t => `${t.id || t.className}: ${t.scrollWidth}`
                           + ` > ${t.parentElement.clientWidth}`)"""
        )
        assert clipped == [], f"tables wider than their frame at 1366 px: {clipped}"
    finally:
        context.close()


# Texts of the matched SVGs that leave the SVG's box on screen (a clipped label) or
# overlap another text of the same SVG.
CLIPPED_OR_OVERLAPPING = """
(selector) => {
  const out = [];
  for (const svg of document.querySelectorAll(selector)) {
    if (svg.getClientRects().length === 0) continue;
    const box = svg.getBoundingClientRect();
    const texts = [...svg.querySelectorAll('text')].filter(
      t => t.textContent.trim() && t.getClientRects().length > 0);
    const rects = texts.map(t => t.getBoundingClientRect());
    texts.forEach((t, i) => {
      const r = rects[i];
      if (r.left < box.left - 0.5 || r.right > box.right + 0.5
          || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5) {
        out.push('clipped: ' + t.textContent.trim().slice(0, 40));
      }
      for (let j = i + 1; j < texts.length; j++) {
        const s = rects[j];
        const w = Math.min(r.right, s.right) - Math.max(r.left, s.left);
        const h = Math.min(r.bottom, s.bottom) - Math.max(r.top, s.top);
        if (w > 1 && h > 1) {
          out.push('overlap: ' + t.textContent.trim().slice(0, 20) + ' / '
                   + texts[j].textContent.trim().slice(0, 20));
        }
      }
    });
  }
  return out;
}
"""


@pytest.fixture
def demo_data(app):
    """The whole demo (values of several periods: the drill-down has a forecast)."""
    with app.app_context():
        seeding.seed_all(db.session, Path(app.config["SEEDS_DIR"]))
        db.session.commit()
        from leap_me.reports import params, variance

        period = params.default_period(db.session)
        rows = variance.variance(db.session, period, "plan")
        with_forecast = [r for r in rows if r.get("forecast") and len(r["series"]) >= 3]
        by_period = [r for r in rows if not r.get("forecast") and len(r["series"]) >= 3]
    assert with_forecast, "the demo has no indicator with a forecast"
    return {
        "period": period,
        "forecast": with_forecast[0]["code"],
        "periods": by_period[0]["code"] if by_period else None,
    }


@pytest.mark.parametrize("lang", ["en", "km"])
def test_drilldown_forecast_chart_is_legible_on_a_phone_and_on_a_desktop(
    phone, page, live_server, sign_in, shot, demo_data, lang
):
    """The forecast chart of the variance drill-down: text ≥ 11 px on a 360-px phone,
    no label clipped or overlapping another, on the phone and on a desktop."""
    codes = [c for c in (demo_data["forecast"], demo_data["periods"]) if c]
    for device, name in ((phone, "phone"), (page, "desktop")):
        sign_in(device, "reviewer")
        # the language is the user's: switch only when the page is not in it yet
        if device.evaluate("document.documentElement.lang") != lang:
            device.click("form.lang-switch button")
            device.wait_for_selector(f"html[lang={lang}]")
        for code in codes:
            device.goto(f"{live_server}/variance/{code}?period={demo_data['period']}&span=plan")
            _ready(device)
            shot(device, f"{name}-drilldown-forecast-{code}-{lang}")
            charts = device.locator("svg.forecast-chart:visible")
            assert charts.count() == 1, f"{code}: one chart on screen"
            assert charts.first.locator("title").count() >= 1  # a text alternative
            smallest = device.evaluate(SMALLEST_TEXT, "svg.forecast-chart")
            assert smallest is not None, f"no chart text on {code}"
            assert smallest[0] >= MIN_CHART_PX - 0.01, (
                f"{name} {code}: {smallest[1]!r} at {smallest[0]:.1f}px"
            )
            bad = device.evaluate(CLIPPED_OR_OVERLAPPING, "svg.forecast-chart")
            assert bad == [], f"{name} {code} ({lang}): {bad}"
            if name == "phone":
                assert device.evaluate("document.documentElement.scrollWidth") <= 362
