"""The submission API (CONTRACTS.md) and scoping: a partner reaches only its own
organisation's submissions, values, findings and notifications."""

from __future__ import annotations

from datetime import date

import pytest

from indicators.models import Submission
from indicators.services import completeness as C
from indicators.services import quality as Q
from indicators.services import submissions as S


@pytest.fixture
def h(api_token):
    def _h(username):
        return {"Authorization": f"Bearer {api_token(username)}"}

    return _h


@pytest.fixture
def srp(db, sub, cell, user):
    """SRP's 2026Q4 draft with one value."""
    s = sub()
    S.save(
        db.session, s, [cell("AHTJP-01", value="12")], user=user("partner"), expected_version=None
    )
    db.session.commit()
    return s


def test_partner_submits_and_reviewer_returns_then_approves(client, h, srp, db):
    r = client.get("/api/v1/submissions/AHTJP-SRP/2026Q4", headers=h("partner"))
    assert r.status_code == 200 and r.json["status"] == "draft"
    assert r.json["values"][0]["indicator"] == "AHTJP-01" and r.json["values"][0]["value"] == "12"
    assert [e["action"] for e in r.json["history"]] == ["created", "saved"]
    r = client.post("/api/v1/submissions/AHTJP-SRP/2026Q4/submit", headers=h("partner"))
    assert r.status_code == 200 and r.json["status"] == "submitted"
    r = client.post("/api/v1/submissions/AHTJP-SRP/2026Q4/return", json={}, headers=h("reviewer"))
    assert r.status_code == 400 and r.json["error"]["details"][0]["field"] == "reason"
    r = client.post(
        "/api/v1/submissions/AHTJP-SRP/2026Q4/return",
        json={"reason": "Where is the register?"},
        headers=h("reviewer"),
    )
    assert r.status_code == 200 and r.json["returnReason"] == "Where is the register?"
    r = client.post("/api/v1/submissions/AHTJP-SRP/2026Q4/approve", headers=h("reviewer"))
    assert r.status_code == 409 and r.json["error"]["code"] == "refused"
    client.post("/api/v1/submissions/AHTJP-SRP/2026Q4/submit", headers=h("partner"))
    r = client.post("/api/v1/submissions/AHTJP-SRP/2026Q4/approve", headers=h("reviewer"))
    assert r.status_code == 200 and r.json["status"] == "approved"
    db.session.expire_all()
    assert db.session.get(Submission, srp.id).status == "approved"
    # the viewer now reads it
    assert (
        client.get("/api/v1/submissions/AHTJP-SRP/2026Q4", headers=h("viewer")).status_code == 200
    )


def test_submit_with_problems_is_422_with_every_problem(client, h, db, sub, cell, user):
    s = sub()
    S.save(
        db.session, s, [cell("AHTJP-01", value="abc")], user=user("partner"), expected_version=None
    )
    db.session.commit()
    r = client.post("/api/v1/submissions/AHTJP-SRP/2026Q4/submit", headers=h("partner"))
    assert r.status_code == 422
    codes = {d["code"] for d in r.json["error"]["details"]}
    assert "not_a_number" in codes
    assert db.session.get(Submission, s.id).status == "draft"


def test_list_is_scoped(client, h, srp, db, org, period, user):
    wvc = S.get_or_create(db.session, org("WVC"), period("2026Q4"), user("partner-wvc"))
    db.session.commit()
    r = client.get("/api/v1/submissions?period=2026Q4", headers=h("partner"))
    assert [s["organisation"] for s in r.json["submissions"]] == ["AHTJP-SRP"]
    r = client.get("/api/v1/submissions?period=2026Q4", headers=h("reviewer"))
    assert {s["organisation"] for s in r.json["submissions"]} == {"AHTJP-SRP", "WVC"}
    assert client.get("/api/v1/submissions?org=WVC", headers=h("partner")).status_code == 403
    r = client.get("/api/v1/submissions?period=2026Q4", headers=h("viewer"))
    assert r.json["submissions"] == []  # drafts are not for donors
    assert wvc.id


