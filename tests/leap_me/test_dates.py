"""Issue 8 item 18: one unambiguous date format per language, on every page."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask_babel import refresh

from leap_me.i18n import format_date, format_datetime
from tests.logframe.factories import tiny_plan

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_the_formats_in_english_and_khmer(app):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert format_date(date(2026, 1, 5)) == "5 Jan 2026"
        assert format_datetime(datetime(2026, 12, 1, 8, 27)) == "1 Dec 2026, 15:27"
        assert format_date("2024-06-30") == "30 Jun 2024"
    with app.test_request_context("/", headers={"Accept-Language": "km"}):
        refresh()
        assert format_date(date(2026, 1, 5)) == "5 មករា 2026"
        assert format_datetime(datetime(2026, 12, 1, 8, 27)) == "1 ធ្នូ 2026, 15:27"


def test_times_are_stored_in_utc_and_shown_in_cambodia(app):
    """Phnom Penh is UTC+7: 20:30 UTC on 1 January is 03:30 on 2 January there, and the
    date of such a moment is the Cambodian one."""
    assert app.config["BABEL_DEFAULT_TIMEZONE"] == "Asia/Phnom_Penh"
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert format_datetime(datetime(2026, 1, 1, 20, 30)) == "2 Jan 2026, 03:30"
        assert format_date(datetime(2026, 1, 1, 20, 30)) == "2 Jan 2026"
        assert format_date(datetime(2026, 1, 1, 16, 59)) == "1 Jan 2026"
        assert format_datetime(datetime(2026, 1, 1, 20, 30, tzinfo=UTC)) == ("2 Jan 2026, 03:30")
        assert format_date(date(2026, 1, 1)) == "1 Jan 2026"  # a date is not moved


def test_the_time_zone_is_a_setting(monkeypatch, tmp_path):
    from leap_me.config import from_environment

    monkeypatch.setenv("LEAP_TIMEZONE", "UTC")
    assert from_environment(str(tmp_path))["BABEL_DEFAULT_TIMEZONE"] == "UTC"
    monkeypatch.setenv("LEAP_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ValueError, match="LEAP_TIMEZONE='Mars/Olympus' is not a time zone"):
        from_environment(str(tmp_path))


def test_pages_show_the_chosen_format(client, login, db):
    tiny_plan(db.session, with_draft=False)
    db.session.commit()
    login("planner")
    page = client.get("/plan/v1/results/A1").get_data(as_text=True)
    assert "1 Mar 2026 – 30 Sept 2026" in page or "1 Mar 2026 – 30 Sep 2026" in page
    client.post("/language", data={"lang": "km"})
    refresh()
    page = client.get("/plan/v1/results/A1").get_data(as_text=True)
    assert "1 មីនា 2026" in page and "30 កញ្ញា 2026" in page


def test_templates_format_dates_only_through_the_filters():
    """No strftime, isoformat or Flask-Babel's own filters for display; an input's value
    (the browser's yyyy-mm-dd) is the only isoformat allowed."""
    bad = []
    for path in TEMPLATES.rglob("*.html"):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            text = re.sub(r'(value|min|max)="\{\{[^}]*isoformat\(\)[^}]*\}\}"', "", line)
            if re.search(r"strftime|isoformat|dateformat|datetimeformat|format_date", text):
                bad.append(f"{path.relative_to(TEMPLATES)}:{n}")
    assert bad == []
