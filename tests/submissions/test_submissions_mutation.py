"""The submission service (indicators/services/submissions.py) pinned by what it stores and
says: each save's outcome per cell (status, what was there, what is there now, the
messages), the stored rows column by column, the audit entries and events, every refused
save and transition by its exact message, comments and evidence (issue 8 item 29).

Behaviour only, never internals: the save is being made faster on another branch, and
these tests must hold for any implementation. The database is built once per process
(tests/shared_db.py); each test's writes are rolled back (the service only flushes).
"""

from __future__ import annotations

import io
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from indicators.models import DataValue, Evidence, ReportingPeriod, SubmissionEvent, ValueComment
from indicators.services import submissions as S
from indicators.services.common import ValidationError
from leap_me.audit import AuditEntry
from leap_me.auth.models import User
from leap_me.db import utcnow
from stakeholders.models import Organisation, Province
from tests.shared_db import seeded_session


def _seed(session) -> None:
    from indicators import services
    from leap_me import seeding
    from tests.indicators.conftest import SEEDS, load_plan

    seeding.seed_all(session, SEEDS, only=seeding.BASE_STEPS)
    load_plan(session)
    for name, step in services.seed_steps():
        if name not in ("crosschecks", "submissions"):
            step(session, SEEDS)
    session.execute(
        sa.update(ReportingPeriod)
        .where(ReportingPeriod.code.in_(["2026Q4", "2026Q3", "2026"]))
        .values(status="open")
    )


@pytest.fixture(scope="module")
def _seeded_once(request):
    yield from seeded_session(request, "submissions", _seed)


@pytest.fixture
def s(_seeded_once):
    from flask import current_app

    with current_app.test_request_context():
        yield _seeded_once
    _seeded_once.rollback()


def _one(session, model, **where):
    return session.scalar(sa.select(model).filter_by(**where))


@pytest.fixture
def partner(s):
    return _one(s, User, username="partner")


@pytest.fixture
def reviewer(s):
    return _one(s, User, username="reviewer")


def _ind_id(session, code):
    from indicators import services

    return services.get_indicator(session, code).id


def _prov_id(session, code):
    return _one(session, Province, code=code).id


@pytest.fixture
def sub(s, partner):
    def _sub(org="AHTJP-SRP", period="2026Q4"):
        return S.get_or_create(
            s, _one(s, Organisation, code=org), _one(s, ReportingPeriod, code=period), partner
        )

    return _sub


@pytest.fixture
def cell(s):
    def _cell(code, prov="KH-17", disagg="", **raw):
        return S.CellInput(_ind_id(s, code), _prov_id(s, prov) if prov else None, disagg, **raw)

    return _cell


def _rows(session, submission):
    """The stored values of a submission: key → the columns a person sees."""
    session.expire_all()
    out = {}
    for v in session.scalars(
        sa.select(DataValue).where(
            DataValue.organisation_id == submission.organisation_id,
            DataValue.period_id == submission.period_id,
        )
    ):
        key = (v.indicator.code, v.province.code if v.province else None, v.disagg_key)
        out[key] = {
            "value": v.value,
            "numerator": v.numerator,
            "denominator": v.denominator,
            "text_value": v.text_value,
            "raw_value": v.raw_value,
            "raw_numerator": v.raw_numerator,
            "raw_denominator": v.raw_denominator,
            "error": v.error,
            "comment": v.comment,
            "explanation": v.explanation,
            "status": v.status,
            "submission_id": v.submission_id,
            "reopened": v.reopened,
        }
    return out


def row(**kw):
    base = {
        "value": None,
        "numerator": None,
        "denominator": None,
        "text_value": None,
        "raw_value": None,
        "raw_numerator": None,
        "raw_denominator": None,
        "error": None,
        "comment": "",
        "explanation": None,
        "status": "draft",
        "reopened": False,
    }
    return {**base, **kw}


def snap(value="", numerator="", denominator="", text=""):
    return {"value": value, "numerator": numerator, "denominator": denominator, "text": text}


def _save(s, submission, cells, user, **kw):
    kw.setdefault("expected_version", None)
    return S.save(s, submission, cells, user=user, **kw)


def _outcomes(result):
    return [
        (o.status, o.old, o.new, [e.code for e in o.errors], [w.code for w in o.warnings])
        for o in result.cells
    ]


# --- get_or_create ----------------------------------------------------------------------


def test_get_or_create_makes_one_draft_with_an_event(s, sub, partner):
    first = sub()
    assert (first.status, first.organisation.code, first.period.code) == (
        "draft",
        "AHTJP-SRP",
        "2026Q4",
    )
    assert sub() is first  # the same one again
    events = s.scalars(sa.select(SubmissionEvent).where(SubmissionEvent.submission_id == first.id))
    assert [(e.action, e.from_status, e.to_status, e.user_id) for e in events] == [
        ("created", None, "draft", partner.id)
    ]
    assert S.find(s, "AHTJP-SRP", "2026Q4") is first
    assert S.find(s, "AHTJP-SRP", "2026Q3") is None
    assert S.find(s, "AHTJP-PNP", "2026Q4") is None


def test_get_or_create_adopts_only_its_own_earlier_values(s, sub, partner):
    """Values typed before the workflow (no submission) become the new submission's: those
    of its organisation and period only, never another's or one that has a submission."""
    from indicators.models import IndicatorVersion

    ind = _ind_id(s, "AHTJP-01")
    version = s.scalar(sa.select(IndicatorVersion.id).where(IndicatorVersion.indicator_id == ind))
    orgs = {c: _one(s, Organisation, code=c) for c in ("AHTJP-SRP", "AHTJP-PNP")}
    periods = {c: _one(s, ReportingPeriod, code=c) for c in ("2026Q4", "2026Q3")}
    other = sub("AHTJP-PNP", "2026Q4")  # PNP's own submission, made first
    rows = [
        ("AHTJP-SRP", "2026Q4", "KH-17", None),  # adopted
        ("AHTJP-SRP", "2026Q3", "KH-17", None),  # another period
        ("AHTJP-PNP", "2026Q4", "KH-12", None),  # another organisation
        ("AHTJP-SRP", "2026Q4", "KH-17", other.id),  # already someone's (made up)
    ]
    PARTS = ["other", "sexual_abuse", "other", "labour_trafficking"]  # noqa: N806
    dv = DataValue.__table__
    for i, (org, period, prov, sub_id) in enumerate(rows):
        s.execute(
            sa.insert(dv).values(
                indicator_id=ind,
                version_id=version,
                period_id=periods[period].id,
                organisation_id=orgs[org].id,
                province_id=_prov_id(s, prov),
                disagg_key="victim_type:" + PARTS[i],
                value=i + 1,
                status="draft",
                comment="",
                reopened=False,
                submission_id=sub_id,
                created_dt=utcnow(),
                updated_dt=utcnow(),
            )
        )
    srp = sub()
    assert srp.id != other.id and (srp.organisation.code, srp.period.code) == (
        "AHTJP-SRP",
        "2026Q4",
    )
    got = sorted(
        (r.value, r.submission_id)
        for r in s.execute(sa.select(dv.c.value, dv.c.submission_id).order_by(dv.c.id))
    )
    assert got == [(1, srp.id), (2, None), (3, None), (4, other.id)]
    # and a submission for another period is another submission
    q3 = sub("AHTJP-SRP", "2026Q3")
    assert q3.id not in (srp.id, other.id) and q3.period.code == "2026Q3"
    assert s.scalar(sa.select(dv.c.submission_id).where(dv.c.value == 2)) == q3.id
    assert q3.status == "draft"


# --- save: new values, each measure ------------------------------------------------------


