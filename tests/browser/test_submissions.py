"""The submission loop of issue 9 in real Chromium, in English and in Khmer.

A partner enters values, is warned, explains, saves and submits; the reviewer comments on
a value and returns; the partner reads the reason, fixes and resubmits; the reviewer
approves, re-opens one value; the partner corrects it; the reviewer approves again.
Screenshots on a desktop and a 360-px phone; axe-core on the grid, the review queue, the
review page and the data-quality page, failing on any violation.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from leap_me.extensions import db
from tests.browser.conftest import ARGS  # noqa: F401 - the same Chromium flags
from tests.indicators.conftest import SEEDS, load_plan

AXE = Path(__file__).resolve().parents[2] / "leap_me" / "static" / "vendor" / "axe.min.js"
SUB = "/submissions/AHTJP-SRP/2026Q4"


@pytest.fixture
def seeded_app(app):
    from indicators.services import seed_steps

    with app.app_context():
        load_plan(db.session)
        for name, step in seed_steps():
            if name != "submissions":  # the demo submissions would mix with the test's own
                step(db.session, SEEDS)
        db.session.commit()
    return app


def use_language(app, lang: str) -> None:
    from leap_me.auth.models import User

    with app.app_context():
        db.session.execute(sa.update(User).values(locale=lang))
        db.session.commit()


def axe(page, name: str) -> None:
    """Run axe-core on the page; fail with the list of violations."""
    assert AXE.is_file(), "axe-core is vendored under leap_me/static/vendor/"
    page.add_script_tag(url="/static/vendor/axe.min.js")
    result = page.evaluate(
        "async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
        " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})); }"
    )
    assert result == [], f"axe violations on {name}: {result}"


def screen(page, folder: Path, name: str, at: str | None = None) -> Path:
    """A screenshot of one screenful (a phone's full grid is thousands of pixels tall)."""
    import os
    import shutil

    if at:
        page.locator(at).first.scroll_into_view_if_needed()
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=False, timeout=60_000)
    keep = os.environ.get("LEAP_SCREENSHOTS")
    if keep:
        os.makedirs(keep, exist_ok=True)
        shutil.copy(path, os.path.join(keep, f"{name}.png"))
    return path


def no_sideways_scroll(page) -> None:
    page.evaluate("window.scrollTo(0, window.scrollY)")  # rectangles from the left edge
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(
        "() => Array.from(document.querySelectorAll('body *')).filter(e =>"
        " e.getBoundingClientRect().right > 362 && !e.closest('.nav-items'))"
        " .slice(-5).map(e => e.tagName + '.' +"
        " e.className + ' ' + Math.round(e.getBoundingClientRect().right))"
    )
    if width > 362:
        wide = page.evaluate(
            "() => Array.from(document.querySelectorAll('body *')).filter(e =>"
            " e.getBoundingClientRect().right > 362).slice(0, 12).map(e => e.tagName + '.' +"
            " e.className + ' ' + Math.round(e.getBoundingClientRect().right))"
        )
    assert width <= 362, f"page is {width}px wide on a 360px screen: {wide}"


def sign_in_as(page, live_server, username: str) -> None:
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "leap-demo-2026")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server}/")


def new_page(browser, live_server, *, phone=False):
    if phone:
        context = browser.new_context(
            viewport={"width": 360, "height": 740},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            base_url=live_server,
        )
    else:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def stored(app):
    from indicators.models import DataValue
    from indicators.models.submissions import Submission

    with app.app_context():
        db.session.expire_all()
        sub = db.session.scalar(sa.select(Submission))
        values = list(
            db.session.scalars(sa.select(DataValue).where(DataValue.submission_id == sub.id))
        )
        return sub.status, {(v.indicator.code, v.disagg_key): v for v in values}


