"""Reading dataValueSet payloads: DHIS2 JSON, DXF2 XML, CSV (DHIS2's column order) and ADX.

Every reader returns the same :class:`Incoming` rows, numbered in payload order (the
``indexes`` of the import summary). A payload that cannot be read at all (not JSON, the
wrong shape, a CSV row with too few columns, an ADX file that fails the schema) raises
:class:`PayloadError`, and nothing is written.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from lxml import etree

ADX_NS = "urn:ihe:qrph:adx:2015"
DXF_NS = "http://dhis2.org/schema/dxf/2.0"
ADX_SCHEMA = Path(__file__).with_name("adx_schema") / "adx_loose.xsd"
#: DHIS2's CSV columns, by position (CsvDataValueSetReader).
CSV_COLUMNS = (
    "dataElement",
    "period",
    "orgUnit",
    "categoryOptionCombo",
    "attributeOptionCombo",
    "value",
    "storedBy",
    "lastUpdated",
    "comment",
    "followup",
    "deleted",
)
MAX_VALUES = 200_000


class PayloadError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(slots=True)
class Incoming:
    index: int
    data_element: str | None
    period: str | None
    org_unit: str | None
    category_option_combo: str | None = None
    attribute_option_combo: str | None = None
    value: str | None = None
    comment: str | None = None
    deleted: bool = False
    #: ADX: category code → option code, instead of a combo identifier
    categories: dict[str, str] | None = None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _bool(value: Any) -> bool:
    return str(value).strip().lower() in ("true", "1", "t") if value is not None else False


def _count(n: int) -> None:
    if n > MAX_VALUES:
        raise PayloadError(
            _("At most %(max)s values in one request; split the payload.", max=f"{MAX_VALUES:,}")
        )


def read_json(body: bytes) -> list[Incoming]:
    try:
        doc = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise PayloadError(_("The body is not valid JSON: %(error)s", error=str(err))) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("dataValues", []), list):
        raise PayloadError(_('Send a dataValueSet: an object with a "dataValues" list.'))
    values = doc.get("dataValues", [])
    _count(len(values))
    top_period = doc.get("period")
    top_unit = doc.get("orgUnit")
    top_aoc = doc.get("attributeOptionCombo")
    out = []
    append = out.append
    # a payload names a few identifiers many times: one string object each, not one per
    # value (JSON parsing makes a new string every time)
    same = {}.setdefault
    for i, dv in enumerate(values):
        if type(dv) is not dict:
            raise PayloadError(_("dataValues[%(i)s] is not an object.", i=i))
        get = dv.get
        # most fields are strings already: _text only for the others (numbers, booleans)
        de = get("dataElement")
        pe = get("period", top_period)
        ou = get("orgUnit", top_unit)
        co = get("categoryOptionCombo")
        ao = get("attributeOptionCombo", top_aoc)
        value = get("value")
        comment = get("comment")
        deleted = get("deleted")
        append(
            Incoming(
                i,
                same(de, de) if de is None or type(de) is str else _text(de),
                same(pe, pe) if pe is None or type(pe) is str else _text(pe),
                same(ou, ou) if ou is None or type(ou) is str else _text(ou),
                same(co, co) if co is None or type(co) is str else _text(co),
                same(ao, ao) if ao is None or type(ao) is str else _text(ao),
                value if value is None or type(value) is str else _text(value),
                comment if comment is None or type(comment) is str else _text(comment),
                False if deleted is None else _bool(deleted),
            )
        )
        values[i] = None  # the parsed object goes as its row comes: never both held whole
    del doc, values
    return out


def _parse_xml(body: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        return etree.fromstring(body, parser)
    except etree.XMLSyntaxError as err:
        raise PayloadError(
            _("The body is not well-formed XML: %(error)s", error=str(err))
        ) from None


def read_xml(body: bytes) -> list[Incoming]:
    """DXF2 ``<dataValueSet>`` XML."""
    root = _parse_xml(body)
    if etree.QName(root).localname != "dataValueSet":
        raise PayloadError(_("Send a <dataValueSet> document."))
    top = {k: root.get(k) for k in ("period", "orgUnit", "attributeOptionCombo")}
    rows = [el for el in root.iter() if etree.QName(el).localname == "dataValue"]
    _count(len(rows))
    return [
        Incoming(
            index=i,
            data_element=el.get("dataElement"),
            period=el.get("period", top["period"]),
            org_unit=el.get("orgUnit", top["orgUnit"]),
            category_option_combo=el.get("categoryOptionCombo"),
            attribute_option_combo=el.get("attributeOptionCombo", top["attributeOptionCombo"]),
            value=el.get("value"),
            comment=el.get("comment"),
            deleted=_bool(el.get("deleted")),
        )
        for i, el in enumerate(rows)
    ]


def read_csv(body: bytes) -> list[Incoming]:
    """DHIS2 CSV: columns by position; a header row is optional (recognised by its
    second column, ``period``)."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PayloadError(_("The CSV file is not UTF-8 text.")) from None
    reader = csv.reader(io.StringIO(text))
    out: list[Incoming] = []
    try:
        for line, row in enumerate(reader, start=1):
            if not row or all(not c.strip() for c in row):
                continue
            if line == 1 and len(row) > 1 and row[1].strip().lower() == "period":
                continue  # the header
            if len(row) < 6:
                raise PayloadError(
                    _(
                        "Line %(line)s has %(n)s columns; a data value needs at least 6: "
                        "dataelement, period, orgunit, categoryoptioncombo, "
                        "attributeoptioncombo, value.",
                        line=line,
                        n=len(row),
                    )
                )
            cells = dict(zip(CSV_COLUMNS, (c.strip() for c in row), strict=False))
            out.append(
                Incoming(
                    index=len(out),
                    data_element=cells.get("dataElement") or None,
                    period=cells.get("period") or None,
                    org_unit=cells.get("orgUnit") or None,
                    category_option_combo=cells.get("categoryOptionCombo") or None,
                    attribute_option_combo=cells.get("attributeOptionCombo") or None,
                    value=cells.get("value"),
                    comment=cells.get("comment") or None,
                    deleted=_bool(cells.get("deleted")),
                )
            )
            _count(len(out))
    except csv.Error as err:
        raise PayloadError(_("The CSV file cannot be read: %(error)s", error=str(err))) from None
    return out