def test_save_new_values_of_each_kind(s, sub, cell, partner):
    srp = sub()
    result = _save(
        s,
        srp,
        [
            cell("AHTJP-01", value=" 12 ", comment="  from the register  "),
            cell("AHTJP-01", disagg="victim_type:other", value="0"),
            cell("LEAP-5.1", numerator="3", denominator="8"),
            cell("LEAP-3.1", numerator="5", denominator="4"),
        ],
        partner,
    )
    assert result.counts == {"new": 4, "changed": 0, "unchanged": 0, "refused": 0, "invalid": 0}
    assert result.source == "grid" and result.dry_run is False and not result.has_errors
    # the total (12) is not the sum of its one part given (0): a warning, not an error
    assert _outcomes(result)[:3] == [
        ("new", None, snap("12"), [], ["total_parts"]),
        ("new", None, snap("0"), [], []),
        ("new", None, snap("37.5", "3", "8"), [], []),
    ]
    assert result.cells[3].warnings[0].code == "numerator_gt_denominator"
    sid = srp.id
    assert _rows(s, srp) == {
        ("AHTJP-01", "KH-17", ""): row(value=D(12), comment="from the register", submission_id=sid),
        ("AHTJP-01", "KH-17", "victim_type:other"): row(value=D(0), submission_id=sid),
        ("LEAP-5.1", "KH-17", ""): row(
            value=D("37.5"), numerator=D(3), denominator=D(8), submission_id=sid
        ),
        ("LEAP-3.1", "KH-17", ""): row(
            value=D("1.25"), numerator=D(5), denominator=D(4), submission_id=sid
        ),
    }
    assert result.version == srp.version
    assert set(result.by_key) == {c.key for c in result.cells}


def test_save_yes_no_and_text(s, sub, cell, partner):
    moi = sub("MOI", "2026")
    result = _save(
        s,
        moi,
        [
            cell("LEAP-1.1", prov=None, value="yes"),
            cell("LEAP-4.1", prov=None, text="  The decree was signed in May.  "),
        ],
        partner,
    )
    assert _outcomes(result) == [
        ("new", None, snap("1"), [], []),
        ("new", None, snap(text="The decree was signed in May."), [], []),
    ]
    rows = _rows(s, moi)
    assert rows[("LEAP-1.1", None, "")]["value"] == 1
    assert rows[("LEAP-4.1", None, "")]["text_value"] == "The decree was signed in May."
    # saving the same again changes nothing
    again = _save(
        s,
        moi,
        [
            cell("LEAP-1.1", prov=None, value="1"),
            cell("LEAP-4.1", prov=None, text="The decree was signed in May."),
        ],
        partner,
    )
    assert [o.status for o in again.cells] == ["unchanged", "unchanged"]
    # a "no" is a value, 0
    no = _save(s, moi, [cell("LEAP-1.1", prov=None, value="no")], partner)
    assert _outcomes(no) == [("changed", snap("1"), snap("0"), [], ["red"])]  # its target is 1
    assert _rows(s, moi)[("LEAP-1.1", None, "")]["value"] == 0
    # a text answer too long is kept as typed (its first 100 characters) with the error
    long = _save(s, moi, [cell("LEAP-4.1", prov=None, text="x" * 4001)], partner)
    assert long.cells[0].status == "invalid" and long.cells[0].errors[0].code == "too_long"
    stored = _rows(s, moi)[("LEAP-4.1", None, "")]
    assert stored["text_value"] is None and stored["raw_value"] == "x" * 100
    assert stored["error"] == "The answer is longer than 4000 characters."


# --- save: invalid cells are kept as typed -------------------------------------------------


def test_invalid_cells_keep_what_was_typed(s, sub, cell, partner):
    srp = sub()
    result = _save(
        s,
        srp,
        [
            cell("AHTJP-01", value="1O"),
            cell("LEAP-5.1", numerator="9", denominator="8"),
            cell("LEAP-3.1", numerator="5", denominator="0"),
            cell("AHTJP-03", value="-2"),
        ],
        partner,
    )
    assert result.counts == {"new": 0, "changed": 0, "unchanged": 0, "refused": 0, "invalid": 4}
    assert result.has_errors
    assert [(o.status, o.old, o.new, [e.code for e in o.errors]) for o in result.cells] == [
        ("invalid", None, snap("1O"), ["not_a_number"]),
        ("invalid", None, snap("", "9", "8"), ["percentage_range"]),
        ("invalid", None, snap("", "5", "0"), ["zero_denominator"]),
        ("invalid", None, snap("-2"), ["range"]),
    ]
    rows = _rows(s, srp)
    assert rows[("AHTJP-01", "KH-17", "")] == row(
        raw_value="1O",
        error="“1O” is not a number. Type digits, e.g. 125 or 12.5.",
        submission_id=srp.id,
    )
    assert rows[("LEAP-5.1", "KH-17", "")] == row(
        raw_numerator="9",
        raw_denominator="8",
        error="The numerator (9) is larger than the denominator (8): a percentage cannot be "
        "over 100.",
        submission_id=srp.id,
    )
    assert rows[("AHTJP-03", "KH-17", "")]["error"] == "A value cannot be negative."
    # correcting one: changed, the error and the raw text gone
    fixed = _save(s, srp, [cell("AHTJP-01", value="10")], partner)
    assert _outcomes(fixed) == [("changed", snap("1O"), snap("10"), [], [])]
    assert _rows(s, srp)[("AHTJP-01", "KH-17", "")] == row(value=D(10), submission_id=srp.id)
    # typing the same invalid text again: still invalid, nothing new written
    again = _save(s, srp, [cell("AHTJP-03", value="-2")], partner)
    assert [(o.status, [e.code for e in o.errors]) for o in again.cells] == [("invalid", ["range"])]


def test_raw_text_is_cut_at_100_characters(s, sub, cell, partner):
    srp = sub()
    _save(
        s,
        srp,
        [
            cell("AHTJP-01", value="a" * 150),
            cell("LEAP-3.1", numerator="b" * 150, denominator="c" * 120),
        ],
        partner,
    )
    rows = _rows(s, srp)
    assert rows[("AHTJP-01", "KH-17", "")]["raw_value"] == "a" * 100
    assert rows[("LEAP-3.1", "KH-17", "")]["raw_numerator"] == "b" * 100
    assert rows[("LEAP-3.1", "KH-17", "")]["raw_denominator"] == "c" * 100
    assert len(rows[("LEAP-3.1", "KH-17", "")]["error"]) <= 500


# --- save: rows not owed, duplicates, empty cells, clearing -----------------------------------


def test_rows_not_owed_are_refused(s, sub, cell, partner):
    srp = sub()
    result = _save(
        s,
        srp,
        [
            cell("AHTJP-01", prov="KH-12", value="3"),  # SRP does not cover Phnom Penh
            cell("AHTJP-01", disagg="sex:F", value="3"),  # not one of its options
            cell("LEAP-G.2", value="1"),  # MoJ's indicator
        ],
        partner,
    )
    assert [(o.status, o.old, o.new) for o in result.cells] == [("refused", None, None)] * 3
    assert all(
        o.errors[0].as_dict()
        == {
            "code": "not_owed",
            "message": "This row is not one your organisation reports for this period.",
            "field": "row",
            "severity": "error",
            "detail": {},
        }
        for o in result.cells
    )
    assert _rows(s, srp) == {}
    assert result.counts["refused"] == 3


def test_a_cell_given_twice_counts_once(s, sub, cell, partner):
    srp = sub()
    result = _save(s, srp, [cell("AHTJP-01", value="4"), cell("AHTJP-01", value="5")], partner)
    assert [o.status for o in result.cells] == ["new"]
    assert _rows(s, srp)[("AHTJP-01", "KH-17", "")]["value"] == 4


