"""The one history renderer: every history page reads the audit trail through here.

An audit entry stores raw column names and values (``approved_dt``, a JSON snapshot of a
created row). This module turns each entry into a sentence in the page's language:
*Changed Status from "Draft" to "Approved".*, *Created contact "Sok Dara".* with the
created row's fields listed by their labels. Each domain registers, for every audited
model, a noun and a label per field (``register(Model, noun, fields, values=...)``, in
its ``audit_labels`` module, imported by the factory); foreign keys are shown by the
name of the row they point at, in the page's language, loaded once per page.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from leap_me import numbers
from leap_me.audit import AuditEntry, history_select
from leap_me.extensions import db

#: Labels for columns many models share; a model's own map wins.
COMMON_FIELDS: dict[str, Any] = {
    "code": _l("Code"),
    "name": _l("Name"),
    "name_en": _l("Name in English"),
    "name_km": _l("Name in Khmer"),
    "note": _l("Note"),
    "notes": _l("Notes"),
    "status": _l("Status"),
    "year": _l("Year"),
    "position": _l("Position in the list"),
    "number": _l("Number"),
    "currency": _l("Currency"),
    "amount": _l("Amount"),
    "is_demo": _l("Demonstration data"),
    "version_id": _l("Version"),
    "version": _l("Edit version"),
    "lock_version": _l("Edit version"),
    "row_version": _l("Edit version"),
}

ValueMap = Mapping[str, Any] | Callable[[str], Any] | type


@dataclass
class ModelLabels:
    noun: Any
    fields: dict[str, Any]
    values: dict[str, ValueMap] = field(default_factory=dict)
    #: Name of the object in the history's "Item" column, from its entry (optional).
    item: Callable[[AuditEntry], str] | None = None


_registry: dict[str, ModelLabels] = {}


def register(
    model: type,
    noun: Any,
    fields: dict[str, Any],
    values: dict[str, ValueMap] | None = None,
    item: Callable[[AuditEntry], str] | None = None,
) -> None:
    """Say how the history names a model and its fields (called by each domain)."""
    _registry[model.__tablename__] = ModelLabels(noun, dict(fields), dict(values or {}), item)


def labels_for(table: str) -> ModelLabels | None:
    return _registry.get(table)


def field_label(table: str, name: str) -> str:
    labels = _registry.get(table)
    if labels and name in labels.fields:
        return str(labels.fields[name])
    if name in COMMON_FIELDS:
        return str(COMMON_FIELDS[name])
    return name.replace("_", " ")  # a column nobody registered; tests refuse this


def _mapper_for(table: str):
    from leap_me.db import Base

    for mapper in Base.registry.mappers:
        if getattr(mapper.class_, "__tablename__", None) == table:
            return mapper
    return None


_columns_cache: dict[str, dict[str, sa.Column]] = {}


def _columns(table: str) -> dict[str, sa.Column]:
    if table not in _columns_cache:
        mapper = _mapper_for(table)
        cols: dict[str, sa.Column] = {}
        if mapper is not None:
            for attr in mapper.column_attrs:
                cols[attr.key] = attr.columns[0]
        _columns_cache[table] = cols
    return _columns_cache[table]


def _fk_target(col: sa.Column | None) -> str | None:
    if col is None:
        return None
    for fk in col.foreign_keys:
        return fk.column.table.name
    return None


def system_actor(name: str) -> str:
    return _("system / seed data") if name == "system" else name


@dataclass
class Entry:
    """One audit entry as the page shows it."""

    raw: AuditEntry
    when: datetime
    who: str
    item: str
    sentence: Markup
    details: list[tuple[str, str]]
    reason: str


class _Names:
    """Names of the rows foreign keys point at, loaded once per page per table."""

    def __init__(self) -> None:
        self.wanted: dict[str, set[int]] = {}
        self.names: dict[tuple[str, int], str] = {}

    def want(self, table: str, value: str | None) -> None:
        with contextlib.suppress(TypeError, ValueError):
            self.wanted.setdefault(table, set()).add(int(value))

    def load(self) -> None:
        from leap_me.i18n import localized

        for table, ids in self.wanted.items():
            mapper = _mapper_for(table)
            if mapper is None or not ids:
                continue
            cls = mapper.class_
            for obj in db.session.scalars(sa.select(cls).where(cls.id.in_(sorted(ids)))):
                if hasattr(obj, "name_en"):
                    name = localized(obj)
                elif hasattr(obj, "audit_label"):
                    name = obj.audit_label()
                else:
                    name = str(obj.id)
                self.names[(table, obj.id)] = name

    def get(self, table: str, value: str) -> str:
        try:
            return self.names.get((table, int(value)), value)
        except ValueError:
            return value


def _value(table: str, name: str, text: str | None, names: _Names) -> str:
    """A stored value in the page's language and format."""
    from leap_me.i18n import format_date, format_datetime, number

    if text is None or text == "":
        return ""
    if text == "***":
        return _("(hidden)")
    labels = _registry.get(table)
    mapping = labels.values.get(name) if labels else None
    if mapping is not None:
        try:
            if isinstance(mapping, type):
                return str(mapping(text).title)
            if callable(mapping) and not isinstance(mapping, Mapping):
                return str(mapping(text))
            if text in mapping:
                return str(mapping[text])
        except (ValueError, KeyError):
            pass
    col = _columns(table).get(name)
    if col is None:  # a many-to-many list, stored as JSON
        try:
            items = json.loads(text)
        except ValueError:
            return text
        return ", ".join(str(i) for i in items) if isinstance(items, list) else text
    if (target := _fk_target(col)) is not None:
        return names.get(target, text)
    kind = getattr(col.type, "impl", col.type)  # a TypeDecorator's stored type
    try:
        if isinstance(kind, sa.Boolean):
            return _("yes") if text == "true" else _("no")
        if isinstance(kind, sa.DateTime):
            return format_datetime(datetime.fromisoformat(text))
        if isinstance(kind, sa.Date):
            return format_date(date.fromisoformat(text))
        if isinstance(kind, sa.Numeric | sa.Integer) and not name.endswith("year"):
            value = Decimal(text)
            places = max(0, -value.normalize().as_tuple().exponent)
            return number(value, min(places, 6))
    except (ValueError, InvalidOperation, TypeError):
        return text
    return text


