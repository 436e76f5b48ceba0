"""The offline workbook in real Chromium, in English and Khmer (issue 10, "Done when"):
the partner downloads the template from the submission page, fills it with openpyxl,
uploads it, reads the dry run (every problem with its cell), downloads the marked
workbook, uploads the fixed one and writes it; the values are in the grid. Screenshots
on a desktop and a 360-px phone (no sideways scrolling); axe-core on the page."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from leap_me.extensions import db
from tests.browser import test_submissions as _loop
from tests.browser.test_submissions import (
    axe,
    new_page,
    no_sideways_scroll,
    screen,
    sign_in_as,
    use_language,
)
from tests.workbooks.conftest import data_sheet, rows_by_key

SUB = "/submissions/AHTJP-SRP/2026Q4"
seeded_app = _loop.seeded_app


def _value(app, code):
    from indicators.models import DataValue, Indicator

    with app.app_context():
        db.session.expire_all()
        return db.session.scalar(
            sa.select(DataValue)
            .join(Indicator, Indicator.id == DataValue.indicator_id)
            .where(Indicator.code == code, DataValue.disagg_key == "")
        )


@pytest.mark.parametrize("lang", ["en", "km"])
def test_download_fill_upload_dry_run_and_write(seeded_app, browser, live_server, tmp_path, lang):
    seeded_app.config["LEAP_IMPORTS_DIR"] = str(tmp_path / "imports")
    use_language(seeded_app, lang)
    page = new_page(browser, live_server)
    page.on("dialog", lambda d: d.accept())
    sign_in_as(page, live_server, "partner")
    page.goto(SUB)
    page.click("#offline-workbook")
    page.wait_for_url(f"**{SUB}/workbook")
    assert page.locator("html").get_attribute("lang") == lang
    screen(page, tmp_path, f"workbook-{lang}-empty")
    axe(page, f"workbook page ({lang})")

    with page.expect_download() as dl:
        page.click(f"#download-{lang}")
    path = tmp_path / "template.xlsx"
    dl.value.save_as(path)
    wb = load_workbook(path)
    ws = data_sheet(wb)
    at = rows_by_key(ws)
    bad = at["AHTJP-09|KH-17|"]
    ws.cell(bad, 10).value = "abc"
    ws.cell(at["AHTJP-04|KH-17|"], 10).value = "១៥"
    filled = tmp_path / "filled.xlsx"
    wb.save(filled)

    page.set_input_files("#wb-file", str(filled))
    page.click(".wb-upload-form button[type=submit]")
    page.wait_for_selector("#report")
    assert page.locator(".wb-problems").inner_text().count(f"J{bad}") == 1
    assert page.locator("#apply").count() == 0
    screen(page, tmp_path, f"workbook-{lang}-dry-run", at="#report")
    axe(page, f"dry run ({lang})")
    with page.expect_download() as dl:
        page.click("#download-marked")
    dl.value.save_as(tmp_path / "marked.xlsx")
    marked = load_workbook(tmp_path / "marked.xlsx")
    assert data_sheet(marked).cell(bad, 10).comment is not None
    assert _value(seeded_app, "AHTJP-09") is None  # nothing written

    ws.cell(bad, 10).value = 9
    wb.save(filled)
    page.set_input_files("#wb-file", str(filled))
    page.click(".wb-upload-form button[type=submit]")
    page.wait_for_selector("#apply")
    assert page.locator(".wb-changes").inner_text().count("AHTJP-09") == 1
    screen(page, tmp_path, f"workbook-{lang}-clean", at="#report")
    page.click("#apply")
    page.wait_for_url(f"**{SUB}")
    assert _value(seeded_app, "AHTJP-09").value == 9
    assert _value(seeded_app, "AHTJP-04").value == 15

    phone = new_page(browser, live_server, phone=True)
    sign_in_as(phone, live_server, "partner")
    phone.goto(f"{SUB}/workbook")
    no_sideways_scroll(phone)
    screen(phone, tmp_path, f"workbook-{lang}-phone")
