"""The submission service: every way in (web grid, workbook, DHIS2 API) saves through
:func:`save`, and every review step is one of the transitions below.

``save`` is set-based: whatever the number of cells it reads the owed rows, the stored
values and the data for the checks in a constant number of queries, then writes new
values, changed values, cleared values and their audit entries with one statement each
(executemany). Invalid cells are kept with what was typed and the error, never thrown
away. Optimistic locking: a save names the version it started from; when someone saved
in between, :class:`ConflictError` lists every cell where the two differ.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Literal

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy import orm as so

from indicators.models import (
    DataValue,
    Evidence,
    Finding,
    FindingState,
    Measure,
    PeriodStatus,
    ReportingPeriod,
    Submission,
    SubmissionEvent,
    SubmissionStatus,
    ValueComment,
    ValueStatus,
)
from indicators.services import quality, validation
from indicators.services.common import ValidationError, plain
from indicators.services.owed import OwedRow, RowKey, owed_index, owed_rows
from indicators.services.validation import Message
from indicators.services.values import period_refusal
from leap_me import audit
from leap_me.db import paused_gc, timestamp_literal, utcnow
from stakeholders.models import Organisation

Source = Literal["grid", "workbook", "api"]

__all__ = [
    "CellInput",
    "CellOutcome",
    "ConflictError",
    "Grid",
    "GridIndicator",
    "GridOutcome",
    "GridRow",
    "Message",
    "SaveRefused",
    "SaveResult",
    "SubmissionError",
    "TransitionError",
    "add_comment",
    "add_evidence",
    "approve",
    "delete_evidence",
    "evidence_path",
    "get_or_create",
    "grid",
    "reopen",
    "reopen_value",
    "return_submission",
    "save",
    "submit",
]


# --- errors -----------------------------------------------------------------------


class SubmissionError(ValueError):
    """The submission cannot go: every hard error and every unexplained warning."""

    def __init__(self, problems: list[dict]):
        self.problems = problems
        self.message = _(
            "The submission cannot be sent yet: %(n)s problem(s) to fix or explain.",
            n=len(problems),
        )
        super().__init__(self.message)


class TransitionError(ValueError):
    """A refused transition (translated message)."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


