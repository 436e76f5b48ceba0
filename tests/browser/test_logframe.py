"""The logframe matrix and the activity timeline in real Chromium: English and Khmer,
desktop and a 360-px phone. Screenshots are saved (LEAP_SCREENSHOTS keeps copies)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from leap_me import seeding
from leap_me.extensions import db
from tests.browser.conftest import wait_for_khmer_font


@pytest.fixture
def plan(app):
    with app.app_context():
        seeding.seed_all(db.session, Path(app.config["SEEDS_DIR"]), only=("plan",))
        db.session.commit()


def _khmer(page):
    page.click("form.lang-switch button")
    page.wait_for_selector("html[lang=km]")
    wait_for_khmer_font(page)


def _no_sideways_scroll(page):
    page.evaluate("document.fonts.ready.then(() => true)")  # measure with the real fonts
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 362, f"page is {width}px wide on a 360px screen"


def test_matrix_desktop_english_and_khmer(page, live_server, sign_in, shot, plan):
    sign_in(page, "viewer")
    page.goto(f"{live_server}/plan/matrix")
    headers = page.locator("table.lf-matrix thead th").all_inner_texts()
    assert headers == ["Results chain", "Indicators", "Means of verification", "Assumptions"]
    rows = page.locator("table.lf-matrix tbody tr")
    assert rows.count() >= 15  # goal, outcomes and outputs
    assert rows.first.locator("td").first.inner_text().startswith("Goal")
    expect(page.locator("table.lf-matrix tbody tr.lf-level-output").first).to_be_visible()
    shot(page, "matrix-en")
    page.emulate_media(media="print")
    expect(page.locator(".lf-version-bar")).not_to_be_visible()
    expect(page.locator("header.topbar")).not_to_be_visible()
    expect(page.locator("table.lf-matrix")).to_be_visible()
    shot(page, "matrix-print")
    page.emulate_media(media="screen")
    _khmer(page)
    headers = page.locator("table.lf-matrix thead th").all_inner_texts()
    assert headers[0] == "ខ្សែសង្វាក់លទ្ធផល"
    assert "គោលដៅរួម" in rows.first.locator("td").first.inner_text()
    shot(page, "matrix-km")


def test_matrix_on_a_phone(phone, live_server, sign_in, shot, plan):
    sign_in(phone, "partner")
    phone.goto(f"{live_server}/plan/matrix")
    _no_sideways_scroll(phone)
    expect(phone.locator("table.lf-matrix thead")).not_to_be_visible()  # cards with labels
    shot(phone, "matrix-phone-en")
    _khmer(phone)
    _no_sideways_scroll(phone)
    shot(phone, "matrix-phone-km")


def test_timeline_desktop_english_and_khmer(page, live_server, sign_in, shot, plan):
    sign_in(page, "planner")
    page.goto(f"{live_server}/activities?year=2026")
    svg = page.locator("svg.lf-gantt")
    expect(svg).to_be_visible()
    bars = svg.locator("g.bar").count()
    table_rows = page.locator("table.lf-activities tbody tr").count()
    assert bars == table_rows and bars >= 20
    assert svg.locator("line.today").count() == 1
    box = svg.locator("line.today").bounding_box()
    assert box and box["height"] > 100
    assert page.locator("#overdue tbody tr").count() >= 1
    shot(page, "activities-en")
    page.select_option("select[name=status]", "delayed")
    page.click("form.lf-filters button[type=submit]")
    assert (
        page.locator("svg.lf-gantt g.status-delayed").count()
        == page.locator("svg.lf-gantt g.bar").count()
    )
    _khmer(page)
    assert "ផែនការសកម្មភាព" in page.locator("h1").inner_text()
    assert page.locator("svg.lf-gantt text.today-label").text_content() == "ថ្ងៃនេះ"
    shot(page, "activities-km")


def test_timeline_on_a_phone(phone, live_server, sign_in, shot, plan):
    sign_in(phone, "viewer")
    phone.goto(f"{live_server}/activities?year=2026")
    _no_sideways_scroll(phone)  # the timeline scrolls inside its own frame
    expect(phone.locator("svg.lf-gantt")).to_be_visible()
    shot(phone, "activities-phone-en")
    _khmer(phone)
    _no_sideways_scroll(phone)
    shot(phone, "activities-phone-km")


def test_plan_page_and_comparison(page, live_server, sign_in, shot, plan):
    sign_in(page, "planner")
    page.goto(f"{live_server}/plan")
    page.get_by_text("Start a new draft", exact=True).click()
    page.get_by_role("button", name="Start a new draft from this approved version").click()
    expect(page.get_by_text("Draft version 2 is started")).to_be_visible()
    page.goto(f"{live_server}/plan/v2/results/O1.1")
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Move down").click()
    expect(page.get_by_text("is moved")).to_be_visible()
    page.goto(f"{live_server}/plan/compare?old=1&new=2")
    assert page.locator("article.lf-changed").count() >= 2
    shot(page, "compare-en")
    page.goto(f"{live_server}/plan?version=2")
    shot(page, "plan-draft-en")


def test_plan_page_on_a_phone_in_khmer(phone, live_server, sign_in, shot, plan):
    sign_in(phone, "planner")
    phone.goto(f"{live_server}/plan")
    _khmer(phone)
    assert phone.locator("ul.lf-tree li").count() >= 60
    _no_sideways_scroll(phone)
    shot(phone, "plan-phone-km")
    phone.goto(f"{live_server}/plan/v1/results/A1.1.3")
    _no_sideways_scroll(phone)
    expect(phone.get_by_text("ធ្វើបច្ចុប្បន្នភាពការតាមដាន")).to_be_visible()  # update monitoring
    shot(phone, "activity-phone-km")