@pytest.mark.parametrize("lang", ["en", "km"])
def test_the_whole_loop(seeded_app, browser, live_server, shot, tmp_path, lang):
    use_language(seeded_app, lang)
    partner = new_page(browser, live_server)
    reviewer = new_page(browser, live_server)
    phone = new_page(browser, live_server, phone=True)
    sign_in_as(partner, live_server, "partner")
    sign_in_as(reviewer, live_server, "reviewer")
    sign_in_as(phone, live_server, "partner")
    assert partner.locator("html").get_attribute("lang") == lang

    # --- the partner enters values and is warned ---------------------------------
    shot(partner, f"sub-home-partner-{lang}")
    partner.goto(f"{live_server}/submissions")
    shot(partner, f"sub-mine-{lang}")
    partner.click(f"a[href='{SUB}']")
    partner.wait_for_url(f"{live_server}{SUB}")
    block = partner.locator("#ind-AHTJP-01")
    inputs = block.locator("input.sub-in")
    count = inputs.count()
    assert count >= 3
    # the total first, then its parts: 40 ≠ 1 + 1 + …
    inputs.nth(0).fill("40")
    # Enter moves to the next cell, as in a spreadsheet
    inputs.nth(0).press("Enter")
    assert partner.evaluate("document.activeElement.name") == inputs.nth(1).get_attribute("name")
    # a block pasted from Excel fills the cells downwards
    first_part = inputs.nth(1).get_attribute("name")
    partner.evaluate(
        """([name, n]) => {
          const data = new DataTransfer();
          data.setData('text/plain', Array(n).fill('1').join('\\n'));
          const input = document.querySelector(`input[name='${name}']`);
          input.dispatchEvent(new ClipboardEvent('paste', {clipboardData: data, bubbles: true}));
        }""",
        [first_part, count - 1],
    )
    assert inputs.nth(count - 1).input_value() == "1"
    # an invalid cell is kept as typed
    other = partner.locator("#ind-AHTJP-03 input.sub-in").first
    other.fill("12x")
    partner.click("button[name=action][value=save]")
    partner.wait_for_url(f"{live_server}{SUB}")
    assert partner.locator("#ind-AHTJP-03 input.sub-in").first.input_value() == "12x"
    assert partner.locator("#ind-AHTJP-03 [aria-invalid=true]").count() >= 1
    assert partner.locator("#ind-AHTJP-01 .sub-warn").count() >= 1  # total ≠ parts
    explain = partner.locator("#ind-AHTJP-01 textarea.sub-explain").first
    expect(explain).to_be_visible()
    screen(partner, tmp_path, f"sub-grid-warned-{lang}", "#ind-AHTJP-01 .sub-warn")
    axe(partner, f"grid ({lang})")
    phone.goto(f"{live_server}{SUB}")
    screen(phone, tmp_path, f"sub-grid-phone-{lang}", "#ind-AHTJP-01")
    no_sideways_scroll(phone)
    # submitting with the invalid cell and no explanation lists the problems
    partner.click("button[name=action][value=submit]")
    assert partner.locator("#problems li").count() >= 2
    screen(partner, tmp_path, f"sub-grid-problems-{lang}", "#problems")
    status, values = stored(seeded_app)
    assert status == "draft"
    # the partner fixes the cell, explains and submits
    partner.locator("#ind-AHTJP-03 input.sub-in").first.fill("12")
    partner.locator("#ind-AHTJP-01 textarea.sub-explain").first.fill(
        "The total counts children whose sex was not recorded."
    )
    partner.click("button[name=action][value=submit]")
    partner.wait_for_url(f"{live_server}/submissions")
    status, values = stored(seeded_app)
    assert status == "submitted"
    assert values[("AHTJP-01", "")].explanation.startswith("The total counts")

    # --- the reviewer comments on a value and returns -----------------------------
    reviewer.goto(f"{live_server}/submissions")
    shot(reviewer, f"sub-queue-{lang}")
    axe(reviewer, f"review queue ({lang})")
    reviewer.click(f"a[href='{SUB}']")
    total_id = values[("AHTJP-01", "")].id
    row = reviewer.locator(f"#v{total_id}")
    assert "The total counts" in row.inner_text()
    row.locator("summary").first.click()
    row.locator("textarea[name=body]").fill("Please split the unknown-sex children out.")
    row.locator(".sub-comment-form button").click()
    reviewer.wait_for_url(f"**{SUB}*")
    screen(reviewer, tmp_path, f"sub-review-{lang}", f"#v{total_id}")
    axe(reviewer, f"review page ({lang})")
    reviewer.fill("#return-reason", "AHTJP-01: the total and its parts differ; please check.")
    reviewer.click("form[action$='/return'] button")
    reviewer.wait_for_url(f"{live_server}/submissions")
    assert stored(seeded_app)[0] == "returned"

    # --- the partner reads the reason, fixes and resubmits ------------------------
    partner.goto(f"{live_server}{SUB}")
    assert "the total and its parts differ" in partner.locator(".sub-reason").inner_text()
    assert "unknown-sex" in partner.locator("#ind-AHTJP-01").inner_text()
    screen(partner, tmp_path, f"sub-grid-returned-{lang}", "h1")
    partner.locator("#ind-AHTJP-01 input.sub-in").first.fill(str(count - 1))
    partner.click("button[name=action][value=submit]")
    partner.wait_for_url(f"{live_server}/submissions")
    status, values = stored(seeded_app)
    assert status == "submitted" and values[("AHTJP-01", "")].value == count - 1

    # --- the reviewer approves, then re-opens one value ---------------------------
    reviewer.goto(f"{live_server}{SUB}")
    reviewer.click("form[action$='/approve'] button")
    reviewer.wait_for_url(f"{live_server}/submissions")
    assert stored(seeded_app)[0] == "approved"
    reviewer.goto(f"{live_server}{SUB}")
    value_id = values[("AHTJP-03", "")].id
    row = reviewer.locator(f"#v{value_id}")
    row.locator("details.sub-reopen summary").click()
    row.locator("textarea[name=reason]").fill("The court's register says 13.")
    row.locator("details.sub-reopen button").click()
    reviewer.wait_for_url(f"**{SUB}*")
    status, values = stored(seeded_app)
    assert status == "approved" and values[("AHTJP-03", "")].reopened

    # --- the partner corrects it; the reviewer approves again ---------------------
    partner.goto(f"{live_server}{SUB}")
    assert partner.locator("#ind-AHTJP-01 input.sub-in").count() == 0  # still approved
    partner.locator("#ind-AHTJP-03 input.sub-in").first.fill("13")
    screen(partner, tmp_path, f"sub-grid-correction-{lang}", "#ind-AHTJP-03")
    partner.click("button[name=action][value=save]")
    partner.wait_for_url(f"{live_server}{SUB}")
    status, values = stored(seeded_app)
    assert values[("AHTJP-03", "")].value == 13
    reviewer.goto(f"{live_server}{SUB}")
    expect(reviewer.locator("#changed")).to_be_visible()
    assert "13" in reviewer.locator("#changed").inner_text()
    screen(reviewer, tmp_path, f"sub-review-changed-{lang}", "h1")
    phone_reviewer = new_page(browser, live_server, phone=True)
    sign_in_as(phone_reviewer, live_server, "reviewer")
    phone_reviewer.goto(f"{live_server}{SUB}")
    screen(phone_reviewer, tmp_path, f"sub-review-phone-{lang}", "#changed")
    no_sideways_scroll(phone_reviewer)
    reviewer.click("form[action$='/approve'] button")
    reviewer.wait_for_url(f"{live_server}/submissions")
    status, values = stored(seeded_app)
    assert status == "approved" and not values[("AHTJP-03", "")].reopened

    # --- history, data quality, notifications -------------------------------------
    reviewer.goto(f"{live_server}{SUB}/history")
    assert reviewer.locator("tbody tr").count() >= 6
    shot(reviewer, f"sub-history-{lang}")
    reviewer.goto(f"{live_server}/quality")
    shot(reviewer, f"sub-quality-{lang}")
    axe(reviewer, f"data quality ({lang})")
    phone_reviewer.goto(f"{live_server}/quality")
    screen(phone_reviewer, tmp_path, f"sub-quality-phone-{lang}")
    no_sideways_scroll(phone_reviewer)
    reviewer.goto(f"{live_server}/completeness")
    shot(reviewer, f"sub-completeness-{lang}")
    partner.goto(f"{live_server}/notifications")
    assert partner.locator(".notes li").count() >= 2
    shot(partner, f"sub-notifications-{lang}")
