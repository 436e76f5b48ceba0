"""The reviewer's and the planner's walk in real Chromium: dashboard → variance analysis →
drill-down of one indicator, in English and Khmer, on a desktop and a 360-px phone.

Every page is checked with axe-core (any violation fails) and saved as a screenshot under
``tmp/artifacts/browser-dashboard/`` (and under ``LEAP_SCREENSHOTS`` when set). The walk is
a list of steps (``WALK``): the progress report and its PDF download are added there once
the report pages exist.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from leap_me.extensions import db
from tests.browser.test_submissions import axe, no_sideways_scroll, sign_in_as, use_language

ARTIFACTS = Path(
    os.environ.get("LEAP_ARTIFACTS")
    or Path(__file__).resolve().parents[2] / "tmp" / "artifacts" / "browser-dashboard"
)
KHMER = "[\u1780-\u17ff]"


@pytest.fixture
def demo_app(app):
    from leap_me import seeding

    with app.app_context():
        seeding.seed_all(db.session, Path(app.config["SEEDS_DIR"]))
        db.session.commit()
    return app


def _first_indicator_with_data(page) -> str:
    link = page.locator("table.variance-table tbody a[href*='/variance/']").first
    return link.get_attribute("href")


def step_dashboard(page, base, role):
    page.goto(f"{base}/")
    page.wait_for_selector("#indicators svg.dash-chart")
    assert page.locator("svg.dash-chart title").count() >= 3  # every chart names itself
    if role in ("reviewer", "planner"):
        assert page.locator("#waiting").count() == 1
    # the variance link of the indicators panel is the next step
    return page.locator("#indicators a[href*='/variance?']").first.get_attribute("href")


def step_variance(page, base, href):
    page.goto(f"{base}{href}")
    page.wait_for_selector("table.variance-table")
    return _first_indicator_with_data(page)


def step_detail(page, base, href):
    page.goto(f"{base}{href}")
    page.wait_for_selector("main h1")
    return None


#: (name, function): each step gets what the previous one returned (a link to follow).
WALK = [("dashboard", step_dashboard), ("variance", step_variance), ("drilldown", step_detail)]


def _new(browser, phone: bool):
    if phone:
        return browser.new_context(
            viewport={"width": 360, "height": 740},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
        )
    return browser.new_context(viewport={"width": 1280, "height": 900})


@pytest.mark.parametrize("role", ["reviewer", "planner"])
def test_walk_dashboard_variance_drilldown(role, demo_app, browser, live_server):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    keep = os.environ.get("LEAP_SCREENSHOTS")
    for lang in ("en", "km"):
        use_language(demo_app, lang)
        for phone in (False, True):
            context = _new(browser, phone)
            page = context.new_page()
            page.set_default_timeout(20_000)
            sign_in_as(page, live_server, role)
            carry = role
            for name, step in WALK:
                if name == "dashboard":
                    carry = step(page, live_server, role)
                else:
                    assert carry, f"no link to follow into {name}"
                    carry = step(page, live_server, carry)
                label = f"{role}-{name}-{lang}-{'phone' if phone else 'desktop'}"
                html_lang = page.evaluate("document.documentElement.lang")
                assert html_lang == lang, label
                if lang == "km":
                    assert re.search(KHMER, page.inner_text("main")), label
                if phone:
                    no_sideways_scroll(page)
                axe(page, label)
                path = ARTIFACTS / f"{label}.png"
                page.screenshot(path=str(path), full_page=True, timeout=60_000)
                if keep:
                    os.makedirs(keep, exist_ok=True)
                    (Path(keep) / path.name).write_bytes(path.read_bytes())
            context.close()


def test_partner_dashboard_passes_axe_on_a_phone(demo_app, browser, live_server):
    use_language(demo_app, "km")
    context = _new(browser, True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    sign_in_as(page, live_server, "partner")
    page.wait_for_selector("#waiting")
    with demo_app.app_context():
        from leap_me.auth.models import User

        assert db.session.scalar(sa.select(User.locale).where(User.username == "partner")) == "km"
    no_sideways_scroll(page)
    axe(page, "partner-dashboard-km-phone")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "partner-dashboard-km-phone.png"), full_page=True)
    context.close()


def step_report(page, base, _carry):
    page.goto(f"{base}/reports/progress")
    page.wait_for_selector("main h1")
    assert page.locator("a[href*='/pdf?lang=km']").count() >= 1
    return page.url


WALK_REPORT = [("dashboard", step_dashboard), ("report", step_report)]


@pytest.mark.parametrize("role", ["reviewer", "planner"])
def test_walk_dashboard_to_the_report(role, demo_app, browser, live_server):
    """Dashboard → progress report in both languages, desktop and phone, axe-clean."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for lang in ("en", "km"):
        use_language(demo_app, lang)
        for phone in (False, True):
            context = _new(browser, phone)
            page = context.new_page()
            page.set_default_timeout(30_000)
            sign_in_as(page, live_server, role)
            carry = role
            for name, step in WALK_REPORT:
                carry = step(page, live_server, carry)
                label = f"{role}-{name}-{lang}-{'phone' if phone else 'desktop'}"
                assert page.evaluate("document.documentElement.lang") == lang, label
                if phone:
                    no_sideways_scroll(page)
                axe(page, label)
                page.screenshot(
                    path=str(ARTIFACTS / f"{label}.png"), full_page=True, timeout=60_000
                )
            context.close()


