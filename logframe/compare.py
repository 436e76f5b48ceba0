"""Compare two versions of the plan: results matched by their stable key, field by field."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import orm as so

from logframe.models import PlanVersion, Result
from logframe.services import code_sort_key, load_results

#: The fields a reader compares, in the order the page shows them.
RESULT_FIELDS: dict[str, Any] = {
    "code": _l("Code"),
    "parent": _l("Under"),
    "statement_en": _l("Statement (English)"),
    "statement_km": _l("Statement (Khmer)"),
    "assumptions_en": _l("Assumptions (English)"),
    "assumptions_km": _l("Assumptions (Khmer)"),
    "risks_en": _l("Risks (English)"),
    "risks_km": _l("Risks (Khmer)"),
    "verification_en": _l("Means of verification (English)"),
    "verification_km": _l("Means of verification (Khmer)"),
    "responsible": _l("Responsible organisation"),
    "partners": _l("Partner organisations"),
    "provinces": _l("Provinces"),
    "start_date": _l("Start"),
    "end_date": _l("End"),
    "status": _l("Status"),
    "progress": _l("Progress (%)"),
    "cost": _l("Estimated cost"),
    "delay_note_en": _l("Why delayed (English)"),
    "delay_note_km": _l("Why delayed (Khmer)"),
}
VISION_FIELDS = {"vision_en": _l("Vision (English)"), "vision_km": _l("Vision (Khmer)")}


@dataclass
class Change:
    field: str
    label: Any
    old: str
    new: str


@dataclass
class ResultDiff:
    key: str
    level: str
    code: str
    statement_en: str
    statement_km: str
    changes: list[Change] = field(default_factory=list)


@dataclass
class Comparison:
    old: PlanVersion
    new: PlanVersion
    vision: list[Change]
    milestones_added: list[Any]
    milestones_removed: list[Any]
    milestones_changed: list[tuple[int, list[Change]]]
    added: list[ResultDiff]
    removed: list[ResultDiff]
    changed: list[ResultDiff]

    @property
    def is_empty(self) -> bool:
        return not (
            self.vision
            or self.milestones_added
            or self.milestones_removed
            or self.milestones_changed
            or self.added
            or self.removed
            or self.changed
        )


def _values(r: Result, by_id: dict[int, Result]) -> dict[str, str]:
    parent = by_id.get(r.parent_id) if r.parent_id else None
    out = {
        "code": r.code,
        "parent": parent.key if parent else "",
        "responsible": r.responsible.code if r.responsible else "",
        "partners": ", ".join(o.code for o in r.partners),
        "provinces": ", ".join(p.code for p in r.provinces),
        "start_date": r.start_date.isoformat() if r.start_date else "",
        "end_date": r.end_date.isoformat() if r.end_date else "",
        "status": str(r.status_enum.title) if r.status else "",
        "progress": "" if r.progress is None else str(r.progress),
        "cost": "" if r.cost is None else f"{r.cost:.2f} {r.cost_currency}",
    }
    for name in RESULT_FIELDS:
        if name not in out:
            out[name] = getattr(r, name) or ""
    return out


def _diff(old: dict[str, str], new: dict[str, str], labels: dict[str, Any]) -> list[Change]:
    return [
        Change(name, label, old.get(name, ""), new.get(name, ""))
        for name, label in labels.items()
        if old.get(name, "") != new.get(name, "")
    ]


def _code_of(r: Result | None) -> str:
    if r is None:
        return ""
    return f"{r.code} ({r.key})" if r.code else r.key


def _summary(r: Result) -> ResultDiff:
    return ResultDiff(r.key, r.level, r.code, r.statement_en, r.statement_km)


def compare(session: so.Session, old: PlanVersion, new: PlanVersion) -> Comparison:
    old_results, new_results = load_results(session, old), load_results(session, new)
    old_by_id = {r.id: r for r in old_results}
    new_by_id = {r.id: r for r in new_results}
    old_by_key = {r.key: r for r in old_results}
    new_by_key = {r.key: r for r in new_results}

    def order(items: list[ResultDiff]) -> list[ResultDiff]:
        return sorted(items, key=lambda d: code_sort_key(d.code))

    added = order([_summary(r) for k, r in new_by_key.items() if k not in old_by_key])
    removed = order([_summary(r) for k, r in old_by_key.items() if k not in new_by_key])
    changed = []
    for key, r in new_by_key.items():
        if key in old_by_key:
            changes = _diff(
                _values(old_by_key[key], old_by_id), _values(r, new_by_id), RESULT_FIELDS
            )
            for c in changes:  # parents are matched by key, shown by their code
                if c.field == "parent":
                    c.old = _code_of(old_by_key.get(c.old))
                    c.new = _code_of(new_by_key.get(c.new))
            if changes:
                diff = _summary(r)
                diff.changes = changes
                changed.append(diff)

    vision = _diff(
        {k: getattr(old, k) for k in VISION_FIELDS},
        {k: getattr(new, k) for k in VISION_FIELDS},
        VISION_FIELDS,
    )
    old_ms = {m.year: m for m in old.milestones}
    new_ms = {m.year: m for m in new.milestones}
    ms_labels = {"text_en": _l("Milestone (English)"), "text_km": _l("Milestone (Khmer)")}
    ms_changed = []
    for year in sorted(set(old_ms) & set(new_ms)):
        changes = _diff(
            {k: getattr(old_ms[year], k) for k in ms_labels},
            {k: getattr(new_ms[year], k) for k in ms_labels},
            ms_labels,
        )
        if changes:
            ms_changed.append((year, changes))
    return Comparison(
        old=old,
        new=new,
        vision=vision,
        milestones_added=[new_ms[y] for y in sorted(set(new_ms) - set(old_ms))],
        milestones_removed=[old_ms[y] for y in sorted(set(old_ms) - set(new_ms))],
        milestones_changed=ms_changed,
        added=added,
        removed=removed,
        changed=order(changed),
    )