class SaveRefused(ValueError):
    """The whole save is refused (the period is not open, the submission is with the
    reviewer or approved); nothing was written."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


class ConflictError(ValueError):
    """Someone saved the submission since this user opened it.

    ``cells`` lists each cell where what this user typed differs from what is stored:
    ``{"key": (indicator_id, province_id, disagg_key), "mine": {...}, "theirs": {...}}``.
    Nothing was written; the caller shows both and keeps what was typed."""

    def __init__(self, mine: int | None, theirs: int, cells: list[dict]):
        self.mine = mine
        self.theirs = theirs
        self.cells = cells
        self.message = _(
            "Someone else saved this submission while you were editing it (version "
            "%(theirs)s; you started from %(mine)s). Nothing was saved: compare the %(n)s "
            "cell(s) below and save again.",
            theirs=theirs,
            mine=mine,
            n=len(cells),
        )
        super().__init__(self.message)


# --- save -------------------------------------------------------------------------


@dataclass(slots=True)
class CellInput:
    indicator_id: int
    province_id: int | None
    disagg_key: str = ""
    value: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    text: str | None = None
    #: None = leave as stored; "" = clear.
    comment: str | None = None
    explanation: str | None = None
    #: (measure, fields, errors) of :func:`validation.check_cell` when the caller has
    #: already checked this cell (the DHIS2 import checks each value on its own): the
    #: save uses them instead of checking again, if the measure is still the same.
    checked: tuple[str, dict | None, list] | None = None

    @property
    def key(self) -> RowKey:
        return (self.indicator_id, self.province_id, self.disagg_key or "")

    def typed(self) -> dict[str, str]:
        return {
            "value": _raw(self.value),
            "numerator": _raw(self.numerator),
            "denominator": _raw(self.denominator),
            "text": _raw(self.text),
        }


def _raw(v: Any) -> str:
    return "" if v is None else str(v).strip()


@dataclass(slots=True)
class CellOutcome:
    key: RowKey
    status: str  # new | changed | unchanged | refused | invalid
    old: dict | None = None
    new: dict | None = None
    errors: list[Message] = field(default_factory=list)
    warnings: list[Message] = field(default_factory=list)


@dataclass
class SaveResult:
    submission: Submission
    source: str
    dry_run: bool
    cells: list[CellOutcome] = field(default_factory=list)
    version: int | None = None

    @property
    def counts(self) -> dict[str, int]:
        c = Counter(o.status for o in self.cells)
        return {k: c.get(k, 0) for k in ("new", "changed", "unchanged", "refused", "invalid")}

    @property
    def by_key(self) -> dict[RowKey, CellOutcome]:
        return {o.key: o for o in self.cells}

    @property
    def has_errors(self) -> bool:
        return any(o.errors for o in self.cells)


_VALUE_COLS = ("value", "numerator", "denominator", "text_value")
_RAW_COLS = ("raw_value", "raw_numerator", "raw_denominator")


def _snapshot(row: dict | None) -> dict | None:
    """A stored row as the strings a person reads (value/numerator/denominator/text)."""
    if row is None:
        return None

    def show(col, raw):
        if row.get(col) is not None:
            return plain(row[col])
        return row.get(raw) or ""

    return {
        "value": show("value", "raw_value"),
        "numerator": show("numerator", "raw_numerator"),
        "denominator": show("denominator", "raw_denominator"),
        "text": row.get("text_value") or "",
    }


def _same_as_typed(row: dict | None, typed: dict[str, str], measure: str) -> bool:
    snap = _snapshot(row) or {"value": "", "numerator": "", "denominator": "", "text": ""}
    if measure == Measure.TEXT:
        return snap["text"] == (typed["text"] or typed["value"])
    if measure in (Measure.PERCENTAGE, Measure.RATIO):
        return (snap["numerator"], snap["denominator"]) == (
            typed["numerator"],
            typed["denominator"],
        )
    return snap["value"] == typed["value"]


_period_refusal = period_refusal


def _stored_rows(session: so.Session, submission: Submission) -> dict[RowKey, dict]:
    dv = DataValue.__table__
    rows = session.execute(
        sa.select(dv).where(
            dv.c.organisation_id == submission.organisation_id,
            dv.c.period_id == submission.period_id,
        )
    )
    return {(r.indicator_id, r.province_id, r.disagg_key): dict(r._mapping) for r in rows}


def save(
    session: so.Session,
    submission: Submission,
    cells: list[CellInput],
    *,
    user: Any,
    expected_version: int | None,
    source: Source = "grid",
    dry_run: bool = False,
    locale: str = "en",
    only_if_clean: bool = False,
    owed: list[OwedRow] | None = None,
) -> SaveResult:
    """Save the typed cells of one submission (see the module docstring).

    ``only_if_clean``: write only when no cell has an error or was refused; otherwise
    return as a dry run (``result.dry_run`` is then True). A workbook import checks and
    writes in this one pass instead of a dry run followed by the write. ``owed``: the
    organisation's owed rows for the period (:func:`owed_rows`), when the caller has just
    read them in this transaction; read here otherwise."""
    from flask_babel import force_locale

    with force_locale(locale), paused_gc():
        return _save(
            session, submission, cells, user, expected_version, source, dry_run, locale,
            only_if_clean, owed,
        )  # fmt: skip


def _save(
    session, submission, cells, user, expected_version, source, dry_run, locale,
    only_if_clean=False, owed_list=None,
):  # fmt: skip
    period = submission.period
    refusal = _period_refusal(period)
    if refusal:
        raise SaveRefused(refusal)
    stored = _stored_rows(session, submission)
    reopened_only = submission.status == SubmissionStatus.APPROVED
    if submission.status == SubmissionStatus.SUBMITTED:
        raise SaveRefused(
            _("The submission is with the reviewer: it can change again only if it is returned.")
        )
    if reopened_only and not any(r["reopened"] for r in stored.values()):
        raise SaveRefused(
            _("The submission is approved: its values change only after a reviewer re-opens them.")
        )
    if owed_list is None:
        owed_list = owed_rows(session, submission.organisation, period)
    owed = owed_index(owed_list)
    del owed_list
    if expected_version is not None and expected_version != submission.version:
        differing = []
        for cell in cells:
            row = owed.get(cell.key)
            measure = row.version.measure if row else Measure.NUMBER
            old = stored.get(cell.key)
            if not _same_as_typed(old, cell.typed(), measure):
                differing.append(
                    {"key": cell.key, "mine": cell.typed(), "theirs": _snapshot(old) or {}}
                )
        raise ConflictError(expected_version, submission.version, differing)

    result = SaveResult(submission, source, dry_run)
    now = utcnow()
    meta = _owed_meta(owed)
    checkers = {ind: validation.cell_checker(m) for ind, (m, _v) in meta.items()}
    #: the rows to insert, by shape (which optional columns hold a value; _insert_rows)
    shapes: dict[tuple[bool, ...], list[tuple]] = {}
    inserted: list[CellOutcome] = []  # in cell order, for their audit entries
    updates: list[dict] = []
    deletes: list[int] = []
    audit_rows: list[dict] = []
    merged = dict(stored)  # the rows as they will be, for the checks
    by_key: dict[RowKey, CellOutcome] = {}
    outcomes = result.cells
    sub_id = submission.id
    org_id = submission.organisation_id
    period_id = period.id
    draft = ValueStatus.DRAFT.value
    for cell in cells:
        key = (cell.indicator_id, cell.province_id, cell.disagg_key or "")
        if key in by_key:
            continue
        old = stored.get(key)
        if key not in owed:
            outcome = CellOutcome(key, "refused", _snapshot(old), None, [validation.not_owed()])
            by_key[key] = outcome
            outcomes.append(outcome)
            continue
        measure, version_id = meta[key[0]]
        if old is None:
            comment = (cell.comment or "").strip()[:4000]
            explanation = (
                None if cell.explanation is None else (cell.explanation.strip()[:4000] or None)
            )
        else:
            comment = (
                old["comment"] if cell.comment is None else (cell.comment or "").strip()[:4000]
            )
            explanation = (
                old["explanation"]
                if cell.explanation is None
                else ((cell.explanation or "").strip()[:4000] or None)
            )
        locked = False  # an approved value, or a row not re-opened in an approved one
        refusal = None
        if old is not None and old["status"] == ValueStatus.APPROVED and not old["reopened"]:
            locked = True
            same = _same_as_typed(old, cell.typed(), measure)
            if not (same and comment == old["comment"] and explanation == old["explanation"]):
                refusal = _(
                    "This value is approved; it can change only after a reviewer re-opens it "
                    "with a reason."
                )
        elif reopened_only and (old is None or not old["reopened"]):
            locked = True
            if not _same_as_typed(old, cell.typed(), measure):
                refusal = _(
                    "The submission is approved: only the values a reviewer re-opened can change."
                )
        if locked:
            if refusal is None:
                outcome = CellOutcome(key, "unchanged", _snapshot(old), _snapshot(old))
            else:
                outcome = CellOutcome(
                    key, "refused", _snapshot(old), None, [Message("approved", refusal, "value")]
                )
            by_key[key] = outcome
            outcomes.append(outcome)
            continue
        checked_before = cell.checked
        if checked_before is not None and checked_before[0] == measure:
            fields, errors = checked_before[1], list(checked_before[2])
        else:
            fields, errors = checkers[key[0]](
                cell.value, cell.numerator, cell.denominator, cell.text, locale
            )
        if fields is None and not errors:  # an empty cell
            if old is None:
                if comment or explanation:
                    errors = []  # a comment alone is kept on an empty row
                else:
                    outcome = CellOutcome(key, "unchanged", None, None)
                    by_key[key] = outcome
                    outcomes.append(outcome)
                    continue
            elif not comment and not explanation:
                deletes.append(old["id"])
                merged.pop(key, None)
                outcome = CellOutcome(key, "changed", _snapshot(old), None)
                by_key[key] = outcome
                outcomes.append(outcome)
                audit_rows.append(
                    _audit("delete", old, old_value=json.dumps(_snapshot(old), ensure_ascii=False))
                )
                continue
        f = fields or _NO_FIELDS
        if errors:
            typed = cell.typed()
            raw_value = typed["value"][:100] or None
            if measure == Measure.TEXT:
                raw_value = (typed["text"] or typed["value"])[:100] or None
            raw_numerator = typed["numerator"][:100] or None
            raw_denominator = typed["denominator"][:100] or None
            error = "; ".join(e.text for e in errors)[:500]
        else:
            raw_value = raw_numerator = raw_denominator = error = None
        if old is None:
            value, numerator, denominator, text_value = (
                f["value"],
                f["numerator"],
                f["denominator"],
                f["text_value"],
            )
            # the row as the driver takes it, with only the columns that hold a value (the
            # database's NULL for the rest): one list of rows per shape (_insert_rows)
            optional = (
                key[1],
                value,
                numerator,
                denominator,
                text_value,
                raw_value,
                raw_numerator,
                raw_denominator,
                error,
                explanation,
            )
            shape = tuple([v is not None for v in optional])
            row_values = (
                key[0],
                version_id,
                period_id,
                org_id,
                key[2],
                draft,
                sub_id,
                False,
                comment,
                *[v for v in optional if v is not None],
            )
            group = shapes.get(shape)
            if group is None:
                shapes[shape] = [row_values]
            else:
                group.append(row_values)
            # what the checks and the findings read of it (the id comes once written)
            merged[key] = {
                "value": value,
                "numerator": numerator,
                "denominator": denominator,
                "error": error,
                "explanation": explanation,
                "id": None,
            }
            snap = _snap(
                value,
                numerator,
                denominator,
                text_value,
                raw_value,
                raw_numerator,
                raw_denominator,
            )
            outcome = CellOutcome(key, "invalid" if errors else "new", None, snap, errors)
            by_key[key] = outcome
            outcomes.append(outcome)
            inserted.append(outcome)
            continue
        status_word = "invalid" if errors else None
        new = {
            "value": f["value"],
            "numerator": f["numerator"],
            "denominator": f["denominator"],
            "text_value": f["text_value"],
            "raw_value": raw_value,
            "raw_numerator": raw_numerator,
            "raw_denominator": raw_denominator,
            "error": error,
            "comment": comment,
            "explanation": explanation,
        }
        changed = {c: new[c] for c in new if _differs(old.get(c), new[c])}
        if not changed and old.get("submission_id") == submission.id:
            merged[key] = old
            outcome = CellOutcome(
                key, status_word or "unchanged", _snapshot(old), _snapshot(old), errors
            )
            by_key[key] = outcome
            outcomes.append(outcome)
            continue
        record = {
            **old,
            **new,
            "version_id": version_id,
            "submission_id": submission.id,
            "updated_dt": now,
        }
        if old["status"] != ValueStatus.APPROVED:
            record["status"] = draft
        updates.append(record)
        merged[key] = record
        for col, value in changed.items():
            audit_rows.append(
                _audit("update", old, field=col, old_value=old.get(col), new_value=value)
            )
        outcome = CellOutcome(
            key,
            status_word or ("changed" if changed else "unchanged"),
            _snapshot(old),
            _snapshot(record),
            errors,
        )
        by_key[key] = outcome
        outcomes.append(outcome)

    # warnings on the rows as they will be
    checked = quality.check(session, submission, owed, merged)
    for key, messages in checked.warnings.items():
        if messages:
            outcome = by_key.get(key)
            if outcome is not None and outcome.status != "refused" and key in merged:
                outcome.warnings = list(messages)
    if only_if_clean and not dry_run:
        dry_run = result.dry_run = any(o.errors or o.status == "refused" for o in result.cells)
    if dry_run:
        result.version = submission.version
        return result

    dv = DataValue.__table__
    if deletes:
        session.execute(sa.delete(dv).where(dv.c.id.in_(deletes)))
    if shapes:
        _insert_rows(session, dv, shapes, now=now)
        shapes.clear()
    if updates:
        # every column but the key and the creation time (writing either again would be
        # the same: their mutants cannot change behaviour, docs/architecture.md)
        skip = ("id", "created_dt")  # pragma: no mutate
        cols = [c for c in updates[0] if c in dv.c and c not in skip]
        session.execute(
            sa.update(dv)
            .where(dv.c.id == sa.bindparam("b_id"))
            .values({c: sa.bindparam("b_" + c) for c in cols}),
            [{"b_id": r["id"], **{"b_" + c: r[c] for c in cols}} for r in updates],
            # the session's objects are expired below; without this the ORM would try to
            # bring them up to date from the statement's criteria
            execution_options={"synchronize_session": False},
        )
    audit_at = utcnow()
    audit.bulk_record(session.connection(), audit_rows, at=audit_at)
    if inserted:
        # the new rows' entries are made by the database from the rows just written (the
        # save's timestamp is their created_dt): nothing per value goes through Python
        audit.bulk_record_from(
            session.connection(),
            _created_entries(dv, submission, now, session.connection().dialect),
            fixed={
                "action": "create",
                "object_type": "data_value",
                "parent_type": "submission",
                "parent_id": str(submission.id),
            },
            at=audit_at,
        )
        if any(checked.warnings.get(o.key) for o in inserted):
            # the findings name their values by id
            for id_, ind, prov, key in session.execute(
                sa.select(dv.c.id, dv.c.indicator_id, dv.c.province_id, dv.c.disagg_key).where(
                    dv.c.organisation_id == submission.organisation_id,
                    dv.c.period_id == submission.period_id,
                    dv.c.created_dt == timestamp_literal(now, session.connection().dialect),
                )
            ).all():
                merged[(ind, prov, key)]["id"] = id_  # a row this save inserted
    # the stale values in the identity map must not hide what was just written
    for obj in list(session.identity_map.values()):
        # read the loaded state, never the attribute: an expired object whose row was
        # just deleted would be refreshed, and fail
        state = sa.inspect(obj).dict if isinstance(obj, DataValue) else None
        if (
            state is not None
            and state.get("organisation_id") == submission.organisation_id
            and state.get("period_id") == submission.period_id
        ):
            session.expire(obj)
    counts = result.counts
    if inserted or updates or deletes:
        submission.updated_dt = now  # bumps the version: the optimistic lock
        _event(session, submission, "saved", user, None, {"source": source, **counts})
        try:
            session.flush()
        except so.exc.StaleDataError as exc:
            raise ConflictError(expected_version, submission.version, []) from exc
        # what the save holds already, so that refresh need not read it again (given
        # None, it reads the same: docs/architecture.md)
        quality.refresh(session, submission, owed, checked, stored=merged)  # pragma: no mutate
    result.version = submission.version
    return result


_NO_FIELDS: dict[str, Any] = {
    "value": None,
    "numerator": None,
    "denominator": None,
    "text_value": None,
}


def _owed_meta(owed: dict[RowKey, OwedRow]) -> dict[int, tuple[str, int]]:
    """Indicator id → (measure, version id) of the owed rows, read once per indicator."""
    out: dict[int, tuple[str, int]] = {}
    for key, row in owed.items():
        if key[0] not in out:
            out[key[0]] = (row.version.measure, row.version.id)
    return out


def _snap(value, numerator, denominator, text_value, raw_value, raw_numerator, raw_denominator):
    """:func:`_snapshot` of a row from its columns (no row dict needed)."""
    return {
        "value": plain(value) if value is not None else (raw_value or ""),
        "numerator": plain(numerator) if numerator is not None else (raw_numerator or ""),
        "denominator": plain(denominator) if denominator is not None else (raw_denominator or ""),
        "text": text_value or "",
    }


def _created_entries(dv: sa.Table, submission: Submission, now: datetime, dialect) -> sa.Select:
    """The audit columns of the rows a save has just inserted (those of the submission's
    organisation and period created at ``now``), character for character as
    :func:`_label` and ``json.dumps(_snapshot(row), ensure_ascii=False)`` make them for
    one row: the label ``"<indicator> <province or KH> <key>"`` and the snapshot
    ``{"value": …, "numerator": …, "denominator": …, "text": …}``, each number as
    :func:`plain` writes it (no trailing zeros), the raw text of an invalid one instead."""
    text = sa.String()
    # the PostgreSQL branches run in the PostgreSQL suite; make mutation runs on SQLite
    if dialect.name == "postgresql":  # pragma: no mutate

        def quote(expr):  # a JSON string, as json.dumps(ensure_ascii=False) writes it
            return sa.cast(sa.func.to_json(expr), sa.Text)  # pragma: no mutate
    else:

        def quote(expr):
            return sa.func.json_quote(expr)

    def number(col, raw):
        # every Amount is stored with 6 places at most: print 6, drop trailing zeros
        if dialect.name == "postgresql":  # pragma: no mutate
            printed = sa.cast(col, text)  # pragma: no mutate
        else:
            printed = sa.func.printf("%.6f", col)
        plain_sql = sa.func.rtrim(sa.func.rtrim(printed, "0"), ".")
        return sa.case(
            (col.is_(None), quote(sa.func.coalesce(raw, ""))),
            else_=sa.literal('"') + plain_sql + sa.literal('"'),
        )

    label = sa.func.rtrim(
        sa.cast(dv.c.indicator_id, text)
        + sa.literal(" ")
        + sa.func.coalesce(sa.cast(dv.c.province_id, text), "KH")
        + sa.literal(" ")
        + dv.c.disagg_key,
        " ",
    )
    snapshot = (
        sa.literal('{"value": ')
        + number(dv.c.value, dv.c.raw_value)
        + sa.literal(', "numerator": ')
        + number(dv.c.numerator, dv.c.raw_numerator)
        + sa.literal(', "denominator": ')
        + number(dv.c.denominator, dv.c.raw_denominator)
        + sa.literal(', "text": ')
        + quote(sa.func.coalesce(dv.c.text_value, ""))
        + sa.literal("}")
    )
    return (
        sa.select(
            sa.cast(dv.c.id, text).label("object_id"),
            sa.func.substr(label, 1, 255).label("object_label"),
            snapshot.label("new_value"),
        )
        .where(
            dv.c.organisation_id == submission.organisation_id,
            dv.c.period_id == submission.period_id,
            dv.c.created_dt == timestamp_literal(now, dialect),
        )
        .order_by(dv.c.id)
    )


#: The columns of a new row, in the order the save builds it: always these ...
_INSERT_ALWAYS = (
    "indicator_id",
    "version_id",
    "period_id",
    "organisation_id",
    "disagg_key",
    "status",
    "submission_id",
    "reopened",
    "comment",
)
#: ... then those of these that hold a value (NULL otherwise)
_INSERT_OPTIONAL = (
    "province_id",
    "value",
    "numerator",
    "denominator",
    "text_value",
    "raw_value",
    "raw_numerator",
    "raw_denominator",
    "error",
    "explanation",
)


def _insert_rows(
    session: so.Session,
    table: sa.Table,
    shapes: dict[tuple[bool, ...], list[tuple]],
    *,
    now: datetime,
) -> None:
    """Insert new rows, one executemany per shape of row: a shape says which of
    ``_INSERT_OPTIONAL`` a row holds (the database's NULL for the others, which needs no
    conversion on the way), and a grid has a handful whatever its size. Each row is a
    tuple of ``_INSERT_ALWAYS`` then its optional values. The save's timestamp goes into
    the statement once (``created_dt``, ``updated_dt``)."""
    connection = session.connection()
    dialect = connection.dialect
    stamp = timestamp_literal(now, dialect)
    for shape, group in shapes.items():
        columns = _INSERT_ALWAYS + tuple(
            c for c, present in zip(_INSERT_OPTIONAL, shape, strict=True) if present
        )
        # compiled once per shape; each row goes to the driver as it is, with only the
        # conversions the columns' types make on this database (a Decimal to a float on
        # SQLite, say), as SQLAlchemy would make them
        stmt = sa.insert(table).values(
            created_dt=stamp, updated_dt=stamp, **{c: sa.bindparam(c) for c in columns}
        )
        compiled = stmt.compile(dialect=dialect)
        sql = str(compiled)
        order = list(compiled.positiontup) if compiled.positiontup is not None else None
        index = [columns.index(c) for c in order] if order is not None else None
        convert = [
            (i, proc)
            for i, c in enumerate(columns)
            if (proc := table.c[c].type.dialect_impl(dialect).bind_processor(dialect)) is not None
        ]

        in_order = index == list(range(len(columns)))

        def param(row, convert=convert, index=index, columns=columns, in_order=in_order):
            if convert:
                row = list(row)
                for i, proc in convert:
                    if row[i] is not None:
                        row[i] = proc(row[i])
            if index is None:  # named parameters (psycopg): the PostgreSQL suite
                return dict(zip(columns, row, strict=True))  # pragma: no mutate
            if in_order:
                return tuple(row)
            return tuple(row[i] for i in index)

        # in batches, so that the parameters of a 100,000-value post are never all held
        for start in range(0, len(group), BATCH):
            connection.exec_driver_sql(sql, [param(r) for r in group[start : start + BATCH]])


#: Rows per executemany of a bulk write: big enough that a grid is one statement, small
#: enough that a huge post's parameters stay a few megabytes.
BATCH = 10_000


def _differs(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return (a is None) != (b is None)
    try:
        from decimal import Decimal

        if isinstance(a, Decimal | int | float) or isinstance(b, Decimal | int | float):
            return Decimal(str(a)) != Decimal(str(b))
    except Exception:  # noqa: BLE001, S110
        pass
    return a != b


def _label(row: dict) -> str:
    prov = row.get("province_id") or "KH"
    return f"{row.get('indicator_id')} {prov} {row.get('disagg_key') or ''}".strip()


def _audit(action: str, row: dict, **fields) -> dict:
    return {
        "action": action,
        "object_type": "data_value",
        "object_id": str(row.get("id") or ""),
        "object_label": _label(row)[:255],
        "parent_type": "submission" if row.get("submission_id") else None,
        "parent_id": str(row["submission_id"]) if row.get("submission_id") else None,
        **fields,
    }


def _event(
    session, submission, action, user, reason=None, detail=None, from_status=None, to_status=None
):
    event = SubmissionEvent(
        submission=submission,
        action=action,
        from_status=from_status,
        to_status=to_status,
        user_id=getattr(user, "id", None),
        reason=reason,
        detail=detail,
        at=utcnow(),
    )
    session.add(event)
    return event


# --- getting one ------------------------------------------------------------------


def get_or_create(
    session: so.Session, organisation: Organisation, period: ReportingPeriod, user: Any
) -> Submission:
    sub = session.scalar(
        sa.select(Submission).where(
            Submission.organisation_id == organisation.id, Submission.period_id == period.id
        )
    )
    if sub is not None:
        return sub
    sub = Submission(organisation=organisation, period=period, status=SubmissionStatus.DRAFT.value)
    session.add(sub)
    _event(session, sub, "created", user, to_status=SubmissionStatus.DRAFT.value)
    session.flush()
    # values typed before the workflow existed become this submission's
    dv = DataValue.__table__
    session.execute(
        sa.update(dv)
        .where(
            dv.c.organisation_id == organisation.id,
            dv.c.period_id == period.id,
            dv.c.submission_id.is_(None),
        )
        .values(submission_id=sub.id),
        execution_options={"synchronize_session": False},
    )
    return sub


def find(session: so.Session, org_code: str, period_code: str) -> Submission | None:
    return session.scalar(
        sa.select(Submission)
        .join(Organisation, Organisation.id == Submission.organisation_id)
        .join(ReportingPeriod, ReportingPeriod.id == Submission.period_id)
        .where(Organisation.code == org_code, ReportingPeriod.code == period_code)
    )


# --- the grid ---------------------------------------------------------------------


@dataclass
class GridRow:
    owed: OwedRow
    value: DataValue | None
    previous: DataValue | None
    target: Any
    flags: list[Finding] = field(default_factory=list)
    errors: list[Message] = field(default_factory=list)
    comments: int = 0

    @property
    def explanation(self) -> str | None:
        return self.value.explanation if self.value is not None else None

    @property
    def needs_explanation(self) -> bool:
        return any(f.state == FindingState.OPEN for f in self.flags) and not self.explanation

    @property
    def key(self) -> RowKey:
        return self.owed.key


@dataclass
class GridIndicator:
    indicator: Any
    version: Any
    rows: list[GridRow] = field(default_factory=list)


@dataclass
class GridOutcome:
    code: str
    name: dict
    indicators: list[GridIndicator] = field(default_factory=list)


@dataclass
class Grid:
    submission: Submission
    outcomes: list[GridOutcome]
    rows: list[GridRow]

    @property
    def counts(self) -> dict[str, int]:
        return {
            "rows": len(self.rows),
            "filled": sum(1 for r in self.rows if r.value is not None),
            "errors": sum(1 for r in self.rows if r.errors),
            "flags": sum(1 for r in self.rows if r.flags),
            "explained": sum(1 for r in self.rows if r.flags and r.explanation),
            "unexplained": sum(1 for r in self.rows if r.needs_explanation),
        }


def grid(session: so.Session, submission: Submission, *, locale: str | None = None) -> Grid:
    """Everything the grid and the review page show, in a constant number of queries."""
    owed = owed_rows(session, submission.organisation, submission.period)
    indicator_ids = sorted({r.indicator.id for r in owed})
    values = {
        (v.indicator_id, v.province_id, v.disagg_key): v
        for v in session.scalars(
            sa.select(DataValue).where(
                DataValue.organisation_id == submission.organisation_id,
                DataValue.period_id == submission.period_id,
            )
        )
    }
    previous = quality.previous_values(session, submission, indicator_ids)
    targets = quality.period_targets(session, submission.period, indicator_ids)
    value_ids = [v.id for v in values.values()]
    findings: dict[int, list[Finding]] = {}
    if value_ids:
        for f in session.scalars(
            sa.select(Finding)
            .where(
                Finding.active,
                sa.or_(
                    Finding.submission_id == submission.id,
                    sa.and_(
                        Finding.kind == "crosscheck",
                        Finding.period_id == submission.period_id,
                    ),
                ),
            )
            .options(so.joinedload(Finding.rule))
        ):
            ids = [f.value_id] if f.value_id else (f.detail or {}).get("values", [])
            for vid in ids:
                findings.setdefault(vid, []).append(f)
    comment_counts = dict(
        session.execute(
            sa.select(ValueComment.value_id, sa.func.count())
            .where(ValueComment.value_id.in_(value_ids or [0]))
            .group_by(ValueComment.value_id)
        ).all()
    )
    rows: list[GridRow] = []
    outcomes: dict[str, GridOutcome] = {}
    by_indicator: dict[int, GridIndicator] = {}
    for o in owed:
        value = values.get(o.key)
        errors = []
        if value is not None and value.error:
            _fields, errors = validation.check_cell(
                o.version.measure,
                value=value.raw_value,
                numerator=value.raw_numerator,
                denominator=value.raw_denominator,
                text=value.raw_value,
                locale=locale,
            )
            if not errors:
                errors = [Message("invalid", value.error)]
        row = GridRow(
            owed=o,
            value=value,
            previous=previous.get(o.key),
            target=targets.get((o.indicator.id, o.province_id)) if o.is_total else None,
            flags=findings.get(value.id, []) if value is not None else [],
            errors=errors,
            comments=comment_counts.get(value.id, 0) if value is not None else 0,
        )
        rows.append(row)
        outcome = outcomes.get(o.outcome_code)
        if outcome is None:
            outcome = outcomes[o.outcome_code] = GridOutcome(o.outcome_code, o.outcome_name)
        gi = by_indicator.get(o.indicator.id)
        if gi is None:
            gi = by_indicator[o.indicator.id] = GridIndicator(o.indicator, o.version)
            outcome.indicators.append(gi)
        gi.rows.append(row)
    return Grid(submission, list(outcomes.values()), rows)


# --- transitions ------------------------------------------------------------------


def _require_reason(reason: str | None, message: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise TransitionError(message)
    return text[:4000]


def _set_values_status(
    session, submission, status: str, *, snapshot: bool = False, only_reopened=False
):
    """Every value of the submission to ``status``, with one audit entry per change."""
    dv = DataValue.__table__
    cond = [dv.c.submission_id == submission.id]
    if only_reopened:
        cond.append(dv.c.reopened.is_(True))
    rows = list(session.execute(sa.select(dv).where(*cond)))
    now = utcnow()
    changes = [dict(r._mapping) for r in rows if r.status != status or snapshot]
    if not changes:
        return 0
    params = []
    audit_rows = []
    for r in changes:
        p = {
            "b_id": r["id"],
            "b_status": status,
            "b_updated": now,
            "b_reopened": False if snapshot else r["reopened"],
            "b_approved": _snapshot(r) if snapshot else r["approved_value"],
        }
        params.append(p)
        if r["status"] != status:
            audit_rows.append(
                _audit("update", r, field="status", old_value=r["status"], new_value=status)
            )
    session.execute(
        sa.update(dv)
        .where(dv.c.id == sa.bindparam("b_id"))
        .values(
            status=sa.bindparam("b_status"),
            updated_dt=sa.bindparam("b_updated"),
            reopened=sa.bindparam("b_reopened"),
            approved_value=sa.bindparam("b_approved"),
        ),
        params,
        execution_options={"synchronize_session": False},
    )
    audit.bulk_record(session.connection(), audit_rows)
    for obj in list(session.identity_map.values()):
        # the loaded state, never the attribute: an object already expired (by a save that
        # deleted its row, say) would be refreshed, and fail; it is reloaded when read
        if isinstance(obj, DataValue) and sa.inspect(obj).dict.get("submission_id") == (
            submission.id
        ):
            session.expire(obj)
    return len(changes)


def problems(session: so.Session, submission: Submission) -> list[dict]:
    """What stops the submission: hard errors, unexplained warnings, nothing typed."""
    g = grid(session, submission)
    out = []
    for row in g.rows:
        where = {
            "indicator": row.owed.indicator.code,
            "province": row.owed.province.code if row.owed.province else None,
            "disagg": row.owed.disagg_key,
        }
        for err in row.errors:
            out.append({**where, "code": err.code, "message": err.text, "severity": "error"})
        if (
            row.flags
            and not row.explanation
            and any(f.state in (FindingState.OPEN,) for f in row.flags)
        ):
            msg = validation.explanation_needed()
            out.append(
                {
                    **where,
                    "code": msg.code,
                    "message": msg.text,
                    "severity": "error",
                    "flags": sorted(f.kind for f in row.flags),
                }
            )
    if not any(r.value is not None and not r.errors for r in g.rows):
        out.append(
            {
                "code": "empty",
                "message": _("Type at least one value before you submit."),
                "severity": "error",
            }
        )
    return out


def submit(session: so.Session, submission: Submission, *, user: Any) -> Submission:
    if submission.status not in (SubmissionStatus.DRAFT, SubmissionStatus.RETURNED):
        raise TransitionError(
            _(
                "The submission is %(status)s: only a draft or a returned submission can be sent.",
                status=submission.status_enum.title.lower(),
            )
        )
    refusal = _period_refusal(submission.period)
    if refusal:
        raise TransitionError(refusal)
    found = problems(session, submission)
    if found:
        raise SubmissionError(found)
    before = submission.status
    with audit.reason(None):
        submission.status = SubmissionStatus.SUBMITTED.value
        submission.submitted_at = utcnow()
        submission.submitted_by_id = getattr(user, "id", None)
        _set_values_status(session, submission, ValueStatus.SUBMITTED.value)
        late = submission.submitted_at.date() > submission.period.deadline
        _event(
            session, submission, "submitted", user, None, {"late": late}, before, submission.status
        )
        session.flush()
    return submission


def return_submission(
    session: so.Session, submission: Submission, *, user: Any, reason: str
) -> Submission:
    if submission.status != SubmissionStatus.SUBMITTED:
        raise TransitionError(
            _(
                "Only a submitted submission can be returned; this one is %(status)s.",
                status=submission.status_enum.title.lower(),
            )
        )
    reason = _require_reason(reason, _("Say why the submission is returned."))
    with audit.reason(reason):
        submission.status = SubmissionStatus.RETURNED.value
        submission.return_reason = reason
        submission.decided_at = utcnow()
        submission.decided_by_id = getattr(user, "id", None)
        _set_values_status(session, submission, ValueStatus.DRAFT.value)
        _event(
            session,
            submission,
            "returned",
            user,
            reason,
            None,
            SubmissionStatus.SUBMITTED.value,
            submission.status,
        )
        session.flush()
    _notify(session, submission, "returned", {"reason": reason})
    return submission


def approve(session: so.Session, submission: Submission, *, user: Any) -> Submission:
    """Approve a submitted submission, or approve again the values a reviewer re-opened."""
    dv = DataValue.__table__
    if submission.status == SubmissionStatus.APPROVED:
        reopened = session.scalar(
            sa.select(sa.func.count()).where(dv.c.submission_id == submission.id, dv.c.reopened)
        )
        if not reopened:
            raise TransitionError(_("The submission is already approved."))
        bad = session.scalar(
            sa.select(sa.func.count()).where(
                dv.c.submission_id == submission.id, dv.c.reopened, dv.c.error.is_not(None)
            )
        )
        if bad:
            raise TransitionError(_("A re-opened value is still invalid: it cannot be approved."))
        with audit.reason(None):
            diff = changes_since_approval(session, submission)
            _set_values_status(
                session, submission, ValueStatus.APPROVED.value, snapshot=True, only_reopened=True
            )
            submission.decided_at = utcnow()
            submission.decided_by_id = getattr(user, "id", None)
            _event(
                session,
                submission,
                "value_approved",
                user,
                None,
                {"changes": diff},
                SubmissionStatus.APPROVED.value,
                SubmissionStatus.APPROVED.value,
            )
            session.flush()
        _notify(session, submission, "approved", {"values": len(diff)})
        return submission
    if submission.status != SubmissionStatus.SUBMITTED:
        raise TransitionError(
            _(
                "Only a submitted submission can be approved; this one is %(status)s.",
                status=submission.status_enum.title.lower(),
            )
        )
    with audit.reason(None):
        submission.status = SubmissionStatus.APPROVED.value
        submission.decided_at = utcnow()
        submission.decided_by_id = getattr(user, "id", None)
        submission.return_reason = None
        _set_values_status(session, submission, ValueStatus.APPROVED.value, snapshot=True)
        _event(
            session,
            submission,
            "approved",
            user,
            None,
            None,
            SubmissionStatus.SUBMITTED.value,
            submission.status,
        )
        session.flush()
    _notify(session, submission, "approved", {})
    return submission


def reopen(session: so.Session, submission: Submission, *, user: Any, reason: str) -> Submission:
    """An approved submission goes back to the partner (as returned), with a reason."""
    if submission.status != SubmissionStatus.APPROVED:
        raise TransitionError(_("Only an approved submission can be re-opened."))
    if submission.period.status == PeriodStatus.LOCKED:
        raise TransitionError(
            _(
                "Period %(period)s is locked: unlock it before re-opening.",
                period=submission.period.code,
            )
        )
    reason = _require_reason(reason, _("Say why the submission is re-opened."))
    with audit.reason(reason):
        submission.status = SubmissionStatus.RETURNED.value
        submission.return_reason = reason
        _set_values_status(session, submission, ValueStatus.DRAFT.value)
        _event(
            session,
            submission,
            "reopened",
            user,
            reason,
            None,
            SubmissionStatus.APPROVED.value,
            submission.status,
        )
        session.flush()
    _notify(session, submission, "returned", {"reason": reason, "reopened": True})
    return submission


def reopen_value(session: so.Session, value: DataValue, *, user: Any, reason: str) -> DataValue:
    """Unlock one approved value (indicator × province × disaggregation) for correction."""
    submission = session.get(Submission, value.submission_id) if value.submission_id else None
    if submission is None or submission.status != SubmissionStatus.APPROVED:
        raise TransitionError(_("Only a value of an approved submission can be re-opened."))
    if value.status != ValueStatus.APPROVED or value.reopened:
        raise TransitionError(_("This value is already open for correction."))
    if submission.period.status == PeriodStatus.LOCKED:
        raise TransitionError(
            _(
                "Period %(period)s is locked: unlock it before re-opening.",
                period=submission.period.code,
            )
        )
    reason = _require_reason(reason, _("Say why the value is re-opened."))
    with audit.reason(reason):
        value.reopened = True
        value.status = ValueStatus.DRAFT.value
        if value.approved_value is None:
            value.approved_value = value.snapshot()
        submission.updated_dt = utcnow()
        _event(
            session,
            submission,
            "value_reopened",
            user,
            reason,
            {
                "value_id": value.id,
                "indicator": value.indicator.code,
                "province": value.province.code if value.province else None,
                "disagg": value.disagg_key,
            },
            SubmissionStatus.APPROVED.value,
            SubmissionStatus.APPROVED.value,
        )
        session.flush()
    _notify(session, submission, "returned", {"reason": reason, "value_id": value.id})
    return value


def changes_since_approval(session: so.Session, submission: Submission) -> list[dict]:
    """Values re-opened or changed since approval: indicator, province, option, before, now."""
    out = []
    for v in session.scalars(
        sa.select(DataValue)
        .where(DataValue.submission_id == submission.id, DataValue.approved_value.is_not(None))
        .options(so.joinedload(DataValue.indicator), so.joinedload(DataValue.province))
    ):
        now = v.snapshot()
        if v.reopened or v.approved_value != now:
            out.append(
                {
                    "value_id": v.id,
                    "indicator": v.indicator.code,
                    "province": v.province.code if v.province else None,
                    "disagg": v.disagg_key,
                    "before": v.approved_value,
                    "now": now,
                    "reopened": v.reopened,
                }
            )
    return out


def _notify(session, submission, kind, detail):
    from indicators.services import notifications

    notifications.notify_organisation(session, submission, kind, detail)


# --- comments and evidence --------------------------------------------------------


def add_comment(session: so.Session, value: DataValue, *, user: Any, body: str) -> ValueComment:
    text = (body or "").strip()
    if not text:
        raise ValidationError(_("Type a comment."), "body")
    if len(text) > 4000:
        raise ValidationError(_("A comment is at most 4000 characters."), "body")
    comment = ValueComment(value_id=value.id, user_id=getattr(user, "id", None), body=text)
    session.add(comment)
    session.flush()
    if value.submission_id:
        submission = session.get(Submission, value.submission_id)
        from indicators.services import notifications

        notifications.notify_comment(session, submission, value, comment, user)
    return comment


EVIDENCE_TYPES = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".ppt": "application/vnd.ms-powerpoint",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".csv": "text/csv",
    ".txt": "text/plain",
}
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
_MAGIC = {
    ".pdf": [b"%PDF"],
    ".png": [b"\x89PNG"],
    ".jpg": [b"\xff\xd8\xff"],
    ".jpeg": [b"\xff\xd8\xff"],
    ".gif": [b"GIF8"],
    ".webp": [b"RIFF"],
    ".docx": [b"PK\x03\x04"],
    ".xlsx": [b"PK\x03\x04"],
    ".pptx": [b"PK\x03\x04"],
    ".odt": [b"PK\x03\x04"],
    ".ods": [b"PK\x03\x04"],
    ".doc": [b"\xd0\xcf\x11\xe0"],
    ".xls": [b"\xd0\xcf\x11\xe0"],
    ".ppt": [b"\xd0\xcf\x11\xe0"],
}


def sanitise_filename(name: str) -> str:
    """A file name safe to show and to offer for download: no path, no control chars."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f<>:\"|?*]", "", name).strip().strip(".")
    name = re.sub(r"\s+", " ", name)
    if len(name) > 150:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:140] + dot + ext[:9]) if dot else name[:150]
    return name or "file"


