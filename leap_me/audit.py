"""The one audit trail: who changed which field of which object, from what to what, and why.

Domain models opt in by inheriting :class:`Audited`. A session listener writes the
entries inside the same transaction as the change, so a rolled-back change leaves no
trace and a committed one can never lack its entry. Views and services never write
audit rows themselves; they only say *why* with :func:`reason`.
"""

from __future__ import annotations

import contextlib
import contextvars
import itertools
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy import orm as so

from leap_me.db import Base, timestamp_literal, utcnow

_reason: contextvars.ContextVar[str | None] = contextvars.ContextVar("audit_reason", default=None)
_actor: contextvars.ContextVar[tuple[int | None, str] | None] = contextvars.ContextVar(
    "audit_actor", default=None
)

#: Columns that change on every write and say nothing a reader needs.
IGNORED_FIELDS = {"created_dt", "updated_dt", "id"}
#: Columns whose values must never be copied into the trail.
MASKED_FIELDS = {"password_hash", "token_hash"}


class AuditEntry(Base):
    __tablename__ = "audit_entry"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    created_dt: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)
    user_id: so.Mapped[int | None] = so.mapped_column(index=True)
    actor: so.Mapped[str] = so.mapped_column(sa.String(80))
    action: so.Mapped[str] = so.mapped_column(sa.String(10))
    object_type: so.Mapped[str] = so.mapped_column(sa.String(60))
    object_id: so.Mapped[str] = so.mapped_column(sa.String(60))
    object_label: so.Mapped[str] = so.mapped_column(sa.String(255), default="")
    # The record whose history should also show this change (a contact's organisation).
    parent_type: so.Mapped[str | None] = so.mapped_column(sa.String(60))
    parent_id: so.Mapped[str | None] = so.mapped_column(sa.String(60))
    field: so.Mapped[str | None] = so.mapped_column(sa.String(80))
    old_value: so.Mapped[str | None] = so.mapped_column(sa.Text)
    new_value: so.Mapped[str | None] = so.mapped_column(sa.Text)
    reason: so.Mapped[str | None] = so.mapped_column(sa.Text)

    __table_args__ = (
        sa.Index("ix_audit_entry_object", "object_type", "object_id"),
        sa.Index("ix_audit_entry_parent", "parent_type", "parent_id"),
        sa.CheckConstraint("action IN ('create', 'update', 'delete')", name="action"),
    )

    def __repr__(self) -> str:
        return f"<AuditEntry {self.action} {self.object_type}#{self.object_id}.{self.field}>"


class Audited:
    """Mixin: changes to instances of this model go into the audit trail."""

    #: Columns of this model that change on every write and say nothing (lock counters).
    audit_ignore: tuple[str, ...] = ()

    def audit_label(self) -> str:
        return label_of(self)

    def audit_parent(self) -> tuple[str, Any] | None:
        """(table name, id) of the record whose history also lists this one's changes."""
        return None


def label_of(obj: Any) -> str:
    """A short human name for a row: its code, username or English name."""
    for name in ("code", "username", "name_en", "name"):
        value = getattr(obj, name, None)
        if value:
            return str(value)[:255]
    return ""


@contextlib.contextmanager
def reason(text: str | None) -> Iterator[None]:
    """Say why the changes flushed inside this block are made."""
    token = _reason.set(text or None)
    try:
        yield
    finally:
        _reason.reset(token)


def set_actor(user_id: int | None, name: str) -> contextvars.Token:
    return _actor.set((user_id, name))


def reset_actor(token: contextvars.Token) -> None:
    _actor.reset(token)


def _current_actor() -> tuple[int | None, str]:
    actor = _actor.get()
    if actor is not None:
        return actor
    from flask import has_request_context
    from flask_login import current_user

    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.id, current_user.username
    return None, "system"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "value") and not isinstance(value, int | float | str):
        return str(value.value)  # enums
    if isinstance(value, list | tuple | set):
        return json.dumps(sorted(_text(v) or "" for v in value), ensure_ascii=False)
    if isinstance(value, Base):
        return (value.audit_label() if isinstance(value, Audited) else label_of(value)) or str(
            sa.inspect(value).identity
        )
    return str(value)