def test_empty_cells_and_clearing(s, sub, cell, partner):
    srp = sub()
    version = srp.version
    result = _save(s, srp, [cell("AHTJP-01", value="  ")], partner)
    assert _outcomes(result) == [("unchanged", None, None, [], [])]
    assert _rows(s, srp) == {} and srp.version == version  # nothing written
    # a comment alone is kept on an empty row
    result = _save(s, srp, [cell("AHTJP-03", comment="no register this quarter")], partner)
    assert result.cells[0].status == "new"
    assert _rows(s, srp)[("AHTJP-03", "KH-17", "")] == row(
        comment="no register this quarter", submission_id=srp.id
    )
    # so is an explanation alone
    result = _save(s, srp, [cell("AHTJP-04", explanation="see the note")], partner)
    assert _rows(s, srp)[("AHTJP-04", "KH-17", "")]["explanation"] == "see the note"
    # clearing a value deletes the row
    _save(s, srp, [cell("AHTJP-01", value="7")], partner)
    result = _save(s, srp, [cell("AHTJP-01", value="")], partner)
    assert _outcomes(result) == [("changed", snap("7"), None, [], [])]
    assert ("AHTJP-01", "KH-17", "") not in _rows(s, srp)
    # clearing a value that has a comment keeps the row with its comment
    _save(s, srp, [cell("AHTJP-09", value="2", comment="kept")], partner)
    result = _save(s, srp, [cell("AHTJP-09", value="")], partner)
    assert result.cells[0].status == "changed"
    assert _rows(s, srp)[("AHTJP-09", "KH-17", "")] == row(comment="kept", submission_id=srp.id)


def test_comments_and_explanations_kept_replaced_or_cleared(s, sub, cell, partner):
    srp = sub()
    _save(s, srp, [cell("AHTJP-01", value="5", comment="first", explanation="why")], partner)
    # None leaves them as stored
    r = _save(s, srp, [cell("AHTJP-01", value="5")], partner)
    assert r.cells[0].status == "unchanged"
    got = _rows(s, srp)[("AHTJP-01", "KH-17", "")]
    assert (got["comment"], got["explanation"]) == ("first", "why")
    # a new comment is a change
    r = _save(s, srp, [cell("AHTJP-01", value="5", comment=" second ")], partner)
    assert r.cells[0].status == "changed"
    assert _rows(s, srp)[("AHTJP-01", "KH-17", "")]["comment"] == "second"
    # "" clears; an explanation of spaces is no explanation
    r = _save(s, srp, [cell("AHTJP-01", value="5", comment="", explanation="   ")], partner)
    got = _rows(s, srp)[("AHTJP-01", "KH-17", "")]
    assert (got["comment"], got["explanation"]) == ("", None)
    # both are cut at 4000 characters
    _save(
        s, srp, [cell("AHTJP-01", value="5", comment="c" * 4100, explanation="e" * 4100)], partner
    )
    got = _rows(s, srp)[("AHTJP-01", "KH-17", "")]
    assert (got["comment"], got["explanation"]) == ("c" * 4000, "e" * 4000)


# --- save: changes, audit and events -------------------------------------------------------


def test_changes_write_the_audit_trail_and_one_event(s, sub, cell, partner):
    srp = sub()
    first = _save(s, srp, [cell("AHTJP-01", value="12")], partner, source="workbook")
    value_id = s.scalar(sa.select(DataValue.id).where(DataValue.submission_id == srp.id))
    second = _save(s, srp, [cell("AHTJP-01", value="14")], partner, expected_version=first.version)
    assert second.version != first.version
    entries = s.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.object_type == "data_value", AuditEntry.object_id == str(value_id))
        .order_by(AuditEntry.id)
    ).all()
    assert [(e.action, e.field, e.parent_type, e.parent_id) for e in entries] == [
        ("create", None, "submission", str(srp.id)),
        ("update", "value", "submission", str(srp.id)),
    ]
    assert entries[0].new_value == '{"value": "12", "numerator": "", "denominator": "", "text": ""}'
    assert entries[0].object_label == f"{_ind_id(s, 'AHTJP-01')} {_prov_id(s, 'KH-17')}"
    assert entries[1].old_value.startswith("12") and entries[1].new_value == "14"
    events = s.scalars(
        sa.select(SubmissionEvent)
        .where(SubmissionEvent.submission_id == srp.id, SubmissionEvent.action == "saved")
        .order_by(SubmissionEvent.id)
    ).all()
    assert [e.detail for e in events] == [
        {"source": "workbook", "new": 1, "changed": 0, "unchanged": 0, "refused": 0, "invalid": 0},
        {"source": "grid", "new": 0, "changed": 1, "unchanged": 0, "refused": 0, "invalid": 0},
    ]
    assert all(e.user_id == partner.id for e in events)
    # deleting writes a delete entry with what was there
    _save(s, srp, [cell("AHTJP-01", value="")], partner)
    deleted = s.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.object_type == "data_value", AuditEntry.action == "delete"
        )
    ).all()
    assert [(e.object_id, e.old_value) for e in deleted] == [
        (str(value_id), '{"value": "14", "numerator": "", "denominator": "", "text": ""}')
    ]
    # nothing changed: no event, same version
    version = srp.version
    n = len(events)
    _save(s, srp, [cell("AHTJP-03", value="")], partner)
    assert srp.version == version
    assert (
        s.scalar(
            sa.select(sa.func.count()).where(
                SubmissionEvent.submission_id == srp.id, SubmissionEvent.action == "saved"
            )
        )
        == n + 1  # the delete above was one
    )


def test_create_entries_hold_each_new_rows_snapshot_and_label(s, sub, cell, partner):
    """The database writes the create entries of a save (INSERT … SELECT): each must say
    what the cell's outcome says, character for character, whatever the row holds."""
    import json

    srp, moi = sub(), sub("MOI", "2026")
    cells = [
        cell("AHTJP-01", value="12"),
        cell("AHTJP-01", disagg="victim_type:sexual_abuse", value="0"),
        cell("AHTJP-01", disagg="victim_type:labour_trafficking", value="1000000"),
        cell("AHTJP-01", disagg="victim_type:other", value="1O"),
        cell("AHTJP-03", value="-2"),
        cell("AHTJP-04", value='a "quote" \\ and\nline\tតួលេខ'),
        cell("LEAP-5.1", numerator="2", denominator="3"),
        cell("AHTJP-02", value=" 7 "),
        cell("LEAP-3.1", numerator="5", denominator="0"),
    ]
    results = [
        _save(s, srp, cells, partner),
        _save(
            s,
            moi,
            [
                cell("LEAP-1.1", prov=None, value="yes"),
                cell("LEAP-4.1", prov=None, text='Signed "in May"\nព្រះរាជក្រឹត្យ \x01 😀'),
            ],
            partner,
        ),
    ]
    checked = 0
    for result in results:
        for o in result.cells:
            assert o.status in ("new", "invalid")
            ind, prov, key = o.key
            value_id = s.scalar(
                sa.select(DataValue.id).where(
                    DataValue.submission_id == result.submission.id,
                    DataValue.indicator_id == ind,
                    DataValue.province_id.is_(None)
                    if prov is None
                    else DataValue.province_id == prov,
                    DataValue.disagg_key == key,
                )
            )
            entry = s.scalar(
                sa.select(AuditEntry).where(
                    AuditEntry.object_type == "data_value",
                    AuditEntry.object_id == str(value_id),
                )
            )
            assert (entry.action, entry.field, entry.old_value) == ("create", None, None)
            assert entry.new_value == json.dumps(o.new, ensure_ascii=False)
            assert entry.object_label == f"{ind} {prov or 'KH'} {key}".strip()
            assert (entry.parent_type, entry.parent_id) == ("submission", str(result.submission.id))
            assert (entry.user_id, entry.actor) == (None, "system")  # no one signed in here
            checked += 1
    assert checked == 11
    # the 2/3 percentage, the million, the quotes, the Khmer: as plain() and json write them
    news = {o.key: o.new for r in results for o in r.cells}
    assert news[(_ind_id(s, "LEAP-5.1"), _prov_id(s, "KH-17"), "")]["value"] == "66.666667"
    assert (
        news[(_ind_id(s, "AHTJP-01"), _prov_id(s, "KH-17"), "victim_type:labour_trafficking")][
            "value"
        ]
        == "1000000"
    )
    # one entry a new row, none for another submission's rows
    assert (
        s.scalar(
            sa.select(sa.func.count()).where(
                AuditEntry.object_type == "data_value", AuditEntry.action == "create"
            )
        )
        == 11
    )


