"""The submission pages (issue 9): the partner's grid, the reviewer's queue and review
page, history, evidence, and the scoping of every route to the partner's organisation.

Each test asserts what is stored, not only what the page says.
"""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa

SUB = "/submissions/AHTJP-SRP/2026Q4"


@pytest.fixture
def env(seeded, db):
    """The seeded plan and indicators; helpers to read the partner's submission."""
    from indicators.models import DataValue, ReportingPeriod
    from indicators.models.submissions import Submission
    from stakeholders.models import Organisation

    class Env:
        def org(self, code="AHTJP-SRP"):
            return db.session.scalar(sa.select(Organisation).where(Organisation.code == code))

        def period(self, code="2026Q4"):
            return db.session.scalar(sa.select(ReportingPeriod).where(ReportingPeriod.code == code))

        def sub(self, code="AHTJP-SRP"):
            db.session.expire_all()
            return db.session.scalar(
                sa.select(Submission).where(
                    Submission.organisation_id == self.org(code).id,
                    Submission.period_id == self.period().id,
                )
            )

        def values(self):
            db.session.expire_all()
            return list(
                db.session.scalars(
                    sa.select(DataValue).where(DataValue.submission_id == self.sub().id)
                )
            )

    return Env()


def grid_form(html: str) -> dict[str, str]:
    """The grid's fields as the browser would post them (hidden and typed)."""
    form = html[html.index('id="grid"') : html.index("</form>", html.index('id="grid"'))]
    data = {}
    for m in re.finditer(r"<input([^>]*)>", form):
        attrs = dict(re.findall(r'(\w[\w-]*)="([^"]*)"', m.group(1)))
        if "name" in attrs and attrs.get("type") not in ("checkbox", "file"):
            data[attrs["name"]] = attrs.get("value", "")
    for m in re.finditer(r"<textarea([^>]*)>(.*?)</textarea>", form, re.S):
        attrs = dict(re.findall(r'(\w[\w-]*)="([^"]*)"', m.group(1)))
        if "name" in attrs and "form" not in attrs:
            data[attrs["name"]] = m.group(2)
    for m in re.finditer(r"<select([^>]*)>(.*?)</select>", form, re.S):
        attrs = dict(re.findall(r'(\w[\w-]*)="([^"]*)"', m.group(1)))
        sel = re.search(r'<option value="([^"]*)" selected', m.group(2))
        data[attrs["name"]] = sel.group(1) if sel else ""
    return data


def rows_of(data: dict[str, str]) -> dict[str, int]:
    """Row key → row index."""
    return {v: int(k[1:]) for k, v in data.items() if re.fullmatch(r"k\d+", k)}


def first_number_row(client, data):
    """The index of the first row with a plain number input."""
    for k in sorted((k for k in data if re.fullmatch(r"v\d+", k)), key=lambda k: int(k[1:])):
        return int(k[1:])
    raise AssertionError("no number cell in the grid")


def open_grid(client):
    response = client.get(SUB)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    html = response.get_data(as_text=True)
    return html, grid_form(html)


def test_partner_list_and_grid(env, login):
    client = login("partner")
    html = client.get("/submissions").get_data(as_text=True)
    assert "2026Q4" in html and SUB in html
    html, data = open_grid(client)
    assert env.sub() is not None and env.sub().status == "draft"
    assert data["rows"] and int(data["rows"]) == len(rows_of(data))
    assert "<details" in html  # definitions on demand
    assert "Save draft" in html and "Submit for review" in html


def test_save_keeps_invalid_cells_as_typed(env, login):
    client = login("partner")
    _html, data = open_grid(client)
    i = first_number_row(client, data)
    data[f"v{i}"] = "12x"
    data["action"] = "save"
    response = client.post(SUB, data=data)
    assert response.status_code == 302
    stored = [v for v in env.values() if v.raw_value == "12x"]
    assert len(stored) == 1 and stored[0].error and stored[0].value is None
    html = client.get(SUB).get_data(as_text=True)
    assert 'value="12x"' in html and 'aria-invalid="true"' in html


