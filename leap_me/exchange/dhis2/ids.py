"""DHIS2 identifiers for our records: UIDs (stored, never changed) and codes (ours).

A DHIS2 UID is 11 characters, a letter then letters and digits. Ours are derived from a
hash of (kind, key) the first time a record is seen and stored in
``exchange_external_id``; from then on the stored value is the record's UID, so a UID
never changes, whatever happens to codes and names. The total ("default") option combo
and the default attribute option combo use DHIS2's own well-known UID ``HllvX50cXC0``,
which DHIS2 clients send without asking.

| DHIS2 object             | our record                         | CODE scheme              |
|--------------------------|------------------------------------|--------------------------|
| dataElement              | indicator (numbers, yes/no, text)  | indicator code           |
|                          | ratio / percentage: two elements   | ``CODE.num``, ``CODE.den`` |
| categoryOptionCombo      | a disaggregation combination       | its key, ``sex:F``;      |
|                          | (the total)                        | ``default``              |
| organisationUnit         | Cambodia / a province              | ``KH`` / ISO code ``KH-12`` |
| attributeOptionCombo     | the reporting organisation         | organisation code        |
| dataSet                  | the indicators of one frequency    | ``LEAP_QUARTERLY`` …      |
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm as so

from leap_me.exchange.models import ExternalId

DEFAULT_UID = "HllvX50cXC0"  # DHIS2's default category option combo
DEFAULT_CODE = "default"
UID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9]{10}$")
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ALNUM = _LETTERS + "0123456789"

KINDS = ("dataElement", "categoryOptionCombo", "orgUnit", "attributeOptionCombo", "dataSet")

#: frequency → DHIS2 period type
PERIOD_TYPES = {
    "monthly": "Monthly",
    "quarterly": "Quarterly",
    "half_yearly": "SixMonthly",
    "yearly": "Yearly",
}


def derive_uid(kind: str, key: str, salt: int = 0) -> str:
    digest = hashlib.sha256(f"{kind}|{key}|{salt}".encode()).digest()
    chars = [_LETTERS[digest[0] % len(_LETTERS)]]
    chars += [_ALNUM[b % len(_ALNUM)] for b in digest[1:11]]
    return "".join(chars)


def ensure(session: so.Session, kind: str, keys: Iterable[str]) -> dict[str, str]:
    """{key: uid} for ``keys``, storing a UID for each key that has none yet.

    Two statements at most: one read, one insert of the missing ones.
    """
    keys = list(dict.fromkeys(keys))
    if not keys:
        return {}
    stored = dict(
        session.execute(
            sa.select(ExternalId.key, ExternalId.uid).where(
                ExternalId.kind == kind, ExternalId.key.in_(keys)
            )
        ).all()
    )
    missing = [k for k in keys if k not in stored]
    if missing:
        taken = set(stored.values())
        rows = []
        for key in missing:
            salt, uid = 0, derive_uid(kind, key)
            while uid in taken:  # a collision among 62**10: retry with another salt
                salt += 1
                uid = derive_uid(kind, key, salt)
            taken.add(uid)
            rows.append({"kind": kind, "key": key, "uid": uid})
        session.execute(sa.insert(ExternalId), rows)
        stored.update({r["key"]: r["uid"] for r in rows})
    return stored


@dataclass
class Element:
    """A DHIS2 data element: an indicator, or one side of a ratio indicator."""

    uid: str
    code: str
    indicator: Any
    part: str | None  # None, "num" or "den"

    @property
    def version(self) -> Any:
        return self.indicator.current


@dataclass
class Combo:
    uid: str
    code: str  # "default" or the disaggregation key
    key: str  # "" for the total
    names: dict[str, str]


@dataclass
class Unit:
    uid: str
    code: str
    province: Any | None  # None = Cambodia as a whole
    names: dict[str, str]


@dataclass
class Org:
    uid: str
    code: str
    organisation: Any


@dataclass
class DataSet:
    uid: str
    code: str
    frequency: str
    elements: list[Element] = field(default_factory=list)

    @property
    def period_type(self) -> str:
        return PERIOD_TYPES[self.frequency]


class Catalogue:
    """Every DHIS2 object we expose, with both identifier schemes, built in a constant
    number of queries. Build one per request."""

    def __init__(self, session: so.Session) -> None:
        from indicators.models import DisaggCategory, Indicator, IndicatorVersion
        from indicators.services.owed import combinations
        from stakeholders.models import Organisation, Province

        indicators = list(
            session.scalars(
                sa.select(Indicator)
                .options(
                    so.selectinload(Indicator.current_version)
                    .selectinload(IndicatorVersion.categories)
                    .selectinload(DisaggCategory.options)
                )
                .order_by(Indicator.code)
            )
        )
        provinces = list(session.scalars(sa.select(Province).order_by(Province.code)))
        orgs = list(session.scalars(sa.select(Organisation).order_by(Organisation.code)))

        element_keys: list[tuple[str, Any, str | None, str]] = []
        combo_names: dict[str, dict[str, str]] = {"": {"en": "default", "km": "default"}}
        for ind in indicators:
            version = ind.current
            if version is None:
                continue
            if version.measure in ("ratio", "percentage"):
                element_keys.append((f"{ind.id}:num", ind, "num", f"{ind.code}.num"))
                element_keys.append((f"{ind.id}:den", ind, "den", f"{ind.code}.den"))
            else:
                element_keys.append((str(ind.id), ind, None, ind.code))
            for key, _opts, label in combinations(version):
                combo_names.setdefault(key, label)

        de = ensure(session, "dataElement", [k for k, *_ in element_keys])
        co = ensure(session, "categoryOptionCombo", [k for k in combo_names if k])
        ou = ensure(session, "orgUnit", ["KH"] + [str(p.id) for p in provinces])
        ao = ensure(session, "attributeOptionCombo", [str(o.id) for o in orgs])
        ds = ensure(session, "dataSet", list(PERIOD_TYPES))

        self.elements = [Element(de[key], code, ind, part) for key, ind, part, code in element_keys]
        self.combos = [Combo(DEFAULT_UID, DEFAULT_CODE, "", combo_names[""])] + [
            Combo(co[key], key, key, names) for key, names in combo_names.items() if key
        ]
        self.units = [Unit(ou["KH"], "KH", None, {"en": "Cambodia", "km": "កម្ពុជា"})] + [
            Unit(ou[str(p.id)], p.code, p, {"en": p.name_en, "km": p.name_km}) for p in provinces
        ]
        self.orgs = [Org(ao[str(o.id)], o.code, o) for o in orgs]
        self.datasets = [DataSet(ds[f], f"LEAP_{f.upper()}", f) for f in PERIOD_TYPES]
        by_freq = {d.frequency: d for d in self.datasets}
        for element in self.elements:
            if element.version is not None and element.indicator.status == "active":
                by_freq[element.version.frequency].elements.append(element)

        self._index: dict[tuple[str, str, str], Any] = {}
        for kind, items in (
            ("dataElement", self.elements),
            ("categoryOptionCombo", self.combos),
            ("orgUnit", self.units),
            ("attributeOptionCombo", self.orgs),
            ("dataSet", self.datasets),
        ):
            for item in items:
                self._index[(kind, "UID", item.uid)] = item
                self._index[(kind, "CODE", item.code.upper())] = item
        self._element_of = {(e.indicator.id, e.part): e for e in self.elements}
        self._combo_of = {c.key: c for c in self.combos}
        self._unit_of = {(u.province.id if u.province else None): u for u in self.units}
        self._org_of = {o.organisation.id: o for o in self.orgs}

    # --- lookups ----------------------------------------------------------------------

    def find(self, kind: str, scheme: str, ident: str | None) -> Any | None:
        if ident is None:
            return None
        ident = str(ident).strip()
        if scheme == "CODE":
            return self._index.get((kind, "CODE", ident.upper()))
        return self._index.get((kind, "UID", ident))

    def element_of(self, indicator_id: int, part: str | None) -> Element | None:
        return self._element_of.get((indicator_id, part))

    def combo_of(self, key: str) -> Combo | None:
        return self._combo_of.get(key)

    def unit_of(self, province_id: int | None) -> Unit | None:
        return self._unit_of.get(province_id)

    def org_of(self, organisation_id: int) -> Org | None:
        return self._org_of.get(organisation_id)

    def ident(self, item: Any, scheme: str) -> str:
        return item.code if scheme == "CODE" else item.uid
