"""Warnings become findings with states; a warning needs an explanation before submit;
the explanation travels with the value; cross-check rules across organisations."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from indicators.models import DataValue, Finding
from indicators.services import quality as Q
from indicators.services import submissions as S
from indicators.services.common import ValidationError


@pytest.fixture
def history(db, org, period, indicator, province):
    """AHTJP-SRP reported AHTJP-01 in Siem Reap as 10, 12, 11 in 2026 Q1–Q3."""

    def _history(values=(10, 12, 11), code="AHTJP-01", org_code="AHTJP-SRP", prov="KH-17"):
        ind = indicator(code)
        for q, value in zip(("2026Q1", "2026Q2", "2026Q3"), values, strict=False):
            db.session.add(
                DataValue(
                    indicator=ind,
                    version=ind.current,
                    period=period(q),
                    organisation=org(org_code),
                    province=province(prov),
                    disagg_key="",
                    value=D(value),
                    status="approved",
                )
            )
        db.session.commit()

    return _history


def _findings(db, **where):
    stmt = sa.select(Finding).where(Finding.active)
    for k, v in where.items():
        stmt = stmt.where(getattr(Finding, k) == v)
    return db.session.scalars(stmt.order_by(Finding.kind)).all()


def test_outlier_and_jump_become_findings_and_need_an_explanation(db, sub, cell, user, history):
    history()  # median 11, MAD 1: usual range 8 to 14
    s = sub()
    result = S.save(
        db.session, s, [cell("AHTJP-01", value="30")], user=user("partner"), expected_version=None
    )
    db.session.commit()
    warnings = {w.code for w in result.cells[0].warnings}
    assert {"outlier", "jump"} <= warnings
    found = _findings(db, submission_id=s.id)
    assert {f.kind for f in found} >= {"outlier", "jump"}
    outlier = next(f for f in found if f.kind == "outlier")
    assert outlier.state == "open" and outlier.detail["median"] == "11"
    assert outlier.detail["low"] == "8" and outlier.detail["high"] == "14"
    with pytest.raises(S.SubmissionError) as info:
        S.submit(db.session, s, user=user("partner"))
    assert {p["code"] for p in info.value.problems} == {"explanation_missing"}
    # explain: stored with the value, the findings become "explained"
    S.save(
        db.session,
        s,
        [cell("AHTJP-01", value="30", explanation="A raid on a karaoke bar")],
        user=user("partner"),
        expected_version=None,
    )
    db.session.commit()
    assert {f.state for f in _findings(db, submission_id=s.id)} == {"explained"}
    S.submit(db.session, s, user=user("partner"))
    S.return_submission(db.session, s, user=user("reviewer"), reason="Source?")
    db.session.commit()
    value = db.session.scalar(sa.select(DataValue).where(DataValue.submission_id == s.id))
    assert value.explanation == "A raid on a karaoke bar"  # travels through the return
    # a value within the usual range: the findings stop firing
    S.save(
        db.session, s, [cell("AHTJP-01", value="12")], user=user("partner"), expected_version=None
    )
    db.session.commit()
    assert [f for f in _findings(db, submission_id=s.id) if f.kind in ("outlier", "jump")] == []


def test_value_within_the_usual_range_raises_nothing(db, sub, cell, user, history):
    history()
    s = sub()
    result = S.save(
        db.session, s, [cell("AHTJP-01", value="13")], user=user("partner"), expected_version=None
    )
    assert not {"outlier", "jump"} & {w.code for w in result.cells[0].warnings}


def test_total_not_sum_of_parts_is_a_finding(db, sub, cell, user):
    s = sub()
    S.save(
        db.session,
        s,
        [
            cell("AHTJP-01", value="10"),
            cell("AHTJP-01", disagg="victim_type:other", value="4"),
            cell("AHTJP-01", disagg="victim_type:sexual_abuse", value="5"),
        ],
        user=user("partner"),
        expected_version=None,
    )
    db.session.commit()
    f = next(f for f in _findings(db, submission_id=s.id) if f.kind == "total_parts")
    assert f.detail == {"total": "10", "sum": "9"} and f.disagg_key == ""


def test_reviewer_resolves_or_dismisses_with_a_reason(db, sub, cell, user, history):
    history()
    s = sub()
    S.save(
        db.session, s, [cell("AHTJP-01", value="30")], user=user("partner"), expected_version=None
    )
    db.session.commit()
    outlier, jump = (
        next(f for f in _findings(db, submission_id=s.id) if f.kind == k)
        for k in ("outlier", "jump")
    )
    with pytest.raises(ValidationError):
        Q.dismiss(db.session, outlier, user=user("reviewer"), reason="")
    Q.dismiss(db.session, outlier, user=user("reviewer"), reason="Known raid")
    Q.explain(db.session, jump, user=user("partner"), text="One big case")
    Q.resolve(db.session, jump, user=user("reviewer"), reason="Checked the register")
    db.session.commit()
    assert (outlier.state, outlier.decided_reason) == ("dismissed", "Known raid")
    assert jump.state == "resolved" and jump.value.explanation == "One big case"
    with pytest.raises(ValidationError):
        Q.resolve(db.session, jump, user=user("reviewer"), reason="again")
    c = Q.counts(db.session, {"period": s.period_id})
    assert c["by_state"]["dismissed"] == 1 and c["by_state"]["resolved"] == 1
    rows, total = Q.list_findings(db.session, {"kind": "outlier"})
    assert total == 1 and rows[0].id == outlier.id
    assert Q.trend(db.session)[0]["period"] == "2026Q4"


def test_red_against_the_target(db, sub, cell, user):
    s = sub()
    # AHTJP-01's national target is 220 a year, 55 a quarter; no provincial target
    # exists, so a province is not compared with the national target
    r = S.save(
        db.session, s, [cell("AHTJP-01", value="1")], user=user("partner"), expected_version=None
    )
    assert "red" not in {w.code for w in r.cells[0].warnings}


def test_cross_check_police_referrals_vs_court_records(db, sub, cell, user, org, period):
    from indicators.services import submissions

    rule = Q.create_rule(
        db.session,
        {
            "code": "XC-T",
            "name_en": "Police referrals ≈ court records",
            "op": "within",
            "tolerance_pct": "10",
            "left": "AHTJP-04",
            "right": "LEAP-G.2",
        },
        user=user("planner"),
    )
    db.session.commit()
    # the courts (MoJ) report 20 cases received from the police in Siem Reap, submitted
    moj = submissions.get_or_create(db.session, org("MOJ"), period("2026Q4"), user("partner"))
    S.save(db.session, moj, [cell("LEAP-G.2", value="20")], user=None, expected_version=None)
    S.submit(db.session, moj, user=None)
    db.session.commit()
    s = sub()
    ok = S.save(
        db.session, s, [cell("AHTJP-04", value="19")], user=user("partner"), expected_version=None
    )
    assert "crosscheck" not in {w.code for w in ok.cells[0].warnings}  # 5 % apart
    bad = S.save(
        db.session, s, [cell("AHTJP-04", value="30")], user=user("partner"), expected_version=None
    )
    db.session.commit()
    warn = next(w for w in bad.cells[0].warnings if w.code == "crosscheck")
    assert warn.detail["left"] == "30" and warn.detail["right"] == "20"
    finding = db.session.scalar(sa.select(Finding).where(Finding.rule_id == rule.id))
    assert finding.organisation_id is None and finding.state == "open" and finding.active
    assert Q.finding_text(finding)
    evaluated = Q.evaluate_rules(db.session, period("2026Q4"))
    # only submitted values count across organisations: SRP's draft is not in it yet
    assert [e["broken"] for e in evaluated] == [None]


def test_rule_validation(db, seeded, user):
    with pytest.raises(ValidationError, match="no indicator"):
        Q.create_rule(
            db.session,
            {"code": "X", "name_en": "x", "op": "eq", "left": "NOPE", "right": "AHTJP-04"},
        )
    with pytest.raises(ValidationError, match="tolerance"):
        Q.create_rule(
            db.session,
            {"code": "X", "name_en": "x", "op": "within", "left": "AHTJP-04", "right": "AHTJP-01"},
        )
    rule = Q.create_rule(
        db.session,
        {"code": "X", "name_en": "x", "op": "le", "left": "AHTJP-02[sex:F]", "right": "AHTJP-02"},
    )
    assert rule.left == [{"indicator": "AHTJP-02", "option": "sex:F"}]
    with pytest.raises(ValidationError, match="exists"):
        Q.create_rule(
            db.session,
            {"code": "X", "name_en": "y", "op": "eq", "left": "AHTJP-04", "right": "AHTJP-01"},
        )


def test_a_warning_without_explanation_is_an_explanation_missing_finding(
    db, sub, cell, user, history
):
    from indicators.services.quality import finding_text

    history()  # 30 is an outlier and a jump
    s = sub()
    S.save(
        db.session, s, [cell("AHTJP-01", value="30")], user=user("partner"), expected_version=None
    )
    db.session.commit()
    missing = _findings(db, submission_id=s.id, kind="explanation_missing")
    assert len(missing) == 1  # one per value, however many warnings it has
    flag = missing[0]
    value = db.session.scalar(sa.select(DataValue).where(DataValue.submission_id == s.id))
    assert flag.value_id == value.id and flag.state == "open"
    assert set(flag.detail["warnings"]) >= {"outlier", "jump"}
    text = finding_text(flag)
    assert "Outlier" in text or "outlier" in text.lower()
    # a value without warnings raises none
    S.save(
        db.session,
        s,
        [cell("AHTJP-01", value="11")],
        user=user("partner"),
        expected_version=None,
    )
    db.session.commit()
    assert _findings(db, submission_id=s.id, kind="explanation_missing") == []
    # back to 30, then explained: the flag goes, the warnings stay as "explained"
    S.save(
        db.session, s, [cell("AHTJP-01", value="30")], user=user("partner"), expected_version=None
    )
    db.session.commit()
    assert len(_findings(db, submission_id=s.id, kind="explanation_missing")) == 1
    S.save(
        db.session,
        s,
        [cell("AHTJP-01", value="30", explanation="A raid")],
        user=user("partner"),
        expected_version=None,
    )
    db.session.commit()
    assert _findings(db, submission_id=s.id, kind="explanation_missing") == []
    kinds = {f.kind: f.state for f in _findings(db, submission_id=s.id)}
    assert kinds["outlier"] == "explained" and "explanation_missing" not in kinds