def test_update_and_delete_entries_name_the_row(s, sub, cell, partner):
    srp, moi = sub(), sub("MOI", "2026")
    part = cell("AHTJP-01", disagg="victim_type:other", value="1")
    national = cell("LEAP-1.1", prov=None, value="yes")
    first = _save(s, srp, [part], partner)
    _save(s, moi, [national], partner)
    _save(s, srp, [cell("AHTJP-01", disagg="victim_type:other", value="2")], partner,
          expected_version=first.version)  # fmt: skip
    _save(s, srp, [cell("AHTJP-01", disagg="victim_type:other", value="")], partner)
    _save(s, moi, [cell("LEAP-1.1", prov=None, value="no")], partner)
    entries = s.execute(
        sa.select(AuditEntry.action, AuditEntry.field, AuditEntry.object_label)
        .where(AuditEntry.object_type == "data_value")
        .order_by(AuditEntry.id)
    ).all()
    ind, ahtjp, prov = _ind_id(s, "LEAP-1.1"), _ind_id(s, "AHTJP-01"), _prov_id(s, "KH-17")
    assert [tuple(e) for e in entries] == [
        ("create", None, f"{ahtjp} {prov} victim_type:other"),
        ("create", None, f"{ind} KH"),
        ("update", "value", f"{ahtjp} {prov} victim_type:other"),
        ("delete", None, f"{ahtjp} {prov} victim_type:other"),
        ("update", "value", f"{ind} KH"),
    ]


def test_problems_name_each_row_and_what_stops_it(s, sub, cell, partner):
    srp = sub()
    assert S.problems(s, srp) == [
        {
            "code": "empty",
            "message": "Type at least one value before you submit.",
            "severity": "error",
        }
    ]
    _save(
        s,
        srp,
        [
            cell("AHTJP-01", value="12"),  # its part below does not add up: a warning
            cell("AHTJP-01", disagg="victim_type:other", value="1"),
            cell("AHTJP-03", value="abc"),
        ],
        partner,
    )
    row = {"province": "KH-17", "disagg": "", "severity": "error"}
    not_a_number = {
        **row,
        "indicator": "AHTJP-03",
        "code": "not_a_number",
        "message": "“abc” is not a number. Type digits, e.g. 125 or 12.5.",
    }
    found = S.problems(s, srp)
    flags = found[0].pop("flags", None)
    assert flags == ["explanation_missing", "total_parts"]  # sorted by kind
    assert found == [
        {
            **row,
            "indicator": "AHTJP-01",
            "code": "explanation_missing",
            "message": "This value has a warning: explain it before you submit.",
        },
        not_a_number,
    ]
    # explained, the warning no longer stops it; the error still does
    _save(
        s,
        srp,
        [cell("AHTJP-01", value="12", explanation="other cases not split yet")],
        partner,
    )
    assert S.problems(s, srp) == [not_a_number]
    # a national row has no province; nothing valid typed is "empty" too
    moi = sub("MOI", "2026")
    _save(s, moi, [cell("LEAP-1.1", prov=None, value="maybe")], partner)
    assert S.problems(s, moi) == [
        {
            "indicator": "LEAP-1.1",
            "province": None,
            "disagg": "",
            "code": "type",
            "message": "Answer yes (1) or no (0).",
            "severity": "error",
        },
        {
            "code": "empty",
            "message": "Type at least one value before you submit.",
            "severity": "error",
        },
    ]


def test_findings_of_new_values_name_their_rows(s, sub, cell, partner):
    """A warning on a value written in this very save is a finding about that row: the
    save finds the new rows' ids (its own inserts), and only those."""
    from indicators.models import Finding

    srp = sub()
    _save(s, srp, [cell("AHTJP-03", value="4")], partner)  # an earlier row, no warning
    result = _save(
        s,
        srp,
        [
            cell("AHTJP-01", value="12"),  # its one part given does not add up: a warning
            cell("AHTJP-01", disagg="victim_type:other", value="1"),
        ],
        partner,
    )
    assert [w.code for w in result.cells[0].warnings] == ["total_parts"]
    ids = {
        (r.indicator_id, r.disagg_key): r.id
        for r in s.execute(
            sa.select(DataValue.id, DataValue.indicator_id, DataValue.disagg_key).where(
                DataValue.submission_id == srp.id
            )
        )
    }
    findings = s.execute(
        sa.select(Finding.kind, Finding.value_id, Finding.disagg_key, Finding.submission_id).where(
            Finding.submission_id == srp.id, Finding.active
        )
    ).all()
    total = ids[(_ind_id(s, "AHTJP-01"), "")]
    assert sorted(tuple(f) for f in findings) == [
        ("explanation_missing", total, "", srp.id),
        ("total_parts", total, "", srp.id),
    ]


def test_the_outcomes_by_key_and_the_identity_map(s, sub, cell, partner):
    srp = sub()
    _save(s, srp, [cell("AHTJP-01", value="12"), cell("AHTJP-03", value="5")], partner)
    loaded = s.scalars(sa.select(DataValue).where(DataValue.submission_id == srp.id)).all()
    assert sorted(v.value for v in loaded) == [5, 12]  # held by the session now
    held = next(v for v in loaded if v.value == 12)
    held_id = held.id
    cells = [
        cell("AHTJP-01", value="13"),  # changed
        cell("AHTJP-03", value=""),  # cleared
        cell("AHTJP-04", value="2"),  # new
        cell("AHTJP-02", value=""),  # empty, nothing stored
        cell("AHTJP-01", prov="KH-12", value="1"),  # not owed
        cell("LEAP-5.1", numerator="9", denominator="8"),  # invalid
    ]
    result = _save(s, srp, cells, partner)
    assert [result.by_key[c.key].status for c in cells] == [
        "changed",
        "changed",
        "new",
        "unchanged",
        "refused",
        "invalid",
    ]
    assert all(result.by_key[c.key].key == c.key for c in cells)
    assert [o.key for o in result.cells] == [c.key for c in cells]
    # what the session held is read again, not shown stale
    still = s.scalar(sa.select(DataValue).where(DataValue.id == held_id))
    assert still is held and still.value == 13
    unchanged_again = _save(s, srp, [cell("AHTJP-01", value="13")], partner)
    assert unchanged_again.by_key[cell("AHTJP-01").key].status == "unchanged"
    assert unchanged_again.by_key[cell("AHTJP-01").key].key == cell("AHTJP-01").key


def test_only_if_clean_writes_all_or_nothing(s, sub, cell, partner):
    srp = sub()
    version = srp.version
    bad = _save(
        s,
        srp,
        [cell("AHTJP-01", value="12"), cell("AHTJP-03", value="abc")],
        partner,
        only_if_clean=True,
    )
    assert bad.dry_run is True and bad.version == version == srp.version
    assert [o.status for o in bad.cells] == ["new", "invalid"]
    assert _rows(s, srp) == {}
    refused = _save(
        s,
        srp,
        [cell("AHTJP-01", value="12"), cell("AHTJP-01", prov="KH-12", value="1")],
        partner,
        only_if_clean=True,
    )
    assert refused.dry_run is True and _rows(s, srp) == {}
    good = _save(s, srp, [cell("AHTJP-01", value="12")], partner, only_if_clean=True)
    assert good.dry_run is False and good.version == srp.version != version
    assert _rows(s, srp)[("AHTJP-01", "KH-17", "")]["value"] == 12
    # a dry run asked for stays one, clean or not
    dry = _save(s, srp, [cell("AHTJP-03", value="3")], partner, only_if_clean=True, dry_run=True)
    assert dry.dry_run is True and ("AHTJP-03", "KH-17", "") not in _rows(s, srp)


