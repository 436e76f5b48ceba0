"""Issue 10 item 3: every bad file gets a clear error, writes nothing, and the server
still answers. The hostile-file builders are the guard's own (tests/leap_me/)."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from leap_me.exchange import template as tpl
from tests.leap_me import test_workbook_guard as g
from tests.workbooks.conftest import data_sheet, rows_by_key, save

SUB = "/submissions/AHTJP-SRP/2026Q4"


def _state(db):
    """Everything an import could touch: values, submissions, their events, the audit trail."""
    from indicators.models import DataValue, Submission, SubmissionEvent
    from leap_me.audit import AuditEntry

    def rows(model, *cols):
        return sorted(db.session.execute(sa.select(*cols)).all()) if cols else None

    return (
        rows(DataValue, DataValue.id, DataValue.value, DataValue.numerator, DataValue.explanation),
        rows(Submission, Submission.id, Submission.status, Submission.version),
        db.session.scalar(sa.select(sa.func.count()).select_from(SubmissionEvent)),
        db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)),
    )


def _post(client, token, data: bytes, dry_run="false"):
    return client.post(
        f"/api/v1/imports?dryRun={dry_run}",
        data=data,
        headers={"Authorization": f"Bearer {token}", "Content-Type": tpl.MIME},
    )


def _answers(client):
    assert client.get("/healthz").status_code == 200


HOSTILE = {
    "not a workbook": (lambda: b"code,2026\nT-1,5\n", "not a readable"),
    "empty": (lambda: b"", "empty"),
    "damaged zip": (lambda: g.xlsx(g.GOOD)[:-40], "not a readable"),
    "damaged deflate": (g._damaged, "not a readable"),
    "zip bomb": (g._bomb, "zip bomb"),
    "XFD1048576": (lambda: g.xlsx(g.FAR), "XFD1048576"),
    "millions of shared strings": (lambda: g._shared_bomb(3_000_000), "different texts|zip bomb"),
    "declared shared strings": (g._big_declared_strings, "different texts"),
    "xlsm": (g._xlsm, "macros"),
    "vbaProject.bin only": (
        lambda: g.xlsx(g.GOOD, {"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0macro"}),
        "macros",
    ),
    "xls": (lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, ".xlsx"),
    "ods": (g._ods, ".xlsx"),
    "a workbook that is not a template": (lambda: g.xlsx(g.GOOD), "identification sheet"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_files_are_refused_by_the_api(db, sub, client, api_token, case):
    sub()
    token = api_token("partner")
    build, expected = HOSTILE[case]
    before = _state(db)
    response = _post(client, token, build())
    assert response.status_code in (400, 422), response.json
    assert set(response.json["error"]) == {"code", "message", "details"}
    message = response.json["error"]["message"].lower()
    assert any(e in message for e in expected.lower().split("|")), message
    assert _state(db) == before
    _answers(client)


@pytest.mark.parametrize("case", ["XFD1048576", "zip bomb", "xls", "empty"])
def test_hostile_files_are_refused_by_the_upload_page(db, sub, login, case):
    sub()
    client = login("partner")
    build, expected = HOSTILE[case]
    before = _state(db)
    response = client.post(
        f"{SUB}/workbook",
        data={"file": (io.BytesIO(build()), "x.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code in (400, 422)
    html = response.get_data(as_text=True)
    assert 'id="refused"' in html and "Traceback" not in html
    assert any(e in html.lower() for e in expected.lower().split("|"))
    assert _state(db) == before
    assert not list((_imports_dir(client.application)).glob("*.xlsx"))  # never stored
    _answers(client)


def _imports_dir(app):
    from leap_me.exchange import uploads

    return uploads.root(app.instance_path)


def test_over_the_size_limit_is_413(app, db, sub, client, api_token, login):
    sub()
    token = api_token("partner")
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    web_client = login("partner")
    before = _state(db)
    big = g.xlsx(g.GOOD) + b"\0" * (128 * 1024)
    response = _post(client, token, big)
    assert response.status_code == 413
    assert response.json["error"]["code"]
    web = web_client.post(
        f"{SUB}/workbook",
        data={"file": (io.BytesIO(big), "big.xlsx")},
        content_type="multipart/form-data",
    )
    assert web.status_code == 413 and "Traceback" not in web.get_data(as_text=True)
    assert _state(db) == before
    _answers(client)


def _filled(template, **kw) -> tuple:
    wb = load_workbook(io.BytesIO(template(**kw)))
    ws = data_sheet(wb)
    at = rows_by_key(ws)
    ws.cell(at["AHTJP-09|KH-17|"], 10).value = 7
    return wb, ws, at


def _other_owing_org(db, code):
    from indicators.models import ReportingPeriod
    from indicators.services.owed import owing_organisations

    period = db.session.scalar(sa.select(ReportingPeriod).where(ReportingPeriod.code == "2026Q4"))
    return next(o for o in owing_organisations(db.session, period) if o.code != code)


def test_another_organisations_template(db, sub, client, api_token, login, template):
    sub()
    other = _other_owing_org(db, "AHTJP-SRP")
    wb, _ws, _at = _filled(template, org_code=other.code)
    web = login("partner")
    token = api_token("partner")
    before = _state(db)
    response = _post(client, token, save(wb))
    assert response.status_code == 403
    assert other.code in response.json["error"]["message"]
    page = web.post(
        f"{SUB}/workbook",
        data={"file": (io.BytesIO(save(wb)), "x.xlsx")},
        content_type="multipart/form-data",
    )
    assert page.status_code == 422
    assert f"for the organisation {other.code}, not AHTJP-SRP" in page.get_data(as_text=True)
    assert _state(db) == before
    _answers(client)


def test_another_periods_template(db, sub, login, template, client):
    sub()
    wb, _ws, _at = _filled(template, period_code="2026Q3")
    web = login("partner")
    before = _state(db)
    page = web.post(
        f"{SUB}/workbook",
        data={"file": (io.BytesIO(save(wb)), "x.xlsx")},
        content_type="multipart/form-data",
    )
    assert page.status_code == 422
    assert "for the period 2026Q3, not 2026Q4" in page.get_data(as_text=True)
    assert _state(db) == before
    _answers(client)


def _id_sheet(wb):
    ws = wb[tpl.ID_SHEET]
    fields = {ws.cell(r, 1).value: r for r in range(1, 8)}
    keys = [ws.cell(r, 1).value for r in range(9, ws.max_row + 1)]
    return ws, fields, keys


def test_an_old_format_version_is_refused(db, sub, client, api_token, template):
    sub()
    wb, _ws, _at = _filled(template)
    ws, fields, keys = _id_sheet(wb)
    ws.cell(fields["format"], 2).value = "1"  # an older template, correctly signed
    ws.cell(fields["checksum"], 2).value = tpl.checksum(1, "AHTJP-SRP", "2026Q4", keys)
    before = _state(db)
    response = _post(client, api_token("partner"), save(wb))
    assert response.status_code == 422
    assert response.json["error"]["code"] == "old_format"
    assert "older template" in response.json["error"]["message"]
    assert _state(db) == before
    _answers(client)


@pytest.mark.parametrize("field", ["organisation", "period", "format", "checksum", "keys"])
def test_a_tampered_identification_sheet_is_refused(db, sub, client, api_token, template, field):
    sub()
    wb, _ws, _at = _filled(template)
    ws, fields, keys = _id_sheet(wb)
    if field == "keys":
        ws.cell(9, 1).value = "AHTJP-09|KH-12|"
    else:
        changed = {"organisation": "MOI", "period": "2026Q3", "format": "3", "checksum": "0" * 64}
        ws.cell(fields[field], 2).value = changed[field]
    before = _state(db)
    response = _post(client, api_token("partner"), save(wb))
    assert response.status_code == 422
    assert response.json["error"]["code"] == "tampered"
    assert _state(db) == before
    _answers(client)


def test_duplicate_rows_are_refused(db, sub, client, api_token, template):
    sub()
    wb, ws, at = _filled(template)
    r = at["AHTJP-09|KH-17|"]
    extra = ws.max_row + 1
    for c in range(1, 15):
        ws.cell(extra, c).value = ws.cell(r, c).value
    ws.cell(extra, 10).value = 9
    before = _state(db)
    response = _post(client, api_token("partner"), save(wb))
    assert response.status_code == 422
    details = response.json["error"]["details"]
    assert any(d["cell"] == f"A{extra}" and d["code"] == "duplicate" for d in details)
    assert _state(db) == before
    dry = _post(client, api_token("partner"), save(wb), dry_run="true")
    assert dry.status_code == 200 and dry.json["clean"] is False and not dry.json["written"]
    assert _state(db) == before
    _answers(client)


@pytest.mark.parametrize("status", ["locked", "closed"])
def test_a_locked_period_is_refused(db, sub, client, api_token, template, period, status):
    sub()
    wb, _ws, _at = _filled(template)
    period("2026Q4", status)
    db.session.commit()
    before = _state(db)
    response = _post(client, api_token("partner"), save(wb))
    assert response.status_code == 422
    assert response.json["error"]["code"] == "locked"
    assert "2026Q4" in response.json["error"]["message"]
    assert _state(db) == before
    _answers(client)


def test_an_approved_submission_is_refused(db, sub, client, api_token, template):
    s = sub()
    wb, _ws, _at = _filled(template)
    s.status = "approved"
    db.session.commit()
    before = _state(db)
    response = _post(client, api_token("partner"), save(wb))
    assert response.status_code == 422
    assert "approved" in response.json["error"]["message"]
    assert _state(db) == before
    _answers(client)


def test_an_approved_value_is_listed_as_refused(db, sub, client, api_token, template, user):
    """A value the reviewer approved is never overwritten: the row is refused, nothing
    is written, the rest of the report is still complete."""
    from indicators.services import submissions

    s = sub()
    wb, ws, at = _filled(template)
    cells = [submissions.CellInput(*_key(db, "AHTJP-09"), value="5")]
    submissions.save(db.session, s, cells, user=user("partner"), expected_version=None)
    s.status = "returned"
    from indicators.models import DataValue

    dv = db.session.scalar(sa.select(DataValue).where(DataValue.submission_id == s.id))
    dv.status = "approved"
    db.session.commit()
    before = _state(db)
    dry = _post(client, api_token("partner"), save(wb), dry_run="true")
    assert dry.status_code == 200
    changes = {c["key"]: c for c in dry.json["changes"]}
    assert changes["AHTJP-09|KH-17|"]["status"] == "refused"
    assert changes["AHTJP-09|KH-17|"]["old"] == "5"
    assert any(p["severity"] == "refused" for p in dry.json["problems"])
    response = _post(client, api_token("partner"), save(wb))
    assert response.status_code == 422
    assert _state(db) == before


def _key(db, code):
    from indicators.models import Indicator
    from stakeholders.models import Province

    ind = db.session.scalar(sa.select(Indicator).where(Indicator.code == code))
    prov = db.session.scalar(sa.select(Province).where(Province.code == "KH-17"))
    return ind.id, prov.id, ""


def test_a_formula_with_a_saved_value_is_used_and_warned(db, sub, client, api_token, template):
    """openpyxl writes formulas without a saved value: those are refused (the guard names
    the cell); one with a saved value (written by hand here) is used, with a warning."""
    sub()
    wb, ws, at = _filled(template)
    r = at["AHTJP-09|KH-17|"]
    ws.cell(r, 10).value = "=3+4"
    response = _post(client, api_token("partner"), save(wb), dry_run="true")
    assert response.status_code == 400
    assert f"J{r}" in response.json["error"]["message"]
    # the same cell with a cached value, as Excel saves it
    data = _with_cached_formula(save(wb), f"J{r}", "7")
    response = _post(client, api_token("partner"), data, dry_run="true")
    assert response.status_code == 200, response.json
    warnings = response.json["warnings"]
    assert any(w["cell"] == f"J{r}" and w["code"] == "formula" for w in warnings)
    changes = {c["key"]: c for c in response.json["changes"]}
    assert changes["AHTJP-09|KH-17|"]["new"] == "7"


def _with_cached_formula(data: bytes, ref: str, value: str) -> bytes:
    import re
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "xl/worksheets/sheet2.xml":
                text = body.decode()
                text = re.sub(
                    rf'<c r="{ref}"([^>]*)><f>([^<]*)</f>(<v\s*/>|<v></v>)?</c>',
                    lambda m: f'<c r="{ref}"><f>{m.group(2)}</f><v>{value}</v></c>',
                    text,
                )
                assert f"<v>{value}</v>" in text
                body = text.encode()
            dst.writestr(info, body)
    return out.getvalue()
