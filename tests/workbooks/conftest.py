"""Fixtures for the submission workbook tests (template, import, bad files)."""

from __future__ import annotations

import io

import pytest

from tests.submissions import conftest as _subs

cell = _subs.cell
indicator = _subs.indicator
org = _subs.org
period = _subs.period
plan = _subs.plan
province = _subs.province
seeded = _subs.seeded
sub = _subs.sub
user = _subs.user


@pytest.fixture(autouse=True)
def _imports_dir(app, tmp_path):
    """Uploads waiting for confirmation go to a folder of the test's own."""
    app.config["LEAP_IMPORTS_DIR"] = str(tmp_path / "imports")
    yield
    app.config.pop("LEAP_IMPORTS_DIR", None)


@pytest.fixture
def template(db, org, period):
    """``template("AHTJP-SRP", "2026Q4", "en")`` → the workbook's bytes."""
    from leap_me.exchange import template as tpl

    def _template(org_code="AHTJP-SRP", period_code="2026Q4", lang="en"):
        return tpl.build(db.session, org(org_code), period(period_code), lang)

    return _template


def data_sheet(wb):
    """The data sheet of an openpyxl workbook (the second sheet)."""
    return wb.worksheets[1]


def rows_by_key(ws):
    """{row key: Excel row number} of a data sheet."""
    return {ws.cell(r, 1).value: r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value}


def save(wb) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
