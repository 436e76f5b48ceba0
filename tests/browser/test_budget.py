"""The budget schedule in real Chromium: desktop and a 360-px phone, English and Khmer."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from leap_me import seeding
from leap_me.extensions import db
from tests.browser.conftest import wait_for_khmer_font


@pytest.fixture
def budget_seed(app):
    with app.app_context():
        seeding.seed_all(db.session, Path(app.config["SEEDS_DIR"]), only=("budget",))
        db.session.commit()


def test_schedule_on_desktop_in_english_and_khmer(page, live_server, sign_in, shot, budget_seed):
    sign_in(page, "planner")
    page.goto(f"{live_server}/budget")
    expect(page.locator("svg.budget-chart")).to_be_visible()
    row = page.locator("#schedule-years tbody tr").nth(2)
    assert "2028" in row.inner_text() and "51,705.87" in row.inner_text()
    shot(page, "budget-schedule-en")
    page.click("form.lang-switch button")
    page.wait_for_selector("html[lang=km]")
    wait_for_khmer_font(page)
    legend = page.locator("svg.budget-chart > text", has_text="គន្លង (ចំណែកក្រសួងមហាផ្ទៃ)")
    assert legend.count() == 1
    shot(page, "budget-schedule-km")
    page.goto(f"{live_server}/budget/lines/BL-03/edit")
    shot(page, "budget-line-form-km")


def test_scenario_donor_exit_shows_the_new_gap(page, live_server, sign_in, shot, budget_seed):
    sign_in(page, "planner")
    page.goto(f"{live_server}/budget/scenarios")
    page.fill("input[name=name]", "UNICEF leaves in 2030")
    page.click("main form button[type=submit]")
    unicef = page.locator("select[name=source_id] option", has_text="UNICEF — ")
    page.select_option("select[name=source_id]", unicef.get_attribute("value"))
    page.select_option("select[name=from_year]", "2030")
    dialogs = []
    page.once("dialog", lambda d: (dialogs.append(d.message), d.accept()))
    page.click("form.budget-exit button[type=submit]")
    page.wait_for_selector(".flash-success")
    assert dialogs and "scenario" in dialogs[0]  # the exit asked for confirmation
    # the form keeps the donor and the year chosen
    assert page.locator("select[name=source_id]").input_value() == unicef.get_attribute("value")
    assert page.locator("select[name=from_year]").input_value() == "2030"
    row = page.locator("#scenario-compare tbody tr").nth(4)  # 2030
    assert "2030" in row.inner_text()
    assert "100.00 %" not in row.inner_text()
    shot(page, "budget-scenario-en")


@pytest.mark.parametrize("user", ["planner", "partner"])
def test_phone_layout_has_no_horizontal_scroll(
    phone, live_server, sign_in, shot, budget_seed, user
):
    sign_in(phone, user)
    for path in ("/budget", "/budget/lines/BL-01", "/budget/path", "/budget/scenarios"):
        if user == "partner" and path != "/budget":
            continue
        phone.goto(f"{live_server}{path}")
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 362, f"{path} is {width}px wide on a 360px screen"
    phone.goto(f"{live_server}/budget")
    shot(phone, f"budget-phone-{user}")
    phone.click("form.lang-switch button")
    phone.wait_for_selector("html[lang=km]")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 362
    shot(phone, f"budget-phone-{user}-km")