def test_a_cell_checked_before_is_not_checked_again(s, sub, cell, partner):
    from indicators.services import validation

    srp = sub()
    typed = cell("AHTJP-01", value="12")
    fields, errors = validation.cell_checker("number")("12", None, None, None, "en")
    # the caller's check is used as it is (here: said to be 7)
    pre = cell("AHTJP-01", value="12")
    pre.checked = ("number", {**fields, "value": D(7)}, list(errors))
    result = _save(s, srp, [pre], partner)
    assert result.cells[0].new == snap("7")
    assert _rows(s, srp)[("AHTJP-01", "KH-17", "")]["value"] == 7
    # with errors, they are the cell's errors
    failed = cell("AHTJP-03", value="x")
    msg = validation.Message("not_a_number", "checked before", "value")
    failed.checked = ("number", None, [msg])
    out = _save(s, srp, [failed], partner)
    assert [(e.code, e.text) for e in out.cells[0].errors] == [("not_a_number", "checked before")]
    assert _rows(s, srp)[("AHTJP-03", "KH-17", "")]["error"] == "checked before"
    # checked as another measure: checked again here
    stale = cell("AHTJP-04", value="9")
    stale.checked = ("percentage", {**fields, "value": D(1)}, [])
    assert _save(s, srp, [stale], partner).cells[0].new == snap("9")
    assert typed.checked is None


def test_audit_label_of_a_part(s, sub, cell, partner):
    srp = sub()
    _save(s, srp, [cell("AHTJP-01", disagg="victim_type:other", value="1")], partner)
    entry = s.scalar(
        sa.select(AuditEntry).where(
            AuditEntry.object_type == "data_value", AuditEntry.action == "create"
        )
    )
    assert entry.object_label == (
        f"{_ind_id(s, 'AHTJP-01')} {_prov_id(s, 'KH-17')} victim_type:other"
    )


def test_dry_run_writes_nothing(s, sub, cell, partner):
    srp = sub()
    version = srp.version
    result = _save(s, srp, [cell("AHTJP-01", value="12")], partner, dry_run=True)
    assert result.dry_run is True and result.version == version
    assert _outcomes(result) == [("new", None, snap("12"), [], [])]
    assert _rows(s, srp) == {}
    assert srp.version == version


def test_same_number_written_differently_is_unchanged(s, sub, cell, partner):
    srp = sub()
    _save(
        s,
        srp,
        [cell("AHTJP-01", value="12"), cell("LEAP-5.1", numerator="3", denominator="8")],
        partner,
    )
    r = _save(
        s,
        srp,
        [cell("AHTJP-01", value="12.0"), cell("LEAP-5.1", numerator="3.00", denominator="8")],
        partner,
    )
    assert [o.status for o in r.cells] == ["unchanged", "unchanged"]
    r = _save(s, srp, [cell("AHTJP-01", value="12.5")], partner)
    assert _outcomes(r) == [("changed", snap("12"), snap("12.5"), [], [])]


# --- save: refusals and conflicts ------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ("planned", "Period 2026Q4 is not open yet: it takes no values."),
        (
            "closed",
            "Period 2026Q4 is closed: it takes no more values unless a planner opens it again.",
        ),
        ("locked", "Period 2026Q4 is locked: it takes no new values."),
    ],
)
def test_only_an_open_period_takes_values(s, sub, cell, partner, status, message):
    srp = sub()
    srp.period.status = status
    with pytest.raises(S.SaveRefused) as info:
        _save(s, srp, [cell("AHTJP-01", value="12")], partner)
    assert info.value.message == message and str(info.value) == message
    assert _rows(s, srp) == {}


def test_conflict_lists_the_cells_that_differ(s, sub, cell, partner):
    srp = sub()
    start = srp.version
    _save(
        s,
        srp,
        [cell("AHTJP-01", value="12"), cell("LEAP-5.1", numerator="3", denominator="8")],
        partner,
        expected_version=start,
    )
    now = srp.version
    with pytest.raises(S.ConflictError) as info:
        _save(
            s,
            srp,
            [
                cell("AHTJP-01", value="15"),  # differs
                cell("LEAP-5.1", numerator="3", denominator="8"),  # the same
                cell("AHTJP-03", value="2"),  # differs from nothing
                cell("AHTJP-04", value=""),  # nothing and nothing: the same
            ],
            partner,
            expected_version=start,
        )
    err = info.value
    assert (err.mine, err.theirs) == (start, now)
    assert err.cells == [
        {
            "key": cell("AHTJP-01").key,
            "mine": {"value": "15", "numerator": "", "denominator": "", "text": ""},
            "theirs": snap("12"),
        },
        {
            "key": cell("AHTJP-03").key,
            "mine": {"value": "2", "numerator": "", "denominator": "", "text": ""},
            "theirs": {},
        },
    ]
    assert str(err) == err.message
    assert err.message == (
        f"Someone else saved this submission while you were editing it (version {now}; you "
        f"started from {start}). Nothing was saved: compare the 2 cell(s) below and save again."
    )
    assert _rows(s, srp)[("AHTJP-01", "KH-17", "")]["value"] == 12
    # the right version saves
    assert (
        _save(s, srp, [cell("AHTJP-01", value="15")], partner, expected_version=now).cells[0].status
        == "changed"
    )


def test_a_submitted_submission_takes_no_values(s, sub, cell, partner):
    srp = sub()
    _save(s, srp, [cell("AHTJP-01", value="12")], partner)
    S.submit(s, srp, user=partner)
    with pytest.raises(S.SaveRefused) as info:
        _save(s, srp, [cell("AHTJP-01", value="13")], partner)
    assert info.value.message == (
        "The submission is with the reviewer: it can change again only if it is returned."
    )


def test_approved_values_change_only_when_reopened(s, sub, cell, partner, reviewer):
    srp = sub()
    _save(s, srp, [cell("AHTJP-01", value="12"), cell("AHTJP-03", value="4")], partner)
    S.submit(s, srp, user=partner)
    S.approve(s, srp, user=reviewer)
    with pytest.raises(S.SaveRefused) as info:
        _save(s, srp, [cell("AHTJP-01", value="13")], partner)
    assert info.value.message == (
        "The submission is approved: its values change only after a reviewer re-opens them."
    )
    value = s.scalar(
        sa.select(DataValue).where(DataValue.submission_id == srp.id, DataValue.value == 12)
    )
    S.reopen_value(s, value, user=reviewer, reason="Register says 13")
    result = _save(
        s,
        srp,
        [
            cell("AHTJP-01", value="13"),  # re-opened: changes
            cell("AHTJP-03", value="5"),  # approved: refused
            cell("AHTJP-04", value="1"),  # not re-opened (not there): refused
            cell("AHTJP-09", value=""),  # nothing typed: unchanged
        ],
        partner,
    )
    assert [(o.status, [e.code for e in o.errors]) for o in result.cells] == [
        ("changed", []),
        ("refused", ["approved"]),
        ("refused", ["approved"]),
        ("unchanged", []),
    ]
    assert result.cells[1].errors[0].text == (
        "This value is approved; it can change only after a reviewer re-opens it with a reason."
    )
    assert result.cells[1].errors[0].field == "value"
    assert result.cells[2].errors[0].text == (
        "The submission is approved: only the values a reviewer re-opened can change."
    )
    assert result.cells[1].old == snap("4") and result.cells[1].new is None
    # the approved value typed again is not a change
    same = _save(s, srp, [cell("AHTJP-03", value="4")], partner)
    assert _outcomes(same) == [("unchanged", snap("4"), snap("4"), [], [])]
    rows = _rows(s, srp)
    assert rows[("AHTJP-01", "KH-17", "")]["value"] == 13
    assert rows[("AHTJP-01", "KH-17", "")]["status"] == "draft"
    assert rows[("AHTJP-03", "KH-17", "")]["status"] == "approved"
    assert ("AHTJP-04", "KH-17", "") not in rows
    # the changes since approval
    diff = S.changes_since_approval(s, srp)
    assert [
        (d["indicator"], d["province"], d["disagg"], d["before"], d["now"], d["reopened"])
        for d in diff
    ] == [("AHTJP-01", "KH-17", "", snap("12"), snap("13"), True)]
    # approving again: the re-opened value is approved, the event lists the change
    srp.decided_at, srp.decided_by_id = None, None
    reapproved_after = utcnow().replace(tzinfo=None)
    S.approve(s, srp, user=reviewer)
    rows = _rows(s, srp)
    assert rows[("AHTJP-01", "KH-17", "")]["status"] == "approved"
    assert rows[("AHTJP-01", "KH-17", "")]["reopened"] is False
    event = s.scalar(
        sa.select(SubmissionEvent).where(
            SubmissionEvent.submission_id == srp.id, SubmissionEvent.action == "value_approved"
        )
    )
    assert (event.from_status, event.to_status, event.user_id) == (
        "approved",
        "approved",
        reviewer.id,
    )
    assert [c["indicator"] for c in event.detail["changes"]] == ["AHTJP-01"]
    assert srp.decided_by_id == reviewer.id
    assert srp.decided_at.replace(tzinfo=None) >= reapproved_after
    assert _approved_notes(s, srp)[-1] == {"values": 1}
    with pytest.raises(S.TransitionError) as info:
        S.approve(s, srp, user=reviewer)
    assert info.value.message == "The submission is already approved."