def test_planner_publishes_and_a_viewer_downloads_the_pdf(demo_app, browser, live_server):
    """Report → PDF download → publish (with its confirmation) → published list → the
    frozen PDF, which is the same file on a second download."""
    use_language(demo_app, "en")
    context = _new(browser, False)
    page = context.new_page()
    page.set_default_timeout(60_000)
    sign_in_as(page, live_server, "planner")
    step_report(page, live_server, None)
    href = page.locator("a[href*='/pdf?lang=en']").first.get_attribute("href")
    live = page.request.get(f"{live_server}{href}")  # the signed-in session's cookies
    assert live.status == 200, live.status
    live_pdf = live.body()
    assert live_pdf.startswith(b"%PDF")
    page.locator("a[href$='/publish']").first.click()
    page.wait_for_selector("main form input[name=confirm]")
    axe(page, "publish-confirm")
    page.check("main form input[name=confirm]")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "/reports/published" in page.url, page.url  # not the form again
    page.goto(f"{live_server}/reports/published")
    axe(page, "published-list")
    pdf_href = page.locator("a[href*='/reports/published/'][href*='lang=km']").first.get_attribute(
        "href"
    )
    assert pdf_href and "/pdf" in pdf_href
    context.close()
    viewer = _new(browser, False)
    vpage = viewer.new_page()
    sign_in_as(vpage, live_server, "viewer")
    first = vpage.request.get(f"{live_server}{pdf_href}")
    second = vpage.request.get(f"{live_server}{pdf_href}")
    assert first.status == 200 and first.headers["content-type"].startswith("application/pdf")
    assert first.body().startswith(b"%PDF") and first.body() == second.body()
    viewer.close()


def _device(phone: bool) -> str:
    return "phone" if phone else "desktop"


def _save(page, label: str) -> None:
    path = ARTIFACTS / f"{label}.png"
    page.screenshot(path=str(path), full_page=True, timeout=60_000)
    keep = os.environ.get("LEAP_SCREENSHOTS")
    if keep:
        os.makedirs(keep, exist_ok=True)
        (Path(keep) / path.name).write_bytes(path.read_bytes())


def test_publish_and_download_in_both_languages_on_desktop_and_phone(
    demo_app, browser, live_server
):
    """The end of the walk, in English and Khmer, on a desktop and a 360-px phone: the
    planner's publish confirmation (axe-clean, screenshot), one publication, then the
    published list as the planner and as the reviewer (axe-clean, screenshots), and the
    reviewer downloading the frozen PDF of the page's language."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    combos = [(lang, phone) for lang in ("en", "km") for phone in (False, True)]
    for lang, phone in combos:
        use_language(demo_app, lang)
        context = _new(browser, phone)
        page = context.new_page()
        page.set_default_timeout(30_000)
        sign_in_as(page, live_server, "planner")
        step_report(page, live_server, None)
        page.locator("a[href$='/publish']").first.click()
        page.wait_for_selector("main form input[name=confirm]")
        label = f"planner-publish-confirm-{lang}-{_device(phone)}"
        assert page.evaluate("document.documentElement.lang") == lang, label
        if lang == "km":
            assert re.search(KHMER, page.inner_text("main")), label
        if phone:
            no_sideways_scroll(page)
        axe(page, label)
        _save(page, label)
        if (lang, phone) == combos[-1]:  # publish once, from the last of them
            page.check("main form input[name=confirm]")
            with page.expect_navigation(timeout=120_000):
                page.click("main form button[type=submit]")
            assert "/reports/published" in page.url, page.url
        context.close()
    for role in ("planner", "reviewer"):
        for lang, phone in combos:
            use_language(demo_app, lang)
            context = _new(browser, phone)
            page = context.new_page()
            page.set_default_timeout(30_000)
            sign_in_as(page, live_server, role)
            page.goto(f"{live_server}/reports/published")
            page.wait_for_selector("main h1")
            label = f"{role}-published-{lang}-{_device(phone)}"
            assert page.evaluate("document.documentElement.lang") == lang, label
            if phone:
                no_sideways_scroll(page)
                # every download link on screen, without scrolling the table sideways
                boxes = page.locator("main table a[href*='/reports/published/']").evaluate_all(
                    "els => els.map(e => e.getBoundingClientRect().right)"
                )
                assert boxes and max(boxes) <= 361, (label, boxes)
            axe(page, label)
            _save(page, label)
            if role == "reviewer" and not phone:
                link = page.locator(f"a[href*='/reports/published/'][href*='lang={lang}']")
                href = link.first.get_attribute("href")
                assert href and "/pdf" in href, label
                pdf = page.request.get(f"{live_server}{href}")
                assert pdf.status == 200, label
                assert pdf.headers["content-type"].startswith("application/pdf"), label
                assert pdf.body().startswith(b"%PDF"), label
            context.close()