def test_khmer_digits_are_read(env, login):
    client = login("partner")
    _html, data = open_grid(client)
    i = first_number_row(client, data)
    data[f"v{i}"] = "១២"
    data["action"] = "save"
    assert client.post(SUB, data=data).status_code == 302
    assert any(v.value == 12 and v.error is None for v in env.values())


def test_submit_lists_problems_and_keeps_the_draft(env, login):
    client = login("partner")
    _html, data = open_grid(client)
    i = first_number_row(client, data)
    data[f"v{i}"] = "abc"
    data["action"] = "submit"
    response = client.post(SUB, data=data)
    assert response.status_code == 422
    assert "Fix these before you submit" in response.get_data(as_text=True)
    assert env.sub().status == "draft"
    assert any(v.raw_value == "abc" for v in env.values())


def test_second_save_gets_a_conflict_with_both_versions(env, login, app):
    first = login("partner")
    _html, data = open_grid(first)
    i = first_number_row(first, data)
    stale = dict(data)
    data[f"v{i}"] = "40"
    data["action"] = "save"
    assert first.post(SUB, data=data).status_code == 302
    stale[f"v{i}"] = "41"
    stale["action"] = "save"
    response = first.post(SUB, data=stale)  # the same stale version: a second person
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else saved this submission" in html
    assert "40" in html and "41" in html
    assert 'value="41"' in html  # what I typed is still in the grid
    assert [v.value for v in env.values() if v.value is not None] == [40]