def _collection_label(items: Any) -> list[str]:
    return [_text(i) or "" for i in items or []]


def _is_lock_column(mapper: so.Mapper, attr: so.ColumnProperty) -> bool:
    """The optimistic-locking counter (leap_me.locking) says nothing a reader needs."""
    lock = mapper.version_id_col
    return lock is not None and any(c is lock for c in attr.columns)


def _snapshot(obj: Any) -> dict[str, str | None]:
    mapper = sa.inspect(obj).mapper
    data: dict[str, str | None] = {}
    skip = IGNORED_FIELDS | set(getattr(obj, "audit_ignore", ()))
    for attr in mapper.column_attrs:
        if attr.key in skip or _is_lock_column(mapper, attr):
            continue
        value = getattr(obj, attr.key)
        data[attr.key] = "***" if attr.key in MASKED_FIELDS and value else _text(value)
    for rel in mapper.relationships:
        if rel.secondary is not None:
            data[rel.key] = json.dumps(sorted(_collection_label(getattr(obj, rel.key))))
    return data


def _changes(obj: Any) -> list[tuple[str, str | None, str | None]]:
    state = sa.inspect(obj)
    out = []
    skip = IGNORED_FIELDS | set(getattr(obj, "audit_ignore", ()))
    for attr in state.mapper.column_attrs:
        if attr.key in skip or _is_lock_column(state.mapper, attr):
            continue
        hist = state.attrs[attr.key].history
        if not hist.has_changes():
            continue
        old = hist.deleted[0] if hist.deleted else None
        new = hist.added[0] if hist.added else None
        if old == new or (not hist.deleted and new is None):
            continue
        if attr.key in MASKED_FIELDS:
            out.append((attr.key, "***" if old else None, "***"))
        else:
            out.append((attr.key, _text(old), _text(new)))
    for rel in state.mapper.relationships:
        if rel.secondary is None:
            continue
        hist = state.attrs[rel.key].history
        if not hist.has_changes():
            continue
        now = sorted(_collection_label(hist.unchanged) + _collection_label(hist.added))
        before = sorted(_collection_label(hist.unchanged) + _collection_label(hist.deleted))
        if now != before:
            out.append((rel.key, json.dumps(before), json.dumps(now)))
    return out


def _identity(obj: Any) -> str:
    state = sa.inspect(obj)
    # A row created in this flush has its primary key but not yet its identity key.
    ident = state.identity or state.mapper.primary_key_from_instance(obj)
    return ",".join(str(i) for i in ident) if ident and None not in ident else ""


def _after_flush(session: so.Session, _ctx: Any) -> None:
    rows: list[dict[str, Any]] = []
    user_id, actor = _current_actor()
    why = _reason.get()
    now = utcnow()

    def row(obj: Any, action: str, field=None, old=None, new=None) -> dict[str, Any]:
        parent = obj.audit_parent()
        return {
            "parent_type": parent[0] if parent else None,
            "parent_id": str(parent[1]) if parent else None,
            "created_dt": now,
            "user_id": user_id,
            "actor": actor[:80],
            "action": action,
            "object_type": obj.__tablename__,
            "object_id": _identity(obj),
            "object_label": obj.audit_label(),
            "field": field,
            "old_value": old,
            "new_value": new,
            "reason": why,
        }

    for obj in session.new:
        if isinstance(obj, Audited):
            snap = json.dumps(_snapshot(obj), ensure_ascii=False, sort_keys=True)
            rows.append(row(obj, "create", new=snap))
    for obj in session.dirty:
        if isinstance(obj, Audited) and session.is_modified(obj):
            for field, old, new in _changes(obj):
                rows.append(row(obj, "update", field, old, new))
    for obj in session.deleted:
        if isinstance(obj, Audited):
            snap = json.dumps(_snapshot(obj), ensure_ascii=False, sort_keys=True)
            rows.append(row(obj, "delete", old=snap))
    if rows:
        session.connection().execute(sa.insert(AuditEntry.__table__), rows)