# --- transitions ------------------------------------------------------------------------


def _events(s, submission):
    return [
        (e.action, e.from_status, e.to_status, e.reason)
        for e in s.scalars(
            sa.select(SubmissionEvent)
            .where(SubmissionEvent.submission_id == submission.id)
            .order_by(SubmissionEvent.id)
        )
    ]


def _statuses(s, submission):
    s.expire_all()
    return sorted(
        s.scalars(sa.select(DataValue.status).where(DataValue.submission_id == submission.id))
    )


def _approved_notes(session, submission) -> list:
    """The detail of each "approved" notification of the submission, oldest first."""
    from indicators.models import Notification

    return [
        n.detail
        for n in session.scalars(
            sa.select(Notification)
            .where(Notification.submission_id == submission.id, Notification.kind == "approved")
            .order_by(Notification.id)
        )
    ]


def test_submit_return_approve_reopen(s, sub, cell, partner, reviewer):
    srp = sub()
    _save(s, srp, [cell("AHTJP-01", value="12"), cell("AHTJP-03", value="5")], partner)
    S.submit(s, srp, user=partner)
    assert (srp.status, srp.submitted_by_id) == ("submitted", partner.id)
    assert srp.submitted_at is not None
    assert _statuses(s, srp) == ["submitted", "submitted"]
    stored = s.scalars(sa.select(DataValue).where(DataValue.submission_id == srp.id)).all()
    assert [v.approved_value for v in stored] == [None, None]  # no snapshot before approval
    S.return_submission(s, srp, user=reviewer, reason="  Check AHTJP-03  ")
    assert (srp.status, srp.return_reason, srp.decided_by_id) == (
        "returned",
        "Check AHTJP-03",
        reviewer.id,
    )
    assert _statuses(s, srp) == ["draft", "draft"]
    S.submit(s, srp, user=partner)
    srp.decided_at = None
    approved_after = utcnow().replace(tzinfo=None)
    S.approve(s, srp, user=reviewer)
    assert (srp.status, srp.return_reason, srp.decided_by_id) == ("approved", None, reviewer.id)
    assert srp.decided_at.replace(tzinfo=None) >= approved_after
    assert _approved_notes(s, srp) == [{}]  # the partner's reporter hears it once
    assert _statuses(s, srp) == ["approved", "approved"]
    approved = s.scalars(sa.select(DataValue).where(DataValue.submission_id == srp.id)).all()
    assert sorted(v.approved_value["value"] for v in approved) == ["12", "5"]
    S.reopen(s, srp, user=reviewer, reason="Whole quarter")
    assert (srp.status, srp.return_reason) == ("returned", "Whole quarter")
    assert _statuses(s, srp) == ["draft", "draft"]
    users = [
        e.user_id
        for e in s.scalars(
            sa.select(SubmissionEvent)
            .where(SubmissionEvent.submission_id == srp.id)
            .order_by(SubmissionEvent.id)
        )
    ]
    assert users == [
        partner.id,
        partner.id,
        partner.id,
        reviewer.id,
        partner.id,
        reviewer.id,
        reviewer.id,
    ]
    assert _events(s, srp) == [
        ("created", None, "draft", None),
        ("saved", None, None, None),
        ("submitted", "draft", "submitted", None),
        ("returned", "submitted", "returned", "Check AHTJP-03"),
        ("submitted", "returned", "submitted", None),
        ("approved", "submitted", "approved", None),
        ("reopened", "approved", "returned", "Whole quarter"),
    ]
    submitted = s.scalars(
        sa.select(SubmissionEvent).where(
            SubmissionEvent.submission_id == srp.id, SubmissionEvent.action == "submitted"
        )
    ).all()
    assert [e.detail for e in submitted] == [{"late": False}, {"late": False}]
    # each value's status change is in the audit trail with the reason
    reasons = {
        (e.old_value, e.new_value, e.reason)
        for e in s.scalars(
            sa.select(AuditEntry).where(
                AuditEntry.object_type == "data_value", AuditEntry.field == "status"
            )
        )
    }
    assert ("submitted", "draft", "Check AHTJP-03") in reasons
    assert ("approved", "draft", "Whole quarter") in reasons
    assert ("draft", "submitted", None) in reasons


def test_submitted_on_the_deadline_is_not_late(s, sub, cell, partner):
    srp = sub(period="2026Q3")
    srp.period.deadline = utcnow().date()
    _save(s, srp, [cell("AHTJP-01", value="12")], partner)
    S.submit(s, srp, user=partner)
    event = s.scalar(
        sa.select(SubmissionEvent).where(
            SubmissionEvent.submission_id == srp.id, SubmissionEvent.action == "submitted"
        )
    )
    assert event.detail == {"late": False}


def test_late_submission(s, sub, cell, partner):
    srp = sub(period="2026Q3")  # its deadline has passed
    assert srp.period.deadline < utcnow().date()
    _save(s, srp, [cell("AHTJP-01", value="12")], partner)
    S.submit(s, srp, user=partner)
    event = s.scalar(
        sa.select(SubmissionEvent).where(
            SubmissionEvent.submission_id == srp.id, SubmissionEvent.action == "submitted"
        )
    )
    assert event.detail == {"late": True}


def test_refused_transitions_say_why(s, sub, cell, partner, reviewer):
    srp = sub()
    with pytest.raises(S.SubmissionError) as info:
        S.submit(s, srp, user=partner)
    assert info.value.problems == [
        {
            "code": "empty",
            "message": "Type at least one value before you submit.",
            "severity": "error",
        }
    ]
    assert info.value.message == (
        "The submission cannot be sent yet: 1 problem(s) to fix or explain."
    )
    with pytest.raises(S.TransitionError) as info:
        S.approve(s, srp, user=reviewer)
    assert info.value.message == "Only a submitted submission can be approved; this one is draft."
    with pytest.raises(S.TransitionError) as info:
        S.return_submission(s, srp, user=reviewer, reason="x")
    assert info.value.message == "Only a submitted submission can be returned; this one is draft."
    with pytest.raises(S.TransitionError) as info:
        S.reopen(s, srp, user=reviewer, reason="x")
    assert info.value.message == "Only an approved submission can be re-opened."
    _save(s, srp, [cell("AHTJP-01", value="12"), cell("AHTJP-03", value="abc")], partner)
    with pytest.raises(S.SubmissionError) as info:
        S.submit(s, srp, user=partner)
    assert info.value.problems == [
        {
            "indicator": "AHTJP-03",
            "province": "KH-17",
            "disagg": "",
            "code": "not_a_number",
            "message": "“abc” is not a number. Type digits, e.g. 125 or 12.5.",
            "severity": "error",
        }
    ]
    _save(s, srp, [cell("AHTJP-03", value="")], partner)
    S.submit(s, srp, user=partner)
    with pytest.raises(S.TransitionError) as info:
        S.submit(s, srp, user=partner)
    assert info.value.message == (
        "The submission is submitted: only a draft or a returned submission can be sent."
    )
    with pytest.raises(S.TransitionError) as info:
        S.return_submission(s, srp, user=reviewer, reason="   ")
    assert info.value.message == "Say why the submission is returned."
    S.approve(s, srp, user=reviewer)
    with pytest.raises(S.TransitionError) as info:
        S.reopen(s, srp, user=reviewer, reason="")
    assert info.value.message == "Say why the submission is re-opened."
    value = s.scalar(sa.select(DataValue).where(DataValue.submission_id == srp.id))
    with pytest.raises(S.TransitionError) as info:
        S.reopen_value(s, value, user=reviewer, reason=" ")
    assert info.value.message == "Say why the value is re-opened."
    srp.period.status = "locked"
    with pytest.raises(S.TransitionError) as info:
        S.reopen(s, srp, user=reviewer, reason="x")
    assert info.value.message == "Period 2026Q4 is locked: unlock it before re-opening."
    with pytest.raises(S.TransitionError) as info:
        S.reopen_value(s, value, user=reviewer, reason="x")
    assert info.value.message == "Period 2026Q4 is locked: unlock it before re-opening."
    srp.period.status = "open"
    S.reopen_value(s, value, user=reviewer, reason="recheck")
    assert (value.reopened, value.status) == (True, "draft")
    assert value.approved_value == snap("12")
    with pytest.raises(S.TransitionError) as info:
        S.reopen_value(s, value, user=reviewer, reason="again")
    assert info.value.message == "This value is already open for correction."
    event = s.scalar(
        sa.select(SubmissionEvent).where(
            SubmissionEvent.submission_id == srp.id, SubmissionEvent.action == "value_reopened"
        )
    )
    assert event.detail == {
        "value_id": value.id,
        "indicator": "AHTJP-01",
        "province": "KH-17",
        "disagg": "",
    }
    assert (event.reason, event.from_status, event.to_status) == ("recheck", "approved", "approved")
    # a re-opened value that is invalid cannot be approved
    _save(s, srp, [cell("AHTJP-01", value="x")], partner)
    with pytest.raises(S.TransitionError) as info:
        S.approve(s, srp, user=reviewer)
    assert info.value.message == "A re-opened value is still invalid: it cannot be approved."