def _quote(text: str) -> Markup:
    return Markup("“{}”").format(text)


def _sentence(template: str, **params: Any) -> Markup:
    """A translated sentence with its values escaped (the template itself is ours)."""
    return escape(template) % params  # Markup % escapes every value that is not Markup


def _describe(e: AuditEntry, names: _Names) -> tuple[Markup, list[tuple[str, str]]]:
    table = e.object_type
    labels = _registry.get(table)
    noun = str(labels.noun) if labels else table
    what = Markup("{} {}").format(noun, _quote(item_label(e)))
    if e.action in ("create", "delete"):
        snapshot = _snapshot(e.new_value if e.action == "create" else e.old_value)
        details = [
            (field_label(table, k), _value(table, k, v, names))
            for k, v in snapshot.items()
            if v not in (None, "", "[]")
        ]
        if e.action == "create":
            return _sentence(_("Created %(what)s."), what=what), details
        return _sentence(_("Deleted %(what)s."), what=what), details
    label = field_label(table, e.field or "")
    old = _value(table, e.field or "", e.old_value, names)
    new = _value(table, e.field or "", e.new_value, names)
    if not old:
        return _sentence(_("Set %(field)s to %(new)s."), field=label, new=_quote(new)), []
    if not new:
        return _sentence(_("Cleared %(field)s (it was %(old)s)."), field=label, old=_quote(old)), []
    return (
        _sentence(
            _("Changed %(field)s from %(old)s to %(new)s."),
            field=label,
            old=_quote(old),
            new=_quote(new),
        ),
        [],
    )


def _snapshot(text: str | None) -> dict[str, Any]:
    try:
        data = json.loads(text or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def item_label(e: AuditEntry) -> str:
    labels = _registry.get(e.object_type)
    if labels and labels.item:
        return labels.item(e)
    return e.object_label or e.object_id


def describe(entries: Iterable[AuditEntry]) -> list[Entry]:
    """Sentences for a page of entries, with two or three queries whatever the page size."""
    entries = list(entries)
    names = _Names()
    for e in entries:
        cols = _columns(e.object_type)
        if e.action == "update":
            target = _fk_target(cols.get(e.field or ""))
            if target:
                names.want(target, e.old_value)
                names.want(target, e.new_value)
        else:
            for k, v in _snapshot(e.new_value or e.old_value).items():
                if target := _fk_target(cols.get(k)):
                    names.want(target, v)
    names.load()
    out = []
    for e in entries:
        sentence, details = _describe(e, names)
        labels = _registry.get(e.object_type)
        noun = str(labels.noun) if labels else e.object_type
        out.append(
            Entry(
                raw=e,
                when=e.created_dt,
                who=system_actor(e.actor),
                item=f"{noun} {item_label(e)}".strip(),
                sentence=sentence,
                details=details,
                reason=_("seed data") if e.reason == "seed data" else (e.reason or ""),
            )
        )
    return out


def _page_number() -> int:

    return numbers.query_int("page", minimum=1, default=1)


def history_page(stmt: sa.Select, title: str, back_url: str, obj: Any = None, per_page=None):
    """Render any selection of audit entries (newest first) as the history page."""
    if not stmt._order_by_clauses:
        stmt = stmt.order_by(AuditEntry.created_dt.desc(), AuditEntry.id.desc())
    pagination = db.paginate(
        stmt,
        page=_page_number(),
        per_page=per_page or current_app.config["PAGE_SIZE"] * 2,
        error_out=False,
    )
    rows = describe(pagination.items)
    own = (obj.__tablename__, str(obj.id)) if obj is not None else None
    show_item = any((r.raw.object_type, r.raw.object_id) != own for r in rows)
    return render_template(
        "history.html",
        entries=pagination,
        rows=rows,
        show_item=show_item,
        title=title,
        back_url=back_url,
        obj=obj,
    )


def render_history(obj: Any, title: str, back_url: str):
    return history_page(history_select(obj.__tablename__, obj.id), title, back_url, obj=obj)
