"""dataValueSet import: DHIS2's rules on top of the submission service.

Each value goes through :func:`indicators.services.submissions.save` exactly as a grid cell
does, and lands in the organisation's draft for that period. DHIS2's behaviour is kept:
a value that cannot be taken (unknown identifier, a period that is not open, an approved
value, a row the organisation does not owe, a value of the wrong type) is one conflict
with its index, and the rest is still imported, unless ``atomicMode=ALL`` asks for all or
nothing. ``dryRun=true`` gives the same summary and writes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy import orm as so

from leap_me.exchange.dhis2.ids import Catalogue
from leap_me.exchange.dhis2.payloads import Incoming

STRATEGIES = ("CREATE", "UPDATE", "CREATE_AND_UPDATE", "DELETE")
SCHEMES = ("UID", "CODE")
TRUE = {"true", "t", "1", "yes", "y"}
FALSE = {"false", "f", "0", "no", "n"}


@dataclass
class Options:
    dry_run: bool = False
    strategy: str = "CREATE_AND_UPDATE"
    atomic_all: bool = False
    data_element_scheme: str = "UID"
    org_unit_scheme: str = "UID"
    coc_scheme: str = "UID"
    aoc_scheme: str = "UID"

    def as_json(self) -> dict[str, Any]:
        return {
            "idSchemes": {
                "dataElementIdScheme": {"type": self.data_element_scheme},
                "orgUnitIdScheme": {"type": self.org_unit_scheme},
                "categoryOptionComboIdScheme": {"type": self.coc_scheme},
                "attributeOptionComboIdScheme": {"type": self.aoc_scheme},
            },
            "dryRun": self.dry_run,
            "async": False,
            "importStrategy": self.strategy,
            "mergeMode": "REPLACE",
            "reportMode": "FULL",
            "skipExistingCheck": False,
            "sharing": False,
            "skipNotifications": False,
            "skipAudit": False,
            "datasetAllowsPeriods": False,
            "strictPeriods": False,
            "strictDataElements": False,
            "strictCategoryOptionCombos": False,
            "strictAttributeOptionCombos": False,
            "strictOrganisationUnits": False,
            "strictDataSetApproval": False,
            "strictDataSetLocking": False,
            "strictDataSetInputPeriods": False,
            "requireCategoryOptionCombo": False,
            "requireAttributeOptionCombo": False,
            "skipPatternValidation": False,
            "ignoreEmptyCollection": False,
            "force": False,
            "firstRowIsHeader": True,
            "skipLastUpdated": False,
            "mergeDataValues": False,
            "skipCache": False,
        }


@dataclass
class Summary:
    options: Options
    imported: int = 0
    updated: int = 0
    ignored: int = 0
    deleted: int = 0
    conflicts: list[dict] = field(default_factory=list)
    rejected: set[int] = field(default_factory=set)

    def conflict(self, index: int | list[int], obj: str, value: str, code: str, prop: str):
        indexes = index if isinstance(index, list) else [index]
        self.conflicts.append(
            {
                "object": obj,
                "objects": {prop: obj},
                "value": value,
                "errorCode": code,
                "property": prop,
                "indexes": indexes,
            }
        )
        self.rejected.update(indexes)

    @property
    def status(self) -> str:
        """SUCCESS without conflicts; WARNING when some values went in despite them;
        ERROR when conflicts kept everything out."""
        if not self.conflicts:
            return "SUCCESS"
        return "WARNING" if self.imported + self.updated + self.deleted else "ERROR"

    def as_json(self) -> dict[str, Any]:
        ok = not self.conflicts
        if ok:
            description = "Import process completed successfully"
        else:
            description = "Import process completed with conflicts"
        response = {
            "responseType": "ImportSummary",
            "status": self.status,
            "importOptions": self.options.as_json(),
            "description": description,
            "importCount": {
                "imported": self.imported,
                "updated": self.updated,
                "ignored": self.ignored,
                "deleted": self.deleted,
            },
            "conflicts": self.conflicts,
            "rejectedIndexes": sorted(self.rejected),
            "dataSetComplete": "false",
        }
        return {
            "httpStatus": "OK" if ok else "Conflict",
            "httpStatusCode": 200 if ok else 409,
            "status": "OK" if ok else self.status,
            "message": "Import was successful."
            if ok
            else "One more conflicts encountered, please check import summary.",
            "response": response,
        }


@dataclass(slots=True)
class _Cell:
    """One target row (indicator × province × disaggregation) being built from values."""

    indicator: Any
    province_id: int | None
    disagg_key: str
    indexes: list[int] = field(default_factory=list)
    value: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    comment: str | None = None
    delete: bool = False
    #: (measure, fields, errors) of the value's own check, handed to the save
    checked: tuple | None = None


@dataclass(slots=True, frozen=True)
class _ElementInfo:
    """What the import reads of a data element, read once per element, not per value."""

    element: Any
    indicator_id: int
    code: str
    part: str | None
    measure: str  # the indicator's
    frequency: str
    #: the measure one value is checked against (a ratio's side is a number)
    value_measure: str


def _resolve_combo(cat: Catalogue, inc: Incoming, opts: Options, element) -> tuple[Any, str]:
    if inc.categories:
        key = "|".join(f"{c}:{o}" for c, o in sorted(inc.categories.items()))
        combo = cat.combo_of(key)
        return combo, key
    ident = inc.category_option_combo
    if not ident:
        return cat.combo_of(""), ""
    combo = cat.find("categoryOptionCombo", opts.coc_scheme, ident)
    if combo is None and opts.coc_scheme == "UID":
        combo = cat.find("categoryOptionCombo", "CODE", ident) if ident == "default" else None
    return combo, ident


def _typed_value(element, raw: str | None) -> str | None:
    """DHIS2 booleans (true/True/t/1, false/f/0) become our yes/no; others as sent."""
    if raw is None:
        return None
    if element.version.measure == "yesno" and element.part is None:
        return _yes_no(raw)
    return raw


def _yes_no(raw: str) -> str:
    low = raw.strip().lower()
    if low in TRUE:
        return "1"
    if low in FALSE:
        return "0"
    return raw


class _Lookups:
    """The catalogue's answers for one import, remembered per identifier as sent: a big
    payload names a few dozen elements, units and combos a hundred thousand times."""

    def __init__(self, cat: Catalogue, opts: Options, own: Any) -> None:
        self.cat = cat
        self.opts = opts
        self.own = own
        self._elements: dict[str | None, _ElementInfo | None] = {}
        self._units: dict[str | None, tuple[bool, int | None]] = {}
        self._combos: dict[str | None, tuple[Any, str]] = {}
        self._aocs: dict[str | None, bool] = {}

    def element(self, ident: str | None) -> _ElementInfo | None:
        try:
            return self._elements[ident]
        except KeyError:
            pass
        element = self.cat.find("dataElement", self.opts.data_element_scheme, ident)
        info = None
        if element is not None:
            version = element.version
            info = _ElementInfo(
                element,
                element.indicator.id,
                element.code,
                element.part,
                version.measure,
                version.frequency,
                "number" if element.part else version.measure,
            )
        self._elements[ident] = info
        return info

    def elements(self) -> list[_ElementInfo | None]:
        return list(self._elements.values())

    def province(self, ident: str | None) -> tuple[bool, int | None]:
        """(found, province id) of an org unit: Cambodia as a whole is province None."""
        try:
            return self._units[ident]
        except KeyError:
            unit = self.cat.find("orgUnit", self.opts.org_unit_scheme, ident)
            if unit is None:
                got: tuple[bool, int | None] = (False, None)
            else:
                got = (True, unit.province.id if unit.province is not None else None)
            self._units[ident] = got
            return got

    def combo(self, inc: Incoming, element: Any) -> tuple[Any, str]:
        if inc.categories:
            return _resolve_combo(self.cat, inc, self.opts, element)
        ident = inc.category_option_combo
        try:
            return self._combos[ident]
        except KeyError:
            got = self._combos[ident] = _resolve_combo(self.cat, inc, self.opts, element)
            return got

    def aoc_is_own(self, ident: str | None) -> bool:
        """Whether the attribute option combo named is the user's own organisation."""
        try:
            return self._aocs[ident]
        except KeyError:
            pass
        if ident:
            aoc = self.cat.find("attributeOptionCombo", self.opts.aoc_scheme, ident)
            if aoc is None and ident in ("HllvX50cXC0", "default"):
                aoc = self.own
        else:
            aoc = self.own
        own = self.own
        ok = aoc is not None and own is not None and aoc.organisation.id == own.organisation.id
        self._aocs[ident] = ok
        return ok