def _submit_clean(env, client):
    """Fill every number cell with 1, explain every warning, submit."""
    html, data = open_grid(client)
    for k in list(data):
        if re.fullmatch(r"[vnd]\d+", k):
            data[k] = "1"
    data["action"] = "save"
    assert client.post(SUB, data=data).status_code == 302
    html, data = open_grid(client)
    for m in re.finditer(r'name="(x\d+)"', html):
        data[m.group(1)] = "Explained for the test."
    data["action"] = "submit"
    response = client.post(SUB, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    assert env.sub().status == "submitted"


def test_review_return_needs_a_reason_then_approve(env, login, client, auth):
    partner = login("partner")
    _submit_clean(env, partner)
    auth.logout()
    reviewer = login("reviewer")
    queue = reviewer.get("/submissions").get_data(as_text=True)
    assert "AHTJP" in queue and SUB in queue
    page = reviewer.get(SUB).get_data(as_text=True)
    assert "Return to the partner" in page
    # no reason: refused, nothing changes
    reviewer.post(f"{SUB}/return", data={"reason": "  "})
    assert env.sub().status == "submitted"
    reviewer.post(f"{SUB}/return", data={"reason": "Check Siem Reap's figures."})
    assert env.sub().status == "returned"
    assert env.sub().return_reason == "Check Siem Reap's figures."
    auth.logout()
    partner = login("partner")
    assert "Check Siem Reap" in partner.get(SUB).get_data(as_text=True)
    _submit_clean(env, partner)
    auth.logout()
    reviewer = login("reviewer")
    assert reviewer.post(f"{SUB}/approve", data={}).status_code == 302
    assert env.sub().status == "approved"
    history = reviewer.get(f"{SUB}/history").get_data(as_text=True)
    assert "Check Siem Reap" in history and "Approved" in history


def test_comment_thread_and_reopen_one_value(env, login, auth):
    partner = login("partner")
    _submit_clean(env, partner)
    auth.logout()
    reviewer = login("reviewer")
    value = next(v for v in env.values() if v.value is not None)
    r = reviewer.post(f"{SUB}/values/{value.id}/comments", data={"body": "Is this right?"})
    assert r.status_code == 302
    from indicators.models.submissions import ValueComment
    from leap_me.extensions import db

    assert (
        db.session.scalar(sa.select(sa.func.count()).where(ValueComment.value_id == value.id)) == 1
    )
    reviewer.post(f"{SUB}/approve", data={})
    assert env.sub().status == "approved"
    # a reason is required
    reviewer.post(f"{SUB}/values/{value.id}/reopen", data={"reason": ""})
    assert not next(v for v in env.values() if v.id == value.id).reopened
    reviewer.post(f"{SUB}/values/{value.id}/reopen", data={"reason": "Typo in the total."})
    assert next(v for v in env.values() if v.id == value.id).reopened
    auth.logout()
    partner = login("partner")
    page = partner.get(SUB).get_data(as_text=True)
    assert "Is this right?" in page


def test_bulk_return_needs_each_reason(env, login, auth):
    partner = login("partner")
    _submit_clean(env, partner)
    auth.logout()
    reviewer = login("reviewer")
    sid = env.sub().id
    reviewer.post("/submissions/bulk", data={"action": "return", "sub": [str(sid)]})
    assert env.sub().status == "submitted"
    reviewer.post(
        "/submissions/bulk",
        data={"action": "return", "sub": [str(sid)], f"reason-{sid}": "Missing provinces."},
    )
    assert env.sub().status == "returned" and env.sub().return_reason == "Missing provinces."


def test_evidence_upload_limits_and_download(env, login, auth, app):
    partner = login("partner")
    open_grid(partner)
    bad = partner.post(
        f"{SUB}/evidence",
        data={"file": (io.BytesIO(b"MZ\x90\x00"), "tool.exe")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 302
    assert env.sub().evidence == []
    ok = partner.post(
        f"{SUB}/evidence",
        data={"file": (io.BytesIO(b"%PDF-1.4\n%test\n"), "../../etc/report 2026.pdf")},
        content_type="multipart/form-data",
    )
    assert ok.status_code == 302
    ev = env.sub().evidence
    assert len(ev) == 1 and "/" not in ev[0].original_name and ".." not in ev[0].original_name
    download = partner.get(f"{SUB}/evidence/{ev[0].id}")
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    auth.logout()
    other = login("partner-wvc")
    assert other.get(f"{SUB}/evidence/{ev[0].id}").status_code == 404


def test_another_organisation_gets_404_everywhere(env, login, auth):
    """Scoping: every submission route, with AHTJP-SRP's ids, as WVC's partner."""
    partner = login("partner")
    open_grid(partner)
    partner.post(
        f"{SUB}/evidence",
        data={"file": (io.BytesIO(b"%PDF-1.4\n"), "a.pdf")},
        content_type="multipart/form-data",
    )
    _submit_clean(env, partner)
    value = next(v for v in env.values() if v.value is not None)
    auth.logout()
    sub = env.sub()
    # back to draft so that every partner route would be open to the owner
    from leap_me.extensions import db

    sub.status = "returned"
    db.session.commit()
    ev = env.sub().evidence[0]
    other = login("partner-wvc")
    gets = [SUB, f"{SUB}/history", f"{SUB}/evidence/{ev.id}"]
    posts = [
        SUB,
        f"{SUB}/values/{value.id}/comments",
        f"{SUB}/evidence",
        f"{SUB}/evidence/{ev.id}/delete",
    ]
    for url in gets:
        assert other.get(url).status_code in (403, 404), url
    for url in posts:
        assert other.post(url, data={"body": "x", "rows": "0", "version": "1"}).status_code in (
            403,
            404,
        ), url
    assert "AHTJP-SRP" not in other.get("/submissions").get_data(as_text=True)
    # nothing changed
    assert env.sub().status == "returned" and len(env.sub().evidence) == 1


def test_grid_and_review_queries_do_not_grow_with_rows(env, login, auth, count_queries, db):
    from stakeholders.models import Province, organisation_province

    partner = login("partner")
    open_grid(partner)
    db.session.commit()  # the test shares the app's session: start each count alike
    with count_queries() as small:
        rows_small = partner.get(SUB).get_data(as_text=True).count('name="k')
    org = env.org()
    have = {p.id for p in org.provinces}
    more = [p for p in db.session.scalars(sa.select(Province)) if p.id not in have][:6]
    db.session.execute(
        organisation_province.insert(),
        [{"organisation_id": org.id, "province_id": p.id} for p in more],
    )
    db.session.commit()
    with count_queries() as big:
        html = partner.get(SUB).get_data(as_text=True)
    assert html.count('name="k') > rows_small > 0
    extra = [x[:200] for x in big.statements if x not in small.statements]
    assert big.count == small.count, (small.count, big.count, extra)
    auth.logout()
    reviewer = login("reviewer")
    db.session.commit()
    with count_queries() as review:
        assert reviewer.get(SUB).status_code == 200
    db.session.execute(
        organisation_province.delete().where(
            organisation_province.c.province_id.in_([p.id for p in more[:3]])
        )
    )
    db.session.commit()
    with count_queries() as review_small:
        assert reviewer.get(SUB).status_code == 200
    assert review.count == review_small.count


def test_rules_are_managed_by_planners(env, login, auth, db):
    from indicators.models.quality import CrossCheckRule

    planner = login("planner")
    bad = planner.post(
        "/quality/rules/new",
        data={
            "code": "CC-1",
            "name_en": "Police vs courts",
            "left": "NOPE-1",
            "op": "within",
            "right": "AHTJP-02",
            "tolerance": "10",
        },
    )
    assert bad.status_code == 400 and "There is no indicator NOPE-1" in bad.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CrossCheckRule)) == 0
    ok = planner.post(
        "/quality/rules/new",
        data={
            "code": "CC-1",
            "name_en": "Police vs courts",
            "left": "AHTJP-01",
            "op": "within",
            "right": "AHTJP-02[sex:F]",
            "tolerance": "10",
            "active": "y",
        },
    )
    assert ok.status_code == 302
    rule = db.session.scalar(sa.select(CrossCheckRule))
    assert rule.right_terms == [{"indicator": "AHTJP-02", "option": "sex:F"}]
    assert rule.tolerance_pct == 10 and rule.op == "within"
    assert "AHTJP-02[sex:F]" in planner.get("/quality/rules").get_data(as_text=True)
    planner.post(
        f"/quality/rules/{rule.id}/edit",
        data={
            "code": "CC-1",
            "name_en": "Police vs courts",
            "left": "AHTJP-01",
            "op": "ge",
            "right": "AHTJP-02",
            "tolerance": "",
            "active": "y",
        },
    )
    db.session.expire_all()
    assert db.session.get(CrossCheckRule, rule.id).op == "ge"
    planner.post(f"/quality/rules/{rule.id}/delete")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CrossCheckRule)) == 0


