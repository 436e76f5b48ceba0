"""Every transition and every refused transition, with history, audit and values' status."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from indicators.models import DataValue, Notification, SubmissionEvent
from indicators.services import submissions as S
from leap_me.audit import AuditEntry


def _events(db, sub):
    return [
        (e.action, e.from_status, e.to_status, e.reason)
        for e in db.session.scalars(
            sa.select(SubmissionEvent)
            .where(SubmissionEvent.submission_id == sub.id)
            .order_by(SubmissionEvent.id)
        )
    ]


def _statuses(db, sub):
    return set(
        db.session.scalars(sa.select(DataValue.status).where(DataValue.submission_id == sub.id))
    )


def _filled(db, sub, cell, user):
    r = S.save(
        db.session,
        sub,
        [cell("AHTJP-01", value="12"), cell("AHTJP-03", value="5")],
        user=user("partner"),
        expected_version=None,
    )
    db.session.commit()
    return r


def test_the_whole_loop(db, sub, cell, user):
    s = sub()
    _filled(db, s, cell, user)
    S.submit(db.session, s, user=user("partner"))
    db.session.commit()
    assert s.status == "submitted" and s.submitted_by_id == user("partner").id
    assert _statuses(db, s) == {"submitted"}
    S.return_submission(db.session, s, user=user("reviewer"), reason="Check AHTJP-03")
    db.session.commit()
    assert s.status == "returned" and s.return_reason == "Check AHTJP-03"
    assert _statuses(db, s) == {"draft"}
    S.save(
        db.session,
        s,
        [cell("AHTJP-03", value="6")],
        user=user("partner"),
        expected_version=s.version,
    )
    S.submit(db.session, s, user=user("partner"))
    S.approve(db.session, s, user=user("reviewer"))
    db.session.commit()
    assert s.status == "approved" and _statuses(db, s) == {"approved"}
    value = db.session.scalar(
        sa.select(DataValue).where(DataValue.submission_id == s.id, DataValue.value == 6)
    )
    assert value.approved_value == {"value": "6", "numerator": "", "denominator": "", "text": ""}
    S.reopen_value(db.session, value, user=user("reviewer"), reason="Register says 7")
    db.session.commit()
    assert value.reopened and value.status == "draft" and s.changed_since_approval == 1
    S.save(
        db.session, s, [cell("AHTJP-03", value="7")], user=user("partner"), expected_version=None
    )
    db.session.commit()
    diff = S.changes_since_approval(db.session, s)
    assert [(d["indicator"], d["before"]["value"], d["now"]["value"]) for d in diff] == [
        ("AHTJP-03", "6", "7")
    ]
    S.approve(db.session, s, user=user("reviewer"))
    db.session.commit()
    db.session.refresh(value)
    assert not value.reopened and value.status == "approved" and value.value == 7
    assert s.changed_since_approval == 0
    S.reopen(db.session, s, user=user("reviewer"), reason="Whole quarter to recheck")
    db.session.commit()
    assert s.status == "returned" and _statuses(db, s) == {"draft"}
    assert [e[0] for e in _events(db, s)] == [
        "created",
        "saved",
        "submitted",
        "returned",
        "saved",
        "submitted",
        "approved",
        "value_reopened",
        "saved",
        "value_approved",
        "reopened",
    ]
    returned = next(e for e in _events(db, s) if e[0] == "returned")
    assert returned == ("returned", "submitted", "returned", "Check AHTJP-03")
    # the audit trail has each status change with its reason
    reasons = set(
        db.session.scalars(
            sa.select(AuditEntry.reason).where(
                AuditEntry.object_type == "submission", AuditEntry.field == "status"
            )
        )
    )
    assert {"Check AHTJP-03", "Whole quarter to recheck"} <= reasons
    # the partner was told: returned twice (and the re-opened value), approved twice
    kinds = db.session.scalars(
        sa.select(Notification.kind).where(Notification.user_id == user("partner").id)
    ).all()
    assert kinds.count("approved") == 2 and kinds.count("returned") >= 2


def test_refused_transitions(db, sub, cell, user):
    s = sub()
    partner, reviewer = user("partner"), user("reviewer")
    with pytest.raises(S.SubmissionError) as info:  # nothing typed
        S.submit(db.session, s, user=partner)
    assert info.value.problems[0]["code"] == "empty"
    with pytest.raises(S.TransitionError):
        S.approve(db.session, s, user=reviewer)  # a draft
    with pytest.raises(S.TransitionError):
        S.return_submission(db.session, s, user=reviewer, reason="x")  # a draft
    with pytest.raises(S.TransitionError):
        S.reopen(db.session, s, user=reviewer, reason="x")  # not approved
    _filled(db, s, cell, user)
    S.submit(db.session, s, user=partner)
    with pytest.raises(S.TransitionError):
        S.submit(db.session, s, user=partner)  # already submitted
    with pytest.raises(S.TransitionError, match="Say why"):
        S.return_submission(db.session, s, user=reviewer, reason="  ")
    S.approve(db.session, s, user=reviewer)
    with pytest.raises(S.TransitionError, match="already approved"):
        S.approve(db.session, s, user=reviewer)
    with pytest.raises(S.TransitionError):
        S.return_submission(db.session, s, user=reviewer, reason="late")
    with pytest.raises(S.TransitionError, match="Say why"):
        S.reopen(db.session, s, user=reviewer, reason="")
    value = db.session.scalar(sa.select(DataValue).where(DataValue.submission_id == s.id))
    with pytest.raises(S.TransitionError, match="Say why"):
        S.reopen_value(db.session, value, user=reviewer, reason="")
    S.reopen_value(db.session, value, user=reviewer, reason="recheck")
    with pytest.raises(S.TransitionError, match="already open"):
        S.reopen_value(db.session, value, user=reviewer, reason="again")
    s.period.status = "locked"
    with pytest.raises(S.TransitionError, match="locked"):
        S.reopen(db.session, s, user=reviewer, reason="x")


def test_submit_refused_in_a_closed_period(db, sub, cell, user):
    s = sub()
    _filled(db, s, cell, user)
    s.period.status = "closed"
    with pytest.raises(S.TransitionError, match="closed"):
        S.submit(db.session, s, user=user("partner"))


def test_hard_errors_block_submission(db, sub, cell, user):
    s = sub()
    S.save(
        db.session,
        s,
        [cell("AHTJP-01", value="12"), cell("AHTJP-03", value="abc")],
        user=user("partner"),
        expected_version=None,
    )
    db.session.commit()
    with pytest.raises(S.SubmissionError) as info:
        S.submit(db.session, s, user=user("partner"))
    assert [(p["indicator"], p["severity"]) for p in info.value.problems] == [("AHTJP-03", "error")]
    assert s.status == "draft"


def test_late_submission_is_marked(db, sub, cell, user):
    from datetime import date

    s = sub()
    _filled(db, s, cell, user)
    s.period.deadline = date(2026, 12, 31)
    S.submit(db.session, s, user=user("partner"))
    s.submitted_at = s.submitted_at.replace(year=2027, month=1, day=5)
    assert s.is_late
    s.submitted_at = s.submitted_at.replace(year=2026, month=12, day=30)
    assert not s.is_late