def test_submit_refused_in_a_closed_period(s, sub, cell, partner):
    srp = sub()
    _save(s, srp, [cell("AHTJP-01", value="12")], partner)
    srp.period.status = "closed"
    with pytest.raises(S.TransitionError) as info:
        S.submit(s, srp, user=partner)
    assert info.value.message == (
        "Period 2026Q4 is closed: it takes no more values unless a planner opens it again."
    )


def test_a_value_of_a_draft_cannot_be_reopened(s, sub, cell, partner, reviewer):
    srp = sub()
    _save(s, srp, [cell("AHTJP-01", value="12")], partner)
    value = s.scalar(sa.select(DataValue).where(DataValue.submission_id == srp.id))
    with pytest.raises(S.TransitionError) as info:
        S.reopen_value(s, value, user=reviewer, reason="x")
    assert info.value.message == "Only a value of an approved submission can be re-opened."


# --- the grid -------------------------------------------------------------------------------


def test_grid_counts_and_rows(s, sub, cell, partner):
    srp = sub()
    _save(
        s,
        srp,
        [
            cell("AHTJP-01", value="12"),
            cell("AHTJP-03", value="abc", comment="typo"),
            cell("LEAP-5.1", numerator="9", denominator="8"),
        ],
        partner,
    )
    g = S.grid(s, srp)
    pct = next(r for r in g.rows if r.key == cell("LEAP-5.1").key)
    assert [(e.code, e.field) for e in pct.errors] == [("percentage_range", "numerator")]
    assert g.submission is srp
    counts = g.counts
    assert (counts["filled"], counts["errors"]) == (3, 2)
    assert (
        counts["rows"] == len(g.rows) == sum(len(i.rows) for o in g.outcomes for i in o.indicators)
    )
    by_key = {r.key: r for r in g.rows}
    bad = by_key[cell("AHTJP-03").key]
    assert [e.code for e in bad.errors] == ["not_a_number"]
    good = by_key[cell("AHTJP-01").key]
    assert good.errors == [] and good.value.value == 12 and good.comments == 0
    assert by_key[cell("AHTJP-04").key].value is None


# --- comments and evidence --------------------------------------------------------------------


def test_comments(s, sub, cell, partner):
    srp = sub()
    _save(s, srp, [cell("AHTJP-01", value="12")], partner)
    value = s.scalar(sa.select(DataValue).where(DataValue.submission_id == srp.id))
    comment = S.add_comment(s, value, user=partner, body="  Checked against the register.  ")
    assert (comment.body, comment.user_id, comment.value_id) == (
        "Checked against the register.",
        partner.id,
        value.id,
    )
    assert S.add_comment(s, value, user=partner, body="y" * 4000).body == "y" * 4000
    for body, message in (
        ("   ", "Type a comment."),
        (None, "Type a comment."),
        ("z" * 4001, "A comment is at most 4000 characters."),
    ):
        with pytest.raises(ValidationError) as info:
            S.add_comment(s, value, user=partner, body=body)
        assert (info.value.message, info.value.field) == (message, "body")
    assert s.scalar(sa.select(sa.func.count()).select_from(ValueComment)) == 2
    assert S.grid(s, srp).counts["rows"] > 0
    assert {r.comments for r in S.grid(s, srp).rows if r.value is not None} == {2}


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("report.pdf", "report.pdf"),
        ("C:\\Users\\me\\report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ('a<b>c:d"e|f?g*h.pdf', "abcdefgh.pdf"),
        ("tab\there\x00.pdf", "tabhere.pdf"),
        ("  many   spaces .pdf ", "many spaces .pdf"),
        ("...hidden...", "hidden"),
        ("", "file"),
        (None, "file"),
        ("///", "file"),
        ("x" * 200 + ".pdf", "x" * 140 + ".pdf"),
        ("x" * 200 + ".abcdefghijkl", "x" * 140 + ".abcdefghi"),
        ("y" * 200, "y" * 150),
        ("z" * 150, "z" * 150),
        ("ឯកសារ.pdf", "ឯកសារ.pdf"),
    ],
)
def test_sanitise_filename(raw, clean):
    assert S.sanitise_filename(raw) == clean


def test_evidence(s, sub, partner, tmp_path):
    srp = sub()
    pdf = b"%PDF-1.4 hello"
    ev = S.add_evidence(
        s,
        srp,
        user=partner,
        filename="../Report 1.PDF",
        stream=io.BytesIO(pdf),
        instance_path=tmp_path,
    )
    assert (ev.original_name, ev.content_type, ev.size, ev.uploaded_by_id) == (
        "Report 1.PDF",
        "application/pdf",
        len(pdf),
        partner.id,
    )
    import hashlib

    assert ev.sha256 == hashlib.sha256(pdf).hexdigest()
    assert ev.stored_name.endswith(".pdf") and len(ev.stored_name) == 32 + 4
    path = S.evidence_path(ev, tmp_path)
    assert path == tmp_path / "evidence" / str(srp.id) / ev.stored_name
    assert path.read_bytes() == pdf
    assert S.evidence_root(tmp_path) == tmp_path / "evidence"
    # every accepted type, by its first bytes
    for name, data, kind in (
        ("a.png", b"\x89PNG....", "image/png"),
        ("a.jpeg", b"\xff\xd8\xff...", "image/jpeg"),
        ("a.docx", b"PK\x03\x04...", S.EVIDENCE_TYPES[".docx"]),
        ("a.xls", b"\xd0\xcf\x11\xe0...", "application/vnd.ms-excel"),
        ("a.csv", b"a,b\n1,2\n", "text/csv"),  # no signature to check
    ):
        got = S.add_evidence(
            s, srp, user=partner, filename=name, stream=io.BytesIO(data), instance_path=tmp_path
        )
        assert got.content_type == kind
    refusals = (
        (
            "virus.exe",
            b"MZ",
            "Files of this type cannot be attached. Attach PDF, images or office files.",
        ),
        (
            "noext",
            b"%PDF",
            "Files of this type cannot be attached. Attach PDF, images or office files.",
        ),
        ("empty.pdf", b"", "The file is empty."),
        ("fake.pdf", b"MZ not a pdf", "The file's content does not match its type (.pdf)."),
        ("fake.png", b"GIF89a", "The file's content does not match its type (.png)."),
    )
    for name, data, message in refusals:
        with pytest.raises(ValidationError) as info:
            S.add_evidence(
                s, srp, user=partner, filename=name, stream=io.BytesIO(data), instance_path=tmp_path
            )
        assert (info.value.message, info.value.field) == (message, "file")
    with pytest.raises(ValidationError) as info:
        S.add_evidence(
            s,
            srp,
            user=partner,
            filename="big.pdf",
            stream=io.BytesIO(b"%PDF" + b"0" * (2 * 1024 * 1024)),
            instance_path=tmp_path,
            max_bytes=2 * 1024 * 1024,
        )
    assert info.value.message == "The file is larger than 2 MB."
    # exactly the limit is accepted
    exact = S.add_evidence(
        s,
        srp,
        user=partner,
        filename="exact.pdf",
        stream=io.BytesIO(b"%PDF" + b"0" * 96),
        instance_path=tmp_path,
        max_bytes=100,
    )
    assert exact.size == 100
    assert S.MAX_EVIDENCE_BYTES == 10 * 1024 * 1024
    S.delete_evidence(s, ev, user=partner, instance_path=tmp_path)
    assert not path.exists() and s.get(Evidence, ev.id) is None
    # a file already gone from the disk: the record still goes
    S.evidence_path(exact, tmp_path).unlink()
    S.delete_evidence(s, exact, user=partner, instance_path=tmp_path)
    assert s.get(Evidence, exact.id) is None