def bulk_record(
    connection: sa.Connection,
    entries: list[dict[str, Any]],
    *,
    at: datetime | None = None,
) -> int:
    """Write many audit entries in one statement, for set-based writes that bypass the
    ORM (and so the listener). Each entry gives action, object_type, object_id and
    optionally object_label, parent_type, parent_id, field, old_value, new_value; who,
    when (``at``, now by default) and why are filled in as the listener would."""
    if not entries:
        return 0
    base = _bulk_defaults()
    cols = _BULK_COLUMNS
    # Every value is a str, an int or None, which the driver takes as it is: the rows go
    # to it directly, with the timestamp written into the statement once, in batches.
    stamp = timestamp_literal(at or utcnow(), connection.dialect)
    stmt = sa.insert(AuditEntry.__table__).values(
        created_dt=stamp, **{c: sa.bindparam(c) for c in cols}
    )
    compiled = stmt.compile(dialect=connection.dialect)
    sql = str(compiled)
    # qmark / format bind by position (in the statement's order); named / pyformat by name
    order = list(compiled.positiontup) if compiled.positiontup is not None else None

    def param(entry: dict[str, Any]):
        row = {**base, **entry}
        for k in ("old_value", "new_value"):
            v = row[k]
            if v is not None and type(v) is not str:
                row[k] = _text(v)
        return tuple(row[c] for c in order) if order is not None else row

    for start in range(0, len(entries), _BATCH):
        connection.exec_driver_sql(sql, [param(e) for e in entries[start : start + _BATCH]])
    return len(entries)


def _bulk_defaults() -> dict[str, Any]:
    """What a bulk entry holds unless it says otherwise: who and why as the listener
    fills them in, and empty optional columns."""
    user_id, actor = _current_actor()
    return {
        "user_id": user_id,
        "actor": actor[:80],
        "reason": _reason.get(),
        "object_label": "",
        "parent_type": None,
        "parent_id": None,
        "field": None,
        "old_value": None,
        "new_value": None,
    }


