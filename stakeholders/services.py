"""Organisations and provinces: reads, writes and the seed loader. No request, no commit."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm as so

from leap_me.i18n import coded_name, localized
from leap_me.seeding import load_yaml
from stakeholders.models import Contact, Organisation, OrgType, Province


def organisation_choices(
    session: so.Session, lang: str | None = None, keep: int | None = None
) -> list[tuple[int, str]]:
    """Active organisations, plus ``keep`` (the record's current one) even if inactive,
    named in the page's language (``lang`` is ignored: kept for older callers)."""
    active = Organisation.is_active.is_(True)
    rows = session.execute(
        sa.select(Organisation.id, Organisation.code, Organisation.name_en, Organisation.name_km)
        .where(sa.or_(active, Organisation.id == keep) if keep else active)
        .order_by(Organisation.code)
    )
    return [(r.id, coded_name(r.code, r.name_en, r.name_km)) for r in rows]


def province_choices(session: so.Session, lang: str | None = None) -> list[tuple[int, str]]:
    """Provinces named in the page's language (``lang`` is ignored: kept for old callers)."""
    rows = session.scalars(sa.select(Province).order_by(Province.name_en))
    return [(p.id, localized(p)) for p in rows]


def provinces_by_code(session: so.Session) -> dict[str, Province]:
    return {p.code: p for p in session.scalars(sa.select(Province))}


def organisations_by_code(session: so.Session) -> dict[str, Organisation]:
    return {o.code: o for o in session.scalars(sa.select(Organisation))}


def apply_organisation(
    session: so.Session, org: Organisation, data: dict[str, Any], province_ids: list[int]
) -> Organisation:
    """Write the form's fields onto ``org``; the audit trail records what changed."""
    for key in ("code", "acronym", "name_en", "name_km", "type", "website", "notes"):
        if key in data:
            value = data[key]
            setattr(org, key, value.strip() if isinstance(value, str) else value)
    if "parent_id" in data:
        org.parent_id = data["parent_id"] or None
    if "is_active" in data:
        org.is_active = bool(data["is_active"])
    wanted = set(province_ids)
    if {p.id for p in org.provinces} != wanted:
        org.provinces = (
            list(session.scalars(sa.select(Province).where(Province.id.in_(wanted))))
            if wanted
            else []
        )
    if org.id is None:
        session.add(org)
    session.flush()
    return org


def would_create_cycle(session: so.Session, org: Organisation, parent_id: int | None) -> bool:
    """An organisation may not become its own ancestor."""
    seen = set()
    current = parent_id
    while current is not None and current not in seen:
        if org.id is not None and current == org.id:
            return True
        seen.add(current)
        current = session.scalar(
            sa.select(Organisation.parent_id).where(Organisation.id == current)
        )
    return False


def organisation_as_dict(org: Organisation) -> dict[str, Any]:
    return {
        "code": org.code,
        "acronym": org.acronym,
        "name": {"en": org.name_en, "km": org.name_km},
        "type": org.type,
        "parent": org.parent.code if org.parent else None,
        "provinces": [p.code for p in org.provinces],
        "active": org.is_active,
    }


# --- seeds -----------------------------------------------------------------------


def seed_provinces(session: so.Session, path: Path) -> int:
    existing = provinces_by_code(session)
    added = 0
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            prov = existing.get(row["iso_3166_2"])
            if prov is None:
                prov = Province(code=row["iso_3166_2"])
                session.add(prov)
                added += 1
            prov.national_code = row["national_code"]
            prov.name_en = row["name_en"]
            prov.name_km = row["name_km"]
            prov.is_capital = row["is_capital"].strip().lower() == "true"
    session.flush()
    return added


def seed_organisations(session: so.Session, path: Path) -> int:
    data = load_yaml(path)
    provinces = provinces_by_code(session)
    existing = organisations_by_code(session)
    added = 0
    for item in data["organisations"]:
        if item["code"] in existing:
            continue  # seeds never overwrite what users have since edited
        if item["type"] not in {t.value for t in OrgType}:
            raise ValueError(f"{path.name}: unknown organisation type {item['type']!r}")
        org = Organisation(
            code=item["code"],
            acronym=item.get("acronym", ""),
            name_en=item["name_en"],
            name_km=item.get("name_km", ""),
            type=item["type"],
            parent=existing.get(item.get("parent") or ""),
            provinces=[provinces[c] for c in item.get("provinces", [])],
        )
        for c in item.get("contacts", []):
            org.contacts.append(Contact(**c))
        session.add(org)
        existing[org.code] = org
        added += 1
    session.flush()
    return added
