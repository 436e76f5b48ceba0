"""One pass of the service per import: the CLI, the API without dryRun and every path
that writes check and write in the same pass (``save(..., only_if_clean=True)``); the
upload page keeps its dry run and confirmation, and the confirmation writes only the very
file that was checked (its hash) into the submission as it was checked (its version)."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from leap_me.exchange import template as tpl
from tests.workbooks.conftest import data_sheet, rows_by_key, save

SUB = "/submissions/AHTJP-SRP/2026Q4"


@pytest.fixture
def saves(monkeypatch):
    """Every call of submissions.save during the test: (dry_run, only_if_clean)."""
    from indicators.services import submissions

    calls = []
    real = submissions.save

    def spy(*args, **kwargs):
        calls.append((kwargs.get("dry_run", False), kwargs.get("only_if_clean", False)))
        return real(*args, **kwargs)

    monkeypatch.setattr(submissions, "save", spy)
    return calls


def _values(db, sub_id):
    from indicators.models import DataValue

    return sorted(
        db.session.execute(
            sa.select(DataValue.indicator_id, DataValue.disagg_key, DataValue.value).where(
                DataValue.submission_id == sub_id
            )
        ).all()
    )


def _filled(template, value=7, bad=False) -> bytes:
    wb = load_workbook(io.BytesIO(template()))
    ws = data_sheet(wb)
    at = rows_by_key(ws)
    ws.cell(at["AHTJP-09|KH-17|"], 10).value = value
    if bad:  # a row this organisation does not owe: our own reading refuses it
        ws.cell(ws.max_row + 1, 1).value = "AHTJP-09|KH-12|"
    return save(wb)


def _post(client, token, data, dry_run):
    return client.post(
        f"/api/v1/imports?dryRun={dry_run}",
        data=data,
        headers={"Authorization": f"Bearer {token}", "Content-Type": tpl.MIME},
    )


def test_the_api_checks_and_writes_in_one_pass(db, sub, client, api_token, template, saves):
    s = sub()
    token = api_token("partner")
    assert _post(client, token, _filled(template), "true").status_code == 200
    assert saves == [(True, False)] and _values(db, s.id) == []
    saves.clear()
    response = _post(client, token, _filled(template), "false")
    assert response.status_code == 200 and response.json["written"], response.json
    assert saves == [(False, True)]
    assert [v.value for v in _values(db, s.id)] == [7]
    saves.clear()
    # our own reading finds a problem: the service only checks, nothing is written
    response = _post(client, token, _filled(template, 8, bad=True), "false")
    assert response.status_code == 422
    assert saves == [(True, False)]
    assert [v.value for v in _values(db, s.id)] == [7]


def test_a_problem_only_the_service_finds_writes_nothing(db, sub, client, api_token, template):
    """A value out of range passes our reading but not the service: the one pass writes
    nothing and reports it, as the dry run would."""
    s = sub()
    wb = load_workbook(io.BytesIO(template()))
    ws = data_sheet(wb)
    at = rows_by_key(ws)
    ws.cell(at["AHTJP-09|KH-17|"], 10).value = 5
    r = at["LEAP-5.1|KH-17|"]
    ws.cell(r, 11).value, ws.cell(r, 12).value = 12, 10  # numerator above the denominator
    response = _post(client, api_token("partner"), save(wb), "false")
    assert response.status_code == 422
    assert any(p["cell"] == f"K{r}" for p in response.json["problems"])
    assert not response.json["written"]
    assert _values(db, s.id) == []


def test_save_only_if_clean(db, sub, user):
    from indicators.services import submissions
    from tests.workbooks.test_bad_files import _key

    s = sub()
    good = submissions.CellInput(*_key(db, "AHTJP-09"), value="5")
    bad = submissions.CellInput(*_key(db, "AHTJP-01"), value="abc")
    result = submissions.save(
        db.session, s, [good, bad], user=user("partner"), expected_version=None,
        only_if_clean=True,
    )  # fmt: skip
    assert result.dry_run and [o.status for o in result.cells] == ["new", "invalid"]
    assert _values(db, s.id) == []
    result = submissions.save(
        db.session, s, [good], user=user("partner"), expected_version=None, only_if_clean=True
    )
    assert not result.dry_run
    assert [v.value for v in _values(db, s.id)] == [5]


def _upload(client, data):
    response = client.post(
        f"{SUB}/workbook",
        data={"file": (io.BytesIO(data), "filled.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return re.search(r"upload=([A-Za-z0-9_-]+)", response.location).group(1)


def _shown_version(client, upload_id) -> str:
    html = client.get(f"{SUB}/workbook?upload={upload_id}").get_data(as_text=True)
    assert 'id="apply"' in html
    return re.search(r'name="version" value="(\d+)"', html).group(1)


def test_the_confirmation_writes_without_running_the_guard_again(
    db, sub, login, template, saves, monkeypatch
):
    from leap_me.exchange import imports, uploads

    s = sub()
    client = login("partner")
    upload_id = _upload(client, _filled(template))
    stored = next(uploads.root("").glob("*.json"))
    assert '"formulas": {' in stored.read_text()  # what the guard found, kept with it
    version = _shown_version(client, upload_id)

    def no_guard(*_a, **_k):
        raise AssertionError("the guard ran again on a file whose hash matched")

    monkeypatch.setattr(imports, "check_workbook", no_guard)
    saves.clear()
    done = client.post(f"{SUB}/workbook/apply", data={"upload": upload_id, "version": version})
    assert done.status_code == 302 and done.location.endswith(SUB)
    assert saves == [(False, True)]  # one pass, no dry run before the write
    assert [v.value for v in _values(db, s.id)] == [7]


def test_the_confirmation_refuses_a_submission_changed_since_the_check(
    db, sub, login, template, user
):
    from indicators.services import submissions
    from tests.workbooks.test_bad_files import _key

    s = sub()
    client = login("partner")
    upload_id = _upload(client, _filled(template))
    version = _shown_version(client, upload_id)
    # someone saves a value in the grid meanwhile
    cell = submissions.CellInput(*_key(db, "AHTJP-01"), value="3")
    submissions.save(db.session, s, [cell], user=user("partner"), expected_version=None)
    db.session.commit()
    before = _values(db, s.id)
    done = client.post(f"{SUB}/workbook/apply", data={"upload": upload_id, "version": version})
    assert done.status_code == 302 and f"upload={upload_id}" in done.location
    assert _values(db, s.id) == before
    page = client.get(done.location).get_data(as_text=True)
    assert "changed since this check" in page
    # the new check shows the new version; confirming it writes
    version = _shown_version(client, upload_id)
    done = client.post(f"{SUB}/workbook/apply", data={"upload": upload_id, "version": version})
    assert done.location.endswith(SUB)
    assert 7 in [v.value for v in _values(db, s.id)]


def test_the_confirmation_refuses_a_file_changed_on_the_server(db, sub, login, template):
    from leap_me.exchange import uploads

    s = sub()
    client = login("partner")
    upload_id = _upload(client, _filled(template))
    version = _shown_version(client, upload_id)
    path = uploads.root("") / f"{upload_id}.xlsx"
    path.write_bytes(_filled(template, value=9))  # not the file that was checked
    done = client.post(f"{SUB}/workbook/apply", data={"upload": upload_id, "version": version})
    assert done.status_code == 302 and done.location.endswith("/workbook")
    assert _values(db, s.id) == []
    assert not path.exists()
    page = client.get(f"{SUB}/workbook?upload={upload_id}").get_data(as_text=True)
    assert "expired" in page
