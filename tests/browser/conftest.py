"""Real Chromium (Debian's /usr/bin/chromium) driven by Playwright against a live server.

The server runs in a thread on a free loopback port with the test's own app and database.
Screenshots go under the test's temporary folder (``shot(page, name)``).
"""

from __future__ import annotations

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def _playwright():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(_playwright):
    browser = _playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
    yield browser
    browser.close()


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="en-GB",
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def shot(tmp_path):
    """``shot(page, 'name')`` saves a full-page PNG under the test's temporary folder."""
    out = tmp_path / "screenshots"
    out.mkdir(exist_ok=True)
    keep = os.environ.get("LEAP_SCREENSHOTS")  # set to a folder to keep them for review

    def _shot(page, name: str):
        path = out / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        if keep:
            os.makedirs(keep, exist_ok=True)
            shutil.copy(path, os.path.join(keep, f"{name}.png"))
        return path

    return _shot


@pytest.fixture
def sign_in(live_server):
    def _sign_in(page, username: str, password: str = "leap-demo-2026"):
        page.goto(f"{live_server}/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("main button[type=submit]")
        page.wait_for_url(f"{live_server}/")

    return _sign_in


def wait_for_khmer_font(page) -> None:
    """Wait until the Khmer web font is loaded and used. ``document.fonts.load`` resolves
    once the face has loaded, and ``page.evaluate`` waits for it. ``wait_for_function``
    would poll by evaluating a string inside the page, which the app's Content Security
    Policy refuses (no 'unsafe-eval'), whenever the font is not there at the first try."""
    page.wait_for_load_state("load")
    faces = page.evaluate(
        "document.fonts.load('16px \"Noto Sans Khmer\"', 'ក').then(fs => fs.length)"
    )
    assert faces >= 1, "the page declares no Noto Sans Khmer face"
    assert page.evaluate("document.fonts.check('16px \"Noto Sans Khmer\"', 'ក')")