def test_another_organisations_ids_get_403_or_404(client, h, srp, db):
    other = h("partner-wvc")
    base = "/api/v1/submissions/AHTJP-SRP/2026Q4"
    assert client.get(base, headers=other).status_code == 404
    assert client.post(base + "/submit", headers=other).status_code == 404
    assert client.post(base + "/approve", headers=other).status_code == 403
    assert client.post(base + "/return", json={"reason": "x"}, headers=other).status_code == 403
    assert client.get("/api/v1/submissions?org=AHTJP-SRP", headers=other).status_code == 403
    r = client.get("/api/v1/submissions?period=2026Q4", headers=other)
    assert r.json["submissions"] == []
    assert client.get("/api/v1/completeness?period=2026Q4", headers=other).status_code == 403
    assert db.session.get(Submission, srp.id).status == "draft"


def test_findings_and_notifications_are_scoped(db, srp, user, cell):
    from indicators.services import notifications as N

    S.submit(db.session, srp, user=user("partner"))
    S.return_submission(db.session, srp, user=user("reviewer"), reason="Check")
    db.session.commit()
    assert N.unread_count(db.session, user("partner")) == 1
    assert N.unread_count(db.session, user("partner-wvc")) == 0
    S.save(
        db.session,
        srp,
        [cell("AHTJP-01", value="12"), cell("AHTJP-01", disagg="victim_type:other", value="3")],
        user=user("partner"),
        expected_version=None,
    )
    db.session.commit()
    # the total ≠ its parts, and the explanation it lacks
    assert Q.list_findings(db.session, {}, user=user("partner"))[1] == 2
    assert Q.list_findings(db.session, {}, user=user("partner-wvc"))[1] == 0


def test_unknown_period_and_organisation_are_404(client, h, seeded):
    assert client.get("/api/v1/submissions/NOPE/2026Q4", headers=h("reviewer")).status_code == 404
    r = client.get("/api/v1/submissions/AHTJP-SRP/2099Q9", headers=h("reviewer"))
    assert r.status_code == 404 and set(r.json["error"]) == {"code", "message", "details"}
    r = client.get("/api/v1/completeness", headers=h("reviewer"))
    assert r.status_code == 400


def test_completeness_and_timeliness(client, h, db, sub, cell, user, org, period):
    q4 = period("2026Q4")
    q4.deadline = date(2027, 1, 15)
    # SRP submits on time, PNP's submission is approved but was late, others nothing
    srp = sub()
    S.save(
        db.session, srp, [cell("AHTJP-01", value="3")], user=user("partner"), expected_version=None
    )
    S.submit(db.session, srp, user=user("partner"))
    pnp = S.get_or_create(db.session, org("AHTJP-PNP"), q4, None)
    S.save(
        db.session,
        pnp,
        [cell("AHTJP-01", prov="KH-12", value="4")],
        user=None,
        expected_version=None,
    )
    S.submit(db.session, pnp, user=None)
    pnp.submitted_at = pnp.submitted_at.replace(year=2027, month=1, day=20)
    S.approve(db.session, pnp, user=user("reviewer"))
    db.session.commit()
    report = C.completeness(db.session, q4, today=date(2027, 1, 31))
    # quarterly reporters: AHTJP and its ten units, SCA and WVC (training), MoSVY, MoJ
    overall = report["overall"]
    assert overall["expected"] == 15 and overall["submitted"] == 2 and overall["approved"] == 1
    assert overall["on_time"] == 1
    assert str(overall["completeness"]) == "13.3" and str(overall["timeliness"]) == "6.7"
    rows = {r["code"]: r for r in report["organisations"]}
    assert rows["AHTJP-SRP"]["on_time"] == 1 and rows["AHTJP-SRP"]["late"] == 0
    assert rows["AHTJP-PNP"]["late"] == 1 and rows["AHTJP-PNP"]["approved"] == 1
    assert rows["MOJ"]["status"] == "missing" and rows["MOJ"]["late"] == 1
    assert report["organisations"][0]["late"] == 1  # the late ones first
    provs = {r["code"]: r for r in report["provinces"]}
    assert provs["KH-17"]["expected"] == 2  # SRP and WVC cover Siem Reap
    assert provs["KH-17"]["submitted"] == 1 and str(provs["KH-17"]["completeness"]) == "50.0"
    r = client.get("/api/v1/completeness?period=2026Q4", headers=h("reviewer"))
    assert r.status_code == 200 and r.json["overall"]["expected"] == 15
    assert r.json["provinces"] and r.json["organisations"][0]["name"]["en"]
    # a planned period owes nothing yet
    assert C.completeness(db.session, period("2026S2", "planned"))["overall"]["expected"] == 0
