"""The application shell in real Chromium: sign in, navigate by role, switch to Khmer."""

from playwright.sync_api import expect

from tests.browser.conftest import wait_for_khmer_font


def test_sign_in_switch_to_khmer_and_screenshot(page, live_server, sign_in, shot):
    sign_in(page, "planner")
    expect(page.locator("#main-menu").get_by_text("Organisations")).to_be_visible()
    assert page.locator("#main-menu").get_by_text("Users").count() == 0  # admin only
    shot(page, "home-en")
    page.click("form.lang-switch button")
    page.wait_for_selector("html[lang=km]")
    expect(page.locator("#main-menu").get_by_text("ស្ថាប័ន")).to_be_visible()
    # The Khmer font comes from our own server and is really used.
    family = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert "Noto Sans Khmer" in family
    page.goto(f"{live_server}/organisations")
    wait_for_khmer_font(page)
    path = shot(page, "organisations-km")
    assert path.stat().st_size > 10_000


def test_admin_sees_users_and_wrong_password_is_explained(page, live_server, sign_in, shot):
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "wrong-password")
    page.click("main button[type=submit]")
    expect(page.get_by_text("Wrong username or password.")).to_be_visible()
    sign_in(page, "admin")
    page.locator("#main-menu").get_by_text("Users").click()
    page.wait_for_url(f"{live_server}/admin/users*")
    expect(page.locator("table").get_by_text("reviewer").first).to_be_visible()
    shot(page, "users-en")


def test_phone_layout_has_no_horizontal_scroll(phone, live_server, sign_in, shot):
    sign_in(phone, "partner")
    phone.goto(f"{live_server}/organisations")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 362, f"page is {width}px wide on a 360px screen"
    shot(phone, "organisations-phone")