def bulk_record_rows(
    connection: sa.Connection,
    rows: Iterable[tuple],
    *,
    columns: Sequence[str],
    fixed: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> int:
    """:func:`bulk_record` for many entries that share most of their columns, with the
    least work per entry: ``fixed`` gives what every entry has alike (action,
    object_type, parent_type, ...), and each row is a tuple of the values (str or None)
    of ``columns`` (for example object_id, object_label, new_value). Who and why are
    filled in as the listener would; ``at`` is the one timestamp (now by default). The
    rows are taken in batches, so a generator is never held whole."""
    columns = tuple(columns)
    values, constant = _bulk_columns(columns, fixed or {})
    # what is alike in every entry and cannot need quoting (NULL, a number, a code such
    # as "create" or "data_value") is written into the statement once; the rest is bound
    inline = {c: values[c] for c in constant if _is_plain_literal(values[c])}
    bound = tuple(c for c in constant if c not in inline)
    names = bound + columns
    prefix = tuple(values[c] for c in bound)
    stamp = timestamp_literal(at or utcnow(), connection.dialect)
    stmt = sa.insert(AuditEntry.__table__).values(
        created_dt=stamp,
        **{c: sa.literal_column(_literal_sql(v)) for c, v in inline.items()},
        **{c: sa.bindparam(c) for c in names},
    )
    compiled = stmt.compile(dialect=connection.dialect)
    sql = str(compiled)
    order = list(compiled.positiontup) if compiled.positiontup is not None else None
    index = [names.index(c) for c in order] if order is not None else None
    direct = order == list(names)
    written = 0
    it = iter(rows)
    while batch := list(itertools.islice(it, _BATCH)):
        if direct:
            params: list[Any] = [prefix + r for r in batch]
        elif index is not None:
            params = [tuple((prefix + r)[i] for i in index) for r in batch]
        else:
            params = [dict(zip(names, prefix + r, strict=True)) for r in batch]
        connection.exec_driver_sql(sql, params)
        written += len(batch)
    return written


def bulk_record_from(
    connection: sa.Connection,
    select: sa.Select,
    *,
    fixed: dict[str, Any],
    at: datetime | None = None,
) -> int:
    """:func:`bulk_record_rows` with the entries made by the database: one
    ``INSERT INTO audit_entry … SELECT`` whose rows are ``select``'s. Its columns are
    named by their labels (object_id, object_label, new_value, …); ``fixed`` gives what
    every entry has alike; who, why and when are filled in as :func:`bulk_record_rows`
    fills them. Nothing goes through Python per entry: for a set-based write whose new
    rows are already in a table (a 100,000-value post). Returns the number written."""
    columns = tuple(c.name for c in select.selected_columns)
    values, constant = _bulk_columns(columns, fixed)
    stamp = timestamp_literal(at or utcnow(), connection.dialect)
    source = select.add_columns(
        stamp.label("created_dt"),
        *[sa.literal(values[c], type_=AuditEntry.__table__.c[c].type).label(c) for c in constant],
    )
    target = [*columns, "created_dt", *constant]
    result = connection.execute(
        sa.insert(AuditEntry.__table__).from_select(target, source),
        # an INSERT's rowcount is kept only when asked for (psycopg gives -1 otherwise)
        execution_options={"preserve_rowcount": True},
    )
    return result.rowcount


def _bulk_columns(
    columns: tuple[str, ...], fixed: dict[str, Any]
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """For a bulk write whose entries differ in ``columns`` and share ``fixed``: the
    shared values (who and why filled in) and the columns that take them. Refuses a name
    that is no audit column and entries that would lack action, object type or id."""
    values: dict[str, Any] = {**_bulk_defaults(), **fixed}
    unknown = [c for c in (*columns, *values) if c not in _BULK_COLUMNS]
    if unknown:
        raise ValueError(f"not audit columns: {unknown}")
    constant = tuple(c for c in _BULK_COLUMNS if c not in columns)
    required = ("action", "object_type", "object_id")
    missing = [c for c in required if c in constant and c not in values]
    if missing:
        raise ValueError(f"audit entries need {missing}")
    return values, constant


_PLAIN = re.compile(r"[A-Za-z0-9_]{0,60}")


def _is_plain_literal(value: Any) -> bool:
    """NULL, an integer or a code of letters, digits and underscores: safe to write into
    SQL as it is, with no quoting rule of any database involved."""
    if value is None:
        return True
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, str) and _PLAIN.fullmatch(value) is not None


def _literal_sql(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(int(value))
    return f"'{value}'"


_BATCH = 10_000
_BULK_COLUMNS = (
    "user_id",
    "actor",
    "reason",
    "action",
    "object_type",
    "object_id",
    "object_label",
    "parent_type",
    "parent_id",
    "field",
    "old_value",
    "new_value",
)


def install(session_class: type[so.Session] | so.scoped_session) -> None:
    """Attach the listener; called once by the application factory."""
    if not event.contains(session_class, "after_flush", _after_flush):
        event.listen(session_class, "after_flush", _after_flush)


def history_select(object_type: str, object_id: Any) -> sa.Select:
    """Changes to the record and to the records that name it as their parent."""
    oid = str(object_id)
    return (
        sa.select(AuditEntry)
        .where(
            sa.or_(
                sa.and_(AuditEntry.object_type == object_type, AuditEntry.object_id == oid),
                sa.and_(AuditEntry.parent_type == object_type, AuditEntry.parent_id == oid),
            )
        )
        .order_by(AuditEntry.created_dt.desc(), AuditEntry.id.desc())
    )