def test_quality_completeness_and_notifications_pages(env, login, auth, db):
    from indicators.models.quality import Finding

    partner = login("partner")
    _html, data = open_grid(partner)
    rows = rows_of(data)
    # a total that is not the sum of its parts raises a stored finding
    prefix = next(
        k
        for k in rows
        if k.endswith(".")
        and f"v{rows[k]}" in data
        and any(o != k and o.startswith(k) for o in rows)
    )
    data[f"v{rows[prefix]}"] = "50"
    for k, i in rows.items():
        if k.startswith(prefix) and k != prefix and f"v{i}" in data:
            data[f"v{i}"] = "1"
    data["action"] = "save"
    partner.post(SUB, data=data)
    found = list(db.session.scalars(sa.select(Finding).where(Finding.active.is_(True))))
    assert any(f.kind == "total_parts" for f in found)
    auth.logout()
    reviewer = login("reviewer")
    response = reviewer.get("/quality?kind=total_parts")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Total is not the sum of its parts" in page and "<svg" in page
    assert "No finding matches" in reviewer.get("/quality?kind=outlier").get_data(as_text=True)
    f = next(f for f in found if f.kind == "total_parts")
    reviewer.post(f"/quality/findings/{f.id}/dismiss", data={"reason": ""})
    db.session.expire_all()
    assert db.session.get(Finding, f.id).state == "open"
    reviewer.post(f"/quality/findings/{f.id}/dismiss", data={"reason": "Known gap."})
    db.session.expire_all()
    assert db.session.get(Finding, f.id).state == "dismissed"
    comp = reviewer.get("/completeness?period=2026Q4").get_data(as_text=True)
    assert "AHTJP SRP" in comp or "AHTJP-SRP" in comp
    assert reviewer.get("/completeness?period=1999Q1").status_code == 404
    assert reviewer.get("/notifications").status_code == 200
