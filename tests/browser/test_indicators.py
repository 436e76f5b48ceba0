"""The indicators pages in real Chromium: reference sheet, target grid paste, periods,
in English and Khmer, and on a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from leap_me.extensions import db
from tests.browser.conftest import wait_for_khmer_font
from tests.indicators.conftest import SEEDS, load_plan


@pytest.fixture
def seeded_app(app):
    from indicators.services import seed_steps

    with app.app_context():
        load_plan(db.session)
        for _name, step in seed_steps():
            step(db.session, SEEDS)
        db.session.commit()
    return app


def test_reference_sheet_and_target_grid(seeded_app, page, live_server, sign_in, shot):
    sign_in(page, "planner")
    page.locator("#main-menu").get_by_text("Indicators").click()
    expect(page.locator("table").get_by_text("AHTJP-01")).to_be_visible()
    shot(page, "indicators-registry-en")
    page.goto(f"{live_server}/indicators/AHTJP-02")
    expect(page.get_by_text("290 persons (2024)")).to_be_visible()
    shot(page, "indicators-pirs-en")
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Print")).not_to_be_visible()
    shot(page, "indicators-pirs-print")
    page.emulate_media(media="screen")
    # pasting a block of cells from a spreadsheet fills the grid (progressive JS)
    page.goto(f"{live_server}/indicators/AHTJP-01/targets")
    cell = page.locator("input[name='c-2030-KH']")
    cell.focus()
    page.evaluate(
        """() => {
          const data = new DataTransfer();
          data.setData('text/plain', '500\\t20\\n520\\t21');
          const input = document.querySelector("input[name='c-2030-KH']");
          input.dispatchEvent(new ClipboardEvent('paste', {clipboardData: data, bubbles: true}));
        }"""
    )
    assert page.locator("input[name='c-2031-KH']").input_value() == "520"
    assert page.locator("input[name='c-2031-KH-1']").input_value() == "21"
    shot(page, "indicators-targets-en")
    page.get_by_role("button", name="Save targets").click()
    expect(page.get_by_text("targets saved")).to_be_visible()
    page.goto(f"{live_server}/indicators/LEAP-7.3/edit")
    assert page.locator("input[name=baseline_numerator]").input_value() == "25"
    shot(page, "indicators-edit-en")
    page.goto(f"{live_server}/periods?year=2026")
    shot(page, "indicators-periods-en")
    page.click("form.lang-switch button")
    page.wait_for_selector("html[lang=km]")
    page.goto(f"{live_server}/indicators/AHTJP-02")
    wait_for_khmer_font(page)
    shot(page, "indicators-pirs-km")
    page.goto(f"{live_server}/indicators/AHTJP-01/targets")
    shot(page, "indicators-targets-km")


def test_indicator_pages_fit_a_phone(seeded_app, phone, live_server, sign_in, shot):
    sign_in(phone, "viewer")
    for path, name in (("/indicators", "registry"), ("/indicators/LEAP-8.1", "pirs")):
        phone.goto(f"{live_server}{path}")
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 362, f"{path} is {width}px wide on a 360px screen"
        shot(phone, f"indicators-{name}-phone")