def run(
    session: so.Session,
    user: Any,
    rows: list[Incoming],
    opts: Options,
    locale: str = "en",
) -> Summary:
    """Import ``rows`` for ``user`` (a partner: its own organisation's drafts).

    Each value is checked once, here (DHIS2 makes a bad value a conflict of its own),
    and its check goes with the cell to the save, which does not check it again."""
    from leap_me.db import paused_gc

    with paused_gc():
        return _run(session, user, rows, opts, locale)


def _run(session, user, rows, opts, locale) -> Summary:
    from indicators.models import ReportingPeriod
    from indicators.services import submissions as subs
    from indicators.services.validation import check_cell

    summary = Summary(opts)
    cat = Catalogue(session)
    org = user.organisation
    own = cat.org_of(org.id) if org is not None else None
    periods = {
        p.code: p
        for p in session.scalars(
            sa.select(ReportingPeriod).where(
                ReportingPeriod.code.in_({r.period for r in rows if r.period})
            )
        )
    }
    frequencies = {code: p.frequency for code, p in periods.items()}
    look = _Lookups(cat, opts, own)
    deleting = opts.strategy == "DELETE"
    # (period code) -> {(indicator id, province id, disagg key): _Cell}
    cells: dict[str, dict[tuple, _Cell]] = defaultdict(dict)
    for inc in rows:
        info = look.element(inc.data_element)
        if info is None:
            summary.conflict(
                inc.index,
                inc.data_element or "",
                _("Data element not found or not accessible"),
                "E7610",
                "dataElement",
            )
            continue
        period_code = inc.period or ""
        frequency = frequencies.get(period_code)
        if frequency is None:
            summary.conflict(inc.index, period_code, _("Period not valid"), "E7611", "period")
            continue
        found, province_id = look.province(inc.org_unit)
        if not found:
            summary.conflict(
                inc.index,
                inc.org_unit or "",
                _("Organisation unit not found or not accessible"),
                "E7612",
                "orgUnit",
            )
            continue
        combo, combo_ident = look.combo(inc, info.element)
        if combo is None:
            summary.conflict(
                inc.index,
                combo_ident,
                _("Category option combo not found or not accessible for writing data"),
                "E7613",
                "categoryOptionCombo",
            )
            continue
        if not look.aoc_is_own(inc.attribute_option_combo):
            summary.conflict(
                inc.index,
                inc.attribute_option_combo or "",
                _(
                    "Attribute option combo not found or not accessible for writing data: "
                    "you report for %(org)s only",
                    org=own.code if own else "-",
                ),
                "E7615",
                "attributeOptionCombo",
            )
            continue
        if frequency != info.frequency:
            summary.conflict(
                inc.index,
                inc.period or "",
                _(
                    "Period type of period %(period)s is not equal to the period type of "
                    "data element %(code)s",
                    period=inc.period,
                    code=info.code,
                ),
                "E7641",
                "period",
            )
            continue
        delete = inc.deleted or deleting
        raw = inc.value
        part = info.part
        if raw is not None and part is None and info.measure == "yesno":
            raw = _yes_no(raw)
        checked = None
        if not delete:
            # each value on its own, as DHIS2 does: a bad one is a conflict of its own and
            # never takes a good one of the same cell with it
            measure = info.value_measure
            fields, errors = check_cell(
                measure, value=raw, text=raw if measure == "text" else None, locale="en"
            )
            if errors or fields is None:
                message = "; ".join(e.text for e in errors) or _("A value is required")
                summary.conflict(
                    inc.index,
                    inc.value or "",
                    _(
                        "Value must match data element's %(code)s type constraints: %(message)s",
                        code=info.code,
                        message=message,
                    ),
                    "E7619",
                    "value",
                )
                continue
            checked = (measure, fields, errors)
        key = (info.indicator_id, province_id, combo.key)
        by_key = cells[period_code]
        cell = by_key.get(key)
        if cell is None:
            cell = by_key[key] = _Cell(info.element.indicator, province_id, combo.key)
        cell.indexes.append(inc.index)
        if delete:
            cell.delete = True
        if part == "num":
            cell.numerator = raw
        elif part == "den":
            cell.denominator = raw
        else:
            cell.value = raw
            cell.checked = checked
        if inc.comment is not None:
            cell.comment = inc.comment

    measures = {i.indicator_id: i.measure for i in look.elements() if i is not None}
    for period_code, by_key in cells.items():
        period = periods[period_code]
        submission = subs.get_or_create(session, org, period, user)
        stored = _stored(session, submission)
        inputs: list[subs.CellInput] = []
        index_of: dict[tuple, list[int]] = {}
        for key, cell in by_key.items():
            measure = measures[key[0]]
            fraction = measure in ("ratio", "percentage")
            exists = key in stored
            if cell.delete:
                if not exists:
                    summary.ignored += len(cell.indexes)
                    continue
                inputs.append(subs.CellInput(key[0], key[1], key[2], comment=""))
                index_of[key] = cell.indexes
                continue
            if opts.strategy == "CREATE" and exists:
                summary.ignored += len(cell.indexes)
                continue
            if opts.strategy == "UPDATE" and not exists:
                summary.ignored += len(cell.indexes)
                continue
            text = cell.value if measure == "text" else None
            if not fraction:  # each value was checked on its own already
                inputs.append(
                    subs.CellInput(
                        key[0],
                        key[1],
                        key[2],
                        value=cell.value,
                        text=text,
                        comment=cell.comment,
                        checked=cell.checked,
                    )
                )
                index_of[key] = cell.indexes
                continue
            code = cell.indicator.code
            if cell.numerator is None or cell.denominator is None:
                summary.conflict(
                    cell.indexes,
                    code,
                    _(
                        "%(code)s is a ratio: send %(code)s.num and %(code)s.den together",
                        code=code,
                    ),
                    "E7618",
                    "value",
                )
                summary.ignored += len(cell.indexes)
                continue
            fields, errors = check_cell(
                measure,
                value=cell.value,
                numerator=cell.numerator,
                denominator=cell.denominator,
                text=text,
                locale="en",
            )
            if errors or fields is None:
                message = "; ".join(e.text for e in errors) or _("A value is required")
                summary.conflict(
                    cell.indexes,
                    f"{cell.numerator}/{cell.denominator}",
                    _(
                        "Value must match data element's %(code)s type constraints: %(message)s",
                        code=code,
                        message=message,
                    ),
                    "E7619",
                    "value",
                )
                summary.ignored += len(cell.indexes)
                continue
            inputs.append(
                subs.CellInput(
                    key[0],
                    key[1],
                    key[2],
                    numerator=cell.numerator,
                    denominator=cell.denominator,
                    text=text,
                    comment=cell.comment,
                    checked=(measure, fields, errors),
                )
            )
            index_of[key] = cell.indexes
        by_key.clear()  # the cells live on in the inputs only
        if not inputs:
            continue
        try:
            # numbers in a payload are machine-written: read them the English way
            result = subs.save(
                session,
                submission,
                inputs,
                user=user,
                expected_version=None,
                source="api",
                dry_run=opts.dry_run,
                locale="en",
            )
        except subs.SaveRefused as err:
            for idx in index_of.values():
                summary.conflict(idx, period_code, err.message, "E7640", "period")
                summary.ignored += len(idx)
            continue
        del inputs
        # one outcome per input, in the inputs' order: the save keeps them so
        for outcome in result.cells:
            idx = index_of[outcome.key]
            status = outcome.status
            if status in ("refused", "invalid"):
                message = "; ".join(e.text for e in outcome.errors) or status
                code = "E7644" if any(e.code == "approved" for e in outcome.errors) else "E7617"
                summary.conflict(idx, _ident(cat, outcome.key[0]), message, code, "dataValue")
                summary.ignored += len(idx)
            elif status == "unchanged":
                summary.ignored += len(idx)
            elif outcome.new is None:
                summary.deleted += len(idx)
            elif status == "new":
                summary.imported += len(idx)
            else:
                summary.updated += len(idx)
    if opts.atomic_all and summary.conflicts:
        summary.ignored += summary.imported + summary.updated + summary.deleted
        summary.imported = summary.updated = summary.deleted = 0
    return summary


def _ident(cat: Catalogue, indicator_id: int) -> str:
    element = cat.element_of(indicator_id, None) or cat.element_of(indicator_id, "num")
    return element.code if element else str(indicator_id)


def _stored(session: so.Session, submission: Any) -> set[tuple]:
    from indicators.models import DataValue

    rows = session.execute(
        sa.select(DataValue.indicator_id, DataValue.province_id, DataValue.disagg_key).where(
            DataValue.organisation_id == submission.organisation_id,
            DataValue.period_id == submission.period_id,
        )
    )
    return {tuple(r) for r in rows}
