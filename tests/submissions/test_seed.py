"""The demo submissions of `leap-me seed`: honest data for every page, marked as demo."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import sqlalchemy as sa

from indicators.models import Finding, Submission, SubmissionEvent
from leap_me import seeding


def test_demo_submissions(db, plan, app):
    seeding.seed_all(
        db.session,
        Path(app.config["SEEDS_DIR"]),
        only=("disaggregations", "indicators", "periods", "crosschecks", "submissions"),
    )
    db.session.commit()
    subs = db.session.scalars(sa.select(Submission)).all()
    assert subs and all(s.is_demo for s in subs)
    status = Counter(s.status for s in subs)
    assert status["approved"] > len(subs) * 0.8 and status["returned"] == 2
    returned = [s for s in subs if s.status == "returned"]
    assert all(s.return_reason for s in returned)
    late = [s for s in subs if s.is_late]
    assert [(s.organisation.code, s.period.code) for s in late] == [("AHTJP-TKO", "2026Q2")]
    cross = db.session.scalars(sa.select(Finding).where(Finding.kind == "crosscheck")).all()
    assert len(cross) == 1 and cross[0].state == "explained" and "court" in cross[0].explanation
    outlier = db.session.scalars(sa.select(Finding).where(Finding.kind == "outlier")).all()
    assert any(f.state == "explained" and "raid" in f.explanation for f in outlier)
    assert db.session.scalar(sa.select(sa.func.count(SubmissionEvent.id))) > len(subs) * 3
    # running the seed again adds nothing
    seeding.seed_all(db.session, Path(app.config["SEEDS_DIR"]), only=("submissions",))
    assert db.session.scalar(sa.select(sa.func.count(Submission.id))) == len(subs)