def evidence_root(instance_path: str | Path) -> Path:
    return Path(instance_path) / "evidence"


def evidence_path(evidence: Evidence, instance_path: str | Path | None = None) -> Path:
    if instance_path is None:
        from flask import current_app

        instance_path = current_app.instance_path
    return evidence_root(instance_path) / str(evidence.submission_id) / evidence.stored_name


def add_evidence(
    session: so.Session,
    submission: Submission,
    *,
    user: Any,
    filename: str,
    stream: IO[bytes],
    content_type: str | None = None,
    instance_path: str | Path | None = None,
    max_bytes: int = MAX_EVIDENCE_BYTES,
) -> Evidence:
    name = sanitise_filename(filename)
    ext = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    if ext not in EVIDENCE_TYPES:
        raise ValidationError(
            _("Files of this type cannot be attached. Attach PDF, images or office files."), "file"
        )
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValidationError(
            _("The file is larger than %(mb)s MB.", mb=max_bytes // (1024 * 1024)), "file"
        )
    if not data:
        raise ValidationError(_("The file is empty."), "file")
    magic = _MAGIC.get(ext)
    if magic and not any(data.startswith(m) for m in magic):
        raise ValidationError(
            _("The file's content does not match its type (%(ext)s).", ext=ext), "file"
        )
    stored = secrets.token_hex(16) + ext
    evidence = Evidence(
        submission_id=submission.id,
        original_name=name,
        stored_name=stored,
        content_type=EVIDENCE_TYPES[ext],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by_id=getattr(user, "id", None),
    )
    session.add(evidence)
    session.flush()
    path = evidence_path(evidence, instance_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return evidence


def delete_evidence(
    session: so.Session,
    evidence: Evidence,
    *,
    user: Any = None,
    instance_path: str | Path | None = None,
) -> None:
    path = evidence_path(evidence, instance_path)
    session.delete(evidence)
    session.flush()
    path.unlink(missing_ok=True)
