"""Optimistic locking: one mechanism for every edit form, so that no save silently wins.

How it works (docs/architecture.md, "Lost updates"):

* A record that is edited through a form inherits :class:`Versioned`: an integer
  ``row_version`` column that SQLAlchemy uses as its ``version_id_col``. Every UPDATE of the
  row adds one to it and carries ``WHERE version = <the version loaded>``, so two
  requests racing inside the same second cannot both write.
* A set of rows edited together (a target grid, the exchange rates) has no row of its
  own: its *token* is a :func:`fingerprint` of the rows instead.
* The edit form carries the token it was shown with in a hidden :class:`VersionField`
  (``LockedForm`` adds it to a WTForms form; a plain HTML form posts ``row_version``).
  On save the view calls :func:`detect` (or :func:`check` for a set) before it changes
  anything. When the token no longer matches, nothing is written; the view re-shows its
  form at HTTP 409 with what the user typed still in it, the *new* token in the hidden
  field (so one click on Save deliberately replaces the stored version), and the
  ``templates/conflict.html`` panel on top: field by field, the stored value, who saved
  it and when (from the audit trail), and what this user typed.
* A save that changes only a record's children (the amounts of a budget line, the path
  points of a schedule) calls :func:`bump` so that the record's version still moves.

The module knows nothing about any domain: submissions, reports or any later edit form
adopt it with the mixin, the field, :func:`detect` and the template.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import orm as so
from sqlalchemy.orm.exc import StaleDataError
from wtforms import HiddenField

from leap_me.db import utcnow

#: HTTP status of a page that reports a conflict.
CONFLICT = 409


class Versioned:
    """Mixin: the row carries a version that every UPDATE checks and increments.

    The column is ``row_version`` (``version`` is already a relationship or a business
    field in several models). A model with its own counter can instead name it in
    ``__mapper_args__ = {"version_id_col": ...}``: :func:`token_of` reads whichever
    column the mapper checks.
    """

    row_version: so.Mapped[int] = so.mapped_column(nullable=False, default=1, server_default="1")

    @so.declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.row_version}


def token_of(obj: Any) -> str:
    """The token an edit form carries for one versioned record (its version number)."""
    if obj is None:
        return ""
    mapper = sa.inspect(obj).mapper
    if mapper.version_id_col is None:
        raise TypeError(f"{type(obj).__name__} has no version column")
    value = getattr(obj, mapper.get_property_by_column(mapper.version_id_col).key)
    return "" if value is None else str(value)


def fingerprint(rows: Iterable[Sequence[Any]]) -> str:
    """A token for a set of rows edited together: changes when any row is added, removed
    or changed. Rows are tuples of plain values; their order does not matter."""
    lines = sorted("\x1f".join(_plain(v) for v in row) for row in rows)
    return hashlib.sha256("\x1e".join(lines).encode()).hexdigest()[:20]


def bump(obj: Any) -> None:
    """Move a record's version although none of its own columns changed (its children
    did). Records with ``updated_dt`` get a fresh time stamp, which forces the UPDATE."""
    if hasattr(obj, "updated_dt"):
        obj.updated_dt = utcnow()
    else:  # pragma: no cover - every versioned model so far has updated_dt
        so.attributes.flag_modified(obj, _first_data_column(obj))


def _first_data_column(obj: Any) -> str:
    mapper = sa.inspect(obj).mapper
    for attr in mapper.column_attrs:
        if attr.key not in ("id", "row_version"):
            return attr.key
    raise ValueError("nothing to flag")


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value else str(value)
    return str(value)


class VersionField(HiddenField):
    """The hidden field that carries the record's token; it always renders ``data`` (so a
    view can give it the new token after a conflict, although the form was posted)."""

    def _value(self) -> str:
        return "" if self.data is None else str(self.data)

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = valuelist[0][:64] if valuelist else ""


#: The name of the hidden field (and of the posted value of a plain HTML form).
FIELD = "row_version"


class LockedForm:
    """Form mixin: the hidden version field. Fill it with :func:`prime` on GET."""

    row_version = VersionField(_l("Version"))


def prime(form: Any, token: str) -> None:
    """Give a form the token of what it shows (on GET, and after a conflict)."""
    form.row_version.data = token


# --- the conflict -------------------------------------------------------------------


@dataclass
class ConflictRow:
    label: str
    stored: str
    typed: str
    changed_by: str = ""
    changed_dt: datetime | None = None


@dataclass
class Conflict:
    """What the conflict panel shows: who saved meanwhile and the differing fields."""

    token: str
    rows: list[ConflictRow] = field(default_factory=list)
    saved_by: str = ""
    saved_dt: datetime | None = None
    discard_url: str = ""

    @property
    def status(self) -> int:
        return CONFLICT


def submitted_token(form: Any = None) -> str:
    if form is not None and hasattr(form, FIELD):
        value = getattr(form, FIELD).data  # an int when a form was filled from its object
        return "" if value in (None, "") else str(value)
    return (request.form.get(FIELD) or "")[:64]


def check(submitted: str | None, current: str) -> bool:
    """True when the form was made from what is stored now.

    A post that carries no token at all (a script, a form made before this mechanism)
    is not compared with the time its form was opened; the UPDATE's own version check
    still refuses it if the row changed during the request. Every edit page sends the
    token, so a browser's save is always checked.
    """
    if not submitted:
        return True
    return submitted == (current or "")


def display(value: Any, choices: Mapping[Any, str] | None = None) -> str:
    """One stored or typed value as the conflict panel shows it."""
    if isinstance(value, list | tuple | set):
        parts = [display(v, choices) for v in value]
        return ", ".join(sorted(p for p in parts if p and p != "—")) or "—"
    if choices is not None and value is not None:
        for key in (value, str(value)):
            if key in choices:
                return str(choices[key])
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, Decimal):
        return _plain(value)
    if hasattr(value, "isoformat") and not isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _choices_of(form_field: Any) -> dict[Any, str] | None:
    choices = getattr(form_field, "choices", None)
    if not choices:
        return None
    out: dict[Any, str] = {}
    for item in choices:
        if isinstance(item, tuple | list) and len(item) >= 2:
            out[item[0]] = str(item[1])
            out[str(item[0])] = str(item[1])
    return out


def last_changes(object_type: str, object_id: Any, limit: int = 200):
    """{field: (actor, when)} of the latest audited change of each field of one record
    (and of the records that name it as parent), and the latest change overall."""
    from leap_me.audit import history_select
    from leap_me.extensions import db

    entries = db.session.scalars(history_select(object_type, object_id).limit(limit)).all()
    per_field: dict[str, tuple[str, datetime]] = {}
    for e in entries:
        if e.field and e.field not in per_field:
            per_field[e.field] = (e.actor, e.created_dt)
    latest = (entries[0].actor, entries[0].created_dt) if entries else ("", None)
    return per_field, latest


def detect(
    form: Any,
    obj: Any,
    names: Sequence[str],
    *,
    stored: Mapping[str, Any] | None = None,
    audit_fields: Mapping[str, str] | None = None,
    discard_url: str | None = None,
    current: str | None = None,
    extra_rows: Sequence[ConflictRow] = (),
) -> Conflict | None:
    """None when ``form`` was made from the stored ``obj``; otherwise the conflict, with
    the form's hidden field set to the stored token so that the next save wins.

    ``names`` are the form fields compared; ``stored`` overrides the stored value of a
    field (for one that is not an attribute of ``obj`` of the same name);
    ``audit_fields`` maps a form field to the audited column whose last change is shown;
    ``extra_rows`` are differences the caller found outside the form (a grid of cells).
    When the stored record differs from what was typed in none of the compared fields
    (someone else changed only what this form does not show), there is no conflict: the
    save goes ahead, still guarded by the version check of the UPDATE.
    """
    current = token_of(obj) if current is None else current
    if check(submitted_token(form), current):
        return None
    stored = dict(stored or {})
    audit_fields = dict(audit_fields or {})
    per_field, latest = last_changes(obj.__tablename__, obj.id)
    rows: list[ConflictRow] = []
    for name in names:
        form_field = getattr(form, name, None)
        if form_field is None:
            continue
        choices = _choices_of(form_field)
        was = stored[name] if name in stored else getattr(obj, name, None)
        now_typed = form_field.data
        shown_stored, shown_typed = display(was, choices), display(now_typed, choices)
        if shown_stored == shown_typed:
            continue
        who, when = per_field.get(audit_fields.get(name, name), ("", None))
        rows.append(ConflictRow(str(form_field.label.text), shown_stored, shown_typed, who, when))
    rows.extend(extra_rows)
    if not rows:
        return None
    prime(form, current)
    return Conflict(
        token=current,
        rows=rows,
        saved_by=latest[0],
        saved_dt=latest[1],
        discard_url=discard_url or request.url,
    )


def conflict_of_cells(
    current: str,
    stored: Mapping[Any, str],
    typed: Mapping[Any, str],
    labels: Mapping[Any, str],
    *,
    object_type: str | None = None,
    object_id: Any = None,
    discard_url: str | None = None,
) -> Conflict:
    """The conflict of a set of cells (a grid) whose fingerprint moved: one row per cell
    where what is stored differs from what was typed."""
    saved_by, saved_dt = "", None
    if object_type is not None:
        _per_field, (saved_by, saved_dt) = last_changes(object_type, object_id)
    rows = [
        ConflictRow(str(labels.get(key, key)), display(stored.get(key)), display(typed.get(key)))
        for key in labels
        if display(stored.get(key)) != display(typed.get(key))
    ]
    return Conflict(
        token=current,
        rows=rows,
        saved_by=saved_by,
        saved_dt=saved_dt,
        discard_url=discard_url or request.url,
    )


def install(app: Flask) -> None:
    """A write that lost the race between its check and its flush (StaleDataError) gets
    the same answer as a conflict found on load: 409, nothing saved."""

    def stale(_exc: StaleDataError):
        from leap_me.errors import json_error, wants_json
        from leap_me.extensions import db

        db.session.rollback()
        text = _(
            "Someone else saved this record at the same moment. Nothing of yours was saved: "
            "go back, reload the page and make your change again."
        )
        if wants_json():
            return json_error(CONFLICT, text)
        return (
            render_template("errors/error.html", status=CONFLICT, title=_("Conflict"), text=text),
            CONFLICT,
        )

    app.register_error_handler(StaleDataError, stale)
    app.jinja_env.filters["conflict_time"] = when


def when(value: datetime | None) -> str:
    """The time of a change, unambiguous in both languages (2026-12-01 10:30)."""
    if value is None:
        return ""
    from flask_babel import format_datetime

    return format_datetime(value, "yyyy-MM-dd HH:mm")