_schema: etree.XMLSchema | None = None


def adx_schema() -> etree.XMLSchema:
    global _schema
    if _schema is None:
        _schema = etree.XMLSchema(etree.parse(str(ADX_SCHEMA)))
    return _schema


_DURATIONS = {"P1M": "monthly", "P3M": "quarterly", "P6M": "half_yearly", "P1Y": "yearly"}
ADX_GROUP_SKIP = {"orgUnit", "period", "dataSet", "dataSetComplete", "comment", "exported"}
ADX_VALUE_SKIP = {"dataElement", "value", "categoryOptionCombo"}


def adx_period(text: str) -> str | None:
    """``2026-04-01/P3M`` → ``2026Q2``; None when it is not a period we keep."""
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})/(P1M|P3M|P6M|P1Y)", text.strip())
    if not m:
        return None
    year, month, day, duration = int(m[1]), int(m[2]), int(m[3]), m[4]
    try:
        date(year, month, day)
    except ValueError:
        return None
    if day != 1:
        return None
    freq = _DURATIONS[duration]
    if freq == "monthly":
        return f"{year}{month:02d}"
    if freq == "quarterly" and month in (1, 4, 7, 10):
        return f"{year}Q{(month - 1) // 3 + 1}"
    if freq == "half_yearly" and month in (1, 7):
        return f"{year}S{1 if month == 1 else 2}"
    if freq == "yearly" and month == 1:
        return str(year)
    return None


def read_adx(body: bytes) -> list[Incoming]:
    root = _parse_xml(body)
    schema = adx_schema()
    if not schema.validate(root):
        first = schema.error_log.last_error
        raise PayloadError(
            _(
                "The ADX file does not follow the ADX schema (line %(line)s): %(error)s",
                line=first.line if first else "?",
                error=first.message if first else "",
            )
        )
    out: list[Incoming] = []
    for group in root.findall(f"{{{ADX_NS}}}group"):
        period_text = group.get("period", "")
        period = adx_period(period_text) or period_text
        aoc = group.get("attributeOptionCombo")
        for el in group.findall(f"{{{ADX_NS}}}dataValue"):
            cats = {k: v for k, v in el.attrib.items() if k not in ADX_VALUE_SKIP}
            note = el.find(f"{{{ADX_NS}}}annotation")
            out.append(
                Incoming(
                    index=len(out),
                    data_element=el.get("dataElement"),
                    period=period,
                    org_unit=group.get("orgUnit"),
                    category_option_combo=el.get("categoryOptionCombo"),
                    attribute_option_combo=aoc,
                    value=el.get("value"),
                    comment=(note.text or "").strip() if note is not None else None,
                    categories=cats or None,
                )
            )
        _count(len(out))
    return out


def read(body: bytes, content_type: str) -> list[Incoming]:
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind in ("application/json", ""):
        return read_json(body)
    if kind in ("text/csv", "application/csv"):
        return read_csv(body)
    if kind == "application/adx+xml":
        return read_adx(body)
    if kind in ("application/xml", "text/xml"):
        return read_xml(body)
    raise PayloadError(
        _(
            "Unsupported Content-Type %(type)s: send application/json, text/csv, "
            "application/adx+xml or application/xml.",
            type=kind,
        )
    )