# --- save: what an update writes, and what a save that changes nothing leaves -------------


def _stored(session, submission, code, prov="KH-17"):
    session.expire_all()
    return session.scalar(
        sa.select(DataValue).where(
            DataValue.submission_id == submission.id,
            DataValue.indicator_id == _ind_id(session, code),
            DataValue.province_id == _prov_id(session, prov),
        )
    )


def test_a_corrected_fraction_keeps_nothing_of_what_was_wrong(s, sub, cell, partner):
    srp = sub()
    _save(s, srp, [cell("LEAP-5.1", numerator="9", denominator="8x")], partner)
    wrong = _stored(s, srp, "LEAP-5.1")
    assert (wrong.raw_numerator, wrong.raw_denominator, wrong.value) == ("9", "8x", None)
    assert wrong.error
    before = wrong.updated_dt
    result = _save(s, srp, [cell("LEAP-5.1", numerator="3", denominator="8")], partner)
    assert _outcomes(result) == [("changed", snap("", "9", "8x"), snap("37.5", "3", "8"), [], [])]
    assert _rows(s, srp)[("LEAP-5.1", "KH-17", "")] == row(
        value=D("37.5"), numerator=D(3), denominator=D(8), submission_id=srp.id
    )
    assert _stored(s, srp, "LEAP-5.1").updated_dt > before


def test_a_save_that_changes_nothing_writes_nothing(s, sub, cell, partner):
    srp = sub()
    _save(s, srp, [cell("AHTJP-01", value="12", comment="c")], partner)
    stored = _stored(s, srp, "AHTJP-01")
    first = (stored.updated_dt, srp.version)
    entries = s.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    again = _save(s, srp, [cell("AHTJP-01", value="12.0", comment="c")], partner)
    assert _outcomes(again) == [("unchanged", snap("12"), snap("12"), [], [])]
    assert (_stored(s, srp, "AHTJP-01").updated_dt, srp.version) == first
    assert s.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == entries


def test_one_save_has_one_time_in_the_audit_trail(s, sub, cell, partner):
    srp = sub()
    _save(s, srp, [cell("AHTJP-01", value="12"), cell("AHTJP-03", value="4")], partner)
    mark = s.scalar(sa.select(sa.func.max(AuditEntry.id)))
    _save(
        s,
        srp,
        [cell("AHTJP-01", value="13"), cell("AHTJP-03", value=""), cell("AHTJP-04", value="2")],
        partner,
    )
    entries = s.scalars(
        sa.select(AuditEntry).where(AuditEntry.id > mark, AuditEntry.object_type == "data_value")
    ).all()
    assert sorted(e.action for e in entries) == ["create", "delete", "update"]
    # the update, the delete and the create are one save: one time for all three
    assert len({e.created_dt for e in entries}) == 1


def test_new_rows_cut_comments_and_explanations_and_empty_explanations_clear(
    s, sub, cell, partner
):
    srp = sub()
    _save(
        s, srp, [cell("AHTJP-01", value="5", comment="c" * 4100, explanation="e" * 4100)], partner
    )
    got = _rows(s, srp)[("AHTJP-01", "KH-17", "")]
    assert (got["comment"], got["explanation"]) == ("c" * 4000, "e" * 4000)
    # "" (not None) on a stored row clears the explanation
    _save(s, srp, [cell("AHTJP-01", value="5", explanation="")], partner)
    assert _rows(s, srp)[("AHTJP-01", "KH-17", "")]["explanation"] is None


def test_a_save_that_loses_the_race_at_the_flush_is_a_conflict(s, sub, cell, partner):
    """Another worker saved between this save's version check and its flush: the optimistic
    lock's UPDATE finds no row, and the user hears of a conflict, not of an error."""
    from indicators.models import Submission

    srp = sub()
    first = _save(s, srp, [cell("AHTJP-01", value="12")], partner)
    table = Submission.__table__
    s.execute(
        sa.update(table).where(table.c.id == srp.id).values(version=table.c.version + 1)
    )  # behind the session's back, as another process would
    with pytest.raises(S.ConflictError) as info:
        _save(s, srp, [cell("AHTJP-01", value="13")], partner, expected_version=first.version)
    err = info.value
    assert (err.mine, err.cells) == (first.version, [])
    assert err.theirs == srp.version
    assert isinstance(err.theirs, int) and err.message.startswith("Someone else saved")


def _notes(session, submission, kind) -> list:
    from indicators.models import Notification

    return [
        n.detail
        for n in session.scalars(
            sa.select(Notification)
            .where(Notification.submission_id == submission.id, Notification.kind == kind)
            .order_by(Notification.id)
        )
    ]


def test_decisions_keep_their_reason_time_and_notification(s, sub, cell, partner, reviewer):
    srp = sub()
    _save(s, srp, [cell("AHTJP-01", value="12")], partner)
    S.submit(s, srp, user=partner)
    before = utcnow().replace(tzinfo=None)
    # a reason is cut at 4000 characters
    S.return_submission(s, srp, user=reviewer, reason="r" * 4100)
    assert srp.return_reason == "r" * 4000
    assert srp.decided_at is not None and srp.decided_at.replace(tzinfo=None) >= before
    assert srp.decided_by_id == reviewer.id
    S.submit(s, srp, user=partner)
    S.approve(s, srp, user=reviewer)
    S.reopen(s, srp, user=reviewer, reason="  Whole quarter  ")
    # the partner hears of the return, then of the re-opening with its reason
    assert _notes(s, srp, "returned") == [
        {"reason": "r" * 4000},
        {"reason": "Whole quarter", "reopened": True},
    ]


def test_a_refused_transition_says_why_as_its_text(s, sub, partner):
    srp = sub()
    with pytest.raises(S.TransitionError) as info:
        S.return_submission(s, srp, user=partner, reason="")
    assert str(info.value) == info.value.message and info.value.message


def test_submit_after_a_save_that_deleted_a_value_the_session_holds(s, sub, cell, partner):
    """"Save and submit" in one request: the save deletes a cleared value that the
    request had loaded (the grid), and the submit must not try to reload it."""
    srp = sub()
    _save(s, srp, [cell("AHTJP-01", value="12"), cell("AHTJP-03", value="5")], partner)
    held = s.scalars(sa.select(DataValue).where(DataValue.submission_id == srp.id)).all()
    kept = next(v for v in held if v.indicator_id == _ind_id(s, "AHTJP-01"))
    assert len(held) == 2
    _save(s, srp, [cell("AHTJP-03", value="")], partner)
    S.submit(s, srp, user=partner)
    assert srp.status == "submitted" and _statuses(s, srp) == ["submitted"]
    assert (kept.value, kept.status) == (12, "submitted")  # read again, not stale
