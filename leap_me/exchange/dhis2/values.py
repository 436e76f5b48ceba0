"""``/api/dataValueSets`` (POST, GET) and ``/api/dataValues`` (GET, POST, DELETE).

Scope, as in the web: a partner reads and writes its own organisation's values only
(drafts included); reviewers, planners and administrators read submitted and approved
values of every organisation; viewers read approved values. Only partners write.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import sqlalchemy as sa
from flask import Response, current_app, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from leap_me.auth.roles import Role
from leap_me.exchange.dhis2 import imports, payloads
from leap_me.exchange.dhis2.common import Dhis2Error, flag, web_message
from leap_me.exchange.dhis2.ids import Catalogue
from leap_me.exchange.dhis2.payloads import CSV_COLUMNS, Incoming, PayloadError
from leap_me.exchange.dhis2.web import bp, catalogue, lang, route
from leap_me.extensions import db


def _scheme(name: str, fallback: str = "UID") -> str:
    value = (request.args.get(name) or request.args.get("idScheme") or fallback).upper()
    if value not in imports.SCHEMES:
        raise Dhis2Error(400, _("%(name)s must be UID or CODE.", name=name))
    return value


def _options() -> imports.Options:
    strategy = (request.args.get("importStrategy") or "CREATE_AND_UPDATE").upper()
    if strategy == "NEW_AND_UPDATES":
        strategy = "CREATE_AND_UPDATE"
    if strategy not in imports.STRATEGIES:
        raise Dhis2Error(
            400, _("importStrategy must be one of %(list)s.", list=", ".join(imports.STRATEGIES))
        )
    atomic = (request.args.get("atomicMode") or "NONE").upper()
    if atomic not in ("ALL", "NONE"):
        raise Dhis2Error(400, _("atomicMode must be ALL or NONE."))
    flag("preheatCache")  # accepted; the catalogue is always read in a few queries
    return imports.Options(
        dry_run=flag("dryRun"),
        strategy=strategy,
        atomic_all=atomic == "ALL",
        data_element_scheme=_scheme("dataElementIdScheme"),
        org_unit_scheme=_scheme("orgUnitIdScheme"),
        coc_scheme=_scheme("categoryOptionComboIdScheme"),
        aoc_scheme=_scheme("attributeOptionComboIdScheme"),
    )


def _writer_or_403() -> None:
    if current_user.role != Role.PARTNER or current_user.organisation_id is None:
        raise Dhis2Error(
            403,
            _(
                "Only a partner reporter writes data values: they land in the draft of the "
                "reporter's own organisation."
            ),
        )


def _body() -> bytes:
    limit = current_app.config.get("DHIS2_MAX_BODY_MB", 64) * 1024 * 1024
    request.max_content_length = limit
    length = request.content_length
    if length is not None and length > limit:
        raise Dhis2Error(
            413, _("The body is larger than %(mb)s MB; split the payload.", mb=limit // 2**20)
        )
    data = request.get_data(cache=False)
    if len(data) > limit:
        raise Dhis2Error(
            413, _("The body is larger than %(mb)s MB; split the payload.", mb=limit // 2**20)
        )
    return data


def _import(rows: list[Incoming], opts: imports.Options):
    summary = imports.run(db.session, current_user, rows, opts, locale=lang())
    if opts.dry_run or (opts.atomic_all and summary.conflicts):
        db.session.rollback()
    else:
        db.session.commit()
    body = summary.as_json()
    response = jsonify(body)
    response.status_code = body["httpStatusCode"]
    return response


@route("dataValueSets", methods=["POST"])
def post_data_value_sets(api_version: int | None = None):
    _writer_or_403()
    opts = _options()
    raw = _body()
    try:
        rows = payloads.read(raw, request.content_type or "")
    except PayloadError as err:
        raise Dhis2Error(400, err.message) from None
    del raw  # a large body is not kept while its values are written
    return _import(rows, opts)


bp.add_url_rule(
    "/api/v1/dataValueSets",
    endpoint="post_data_value_sets_v1",
    view_func=post_data_value_sets,
    methods=["POST"],
)


# --- reading --------------------------------------------------------------------------


def _date_arg(name: str) -> date | None:
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw.strip()[:10])
    except ValueError:
        raise Dhis2Error(400, _("%(name)s must be a date, yyyy-mm-dd.", name=name)) from None


def _statuses() -> set[str] | None:
    """The value statuses the caller may read; None = every status (own organisation)."""
    if current_user.role == Role.PARTNER:
        return None
    if current_user.role == Role.VIEWER:
        return {"approved"}
    return {"submitted", "approved"}


def _listed(name: str) -> list[str]:
    return [x for v in request.args.getlist(name) for x in v.split(",") if x.strip()]


def _filters() -> dict:
    """The GET filters of /api/dataValueSets, from the query string."""
    return {
        "periods": _listed("period"),
        "start": _date_arg("startDate"),
        "end": _date_arg("endDate"),
        "units": _listed("orgUnit"),
        "children": flag("children"),
        "sets": _listed("dataSet"),
        "elements": _listed("dataElement"),
        "since": request.args.get("lastUpdated"),
    }


def _query(cat: Catalogue, scheme: str, f: dict):
    from indicators.models import DataValue, ReportingPeriod

    dv, p = DataValue, ReportingPeriod
    q = sa.select(dv, p.code.label("period_code")).join(p, p.id == dv.period_id)
    if current_user.role == Role.PARTNER:
        q = q.where(dv.organisation_id == current_user.organisation_id)
    statuses = _statuses()
    if statuses is not None:
        q = q.where(dv.status.in_(statuses))
    # only values that hold something (an invalid draft cell is not a data value)
    q = q.where(sa.or_(dv.value.is_not(None), dv.text_value.is_not(None)))

    periods, start, end = f["periods"], f["start"], f["end"]
    if periods:
        q = q.where(p.code.in_(periods))
    elif start and end:
        q = q.where(p.start_date >= start, p.end_date <= end)
    else:
        raise Dhis2Error(
            409, _("At least one valid period or start date and end date must be specified")
        )

    units = f["units"]
    if not units:
        raise Dhis2Error(409, _("At least one valid organisation unit must be specified"))
    ou_scheme = _scheme("orgUnitIdScheme")
    children = f["children"]
    province_ids: set[int | None] = set()
    for ident in units:
        unit = cat.find("orgUnit", ou_scheme, ident) or cat.find("orgUnit", "CODE", ident)
        if unit is None:
            raise Dhis2Error(409, _("Organisation unit not found: %(id)s", id=ident))
        province_ids.add(unit.province.id if unit.province else None)
        if unit.province is None and children:
            province_ids.update(u.province.id for u in cat.units if u.province is not None)
    conds = []
    if None in province_ids:
        conds.append(dv.province_id.is_(None))
    ids = [i for i in province_ids if i is not None]
    if ids:
        conds.append(dv.province_id.in_(ids))
    q = q.where(sa.or_(*conds))

    sets, elements = f["sets"], f["elements"]
    indicator_ids: set[int] = set()
    for ident in sets:
        ds = cat.find("dataSet", "UID", ident) or cat.find("dataSet", "CODE", ident)
        if ds is None:
            raise Dhis2Error(409, _("Data set not found: %(id)s", id=ident))
        indicator_ids.update(e.indicator.id for e in ds.elements)
    for ident in elements:
        e = cat.find("dataElement", scheme, ident) or cat.find("dataElement", "CODE", ident)
        if e is None:
            raise Dhis2Error(409, _("Data element not found: %(id)s", id=ident))
        indicator_ids.add(e.indicator.id)
    if sets or elements:
        q = q.where(dv.indicator_id.in_(indicator_ids))
    if since := f["since"]:
        try:
            moment = datetime.fromisoformat(since.strip())
        except ValueError:
            raise Dhis2Error(400, _("lastUpdated must be a date or a date and time.")) from None
        q = q.where(dv.updated_dt >= moment)
    return q.order_by(p.start_date, dv.indicator_id, dv.province_id, dv.disagg_key)


def _plain(value) -> str:
    if value is None:
        return ""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def export_rows(cat: Catalogue, f: dict) -> list[dict]:
    scheme = _scheme("dataElementIdScheme")
    ou_scheme = _scheme("orgUnitIdScheme")
    coc_scheme = _scheme("categoryOptionComboIdScheme")
    aoc_scheme = _scheme("attributeOptionComboIdScheme")
    out = []
    for row in db.session.execute(_query(cat, scheme, f)):
        value, period_code = row[0], row[1]
        version = value.version
        unit = cat.unit_of(value.province_id)
        combo = cat.combo_of(value.disagg_key)
        org = cat.org_of(value.organisation_id)
        if unit is None or combo is None or org is None:
            continue
        base = {
            "period": period_code,
            "orgUnit": cat.ident(unit, ou_scheme),
            "categoryOptionCombo": cat.ident(combo, coc_scheme),
            "attributeOptionCombo": cat.ident(org, aoc_scheme),
            "storedBy": "",
            "created": value.created_dt.strftime("%Y-%m-%dT%H:%M:%S.000"),
            "lastUpdated": value.updated_dt.strftime("%Y-%m-%dT%H:%M:%S.000"),
            "comment": value.comment or "",
            "followup": False,
        }
        if version.measure in ("ratio", "percentage"):
            for part, number in (("num", value.numerator), ("den", value.denominator)):
                element = cat.element_of(value.indicator_id, part)
                out.append(
                    {"dataElement": cat.ident(element, scheme), **base, "value": _plain(number)}
                )
            continue
        element = cat.element_of(value.indicator_id, None)
        if version.measure == "yesno":
            shown = "true" if value.value == 1 else "false"
        elif version.measure == "text":
            shown = value.text_value or ""
        else:
            shown = _plain(value.value)
        out.append({"dataElement": cat.ident(element, scheme), **base, "value": shown})
    return out


def _csv(rows: list[dict]) -> Response:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([c.lower() for c in CSV_COLUMNS])
    for r in rows:
        writer.writerow(
            [
                r["dataElement"],
                r["period"],
                r["orgUnit"],
                r["categoryOptionCombo"],
                r["attributeOptionCombo"],
                r["value"],
                r["storedBy"],
                r["lastUpdated"],
                r["comment"],
                "false",
                "false",
            ]
        )
    return Response(buf.getvalue(), mimetype="text/csv")


def _get(fmt: str | None):
    cat = catalogue()
    rows = export_rows(cat, _filters())
    wants_csv = fmt == "csv" or (
        fmt is None and "text/csv" in (request.headers.get("Accept") or "")
    )
    if wants_csv:
        return _csv(rows)
    return jsonify({"dataValues": rows})


@route("dataValueSets", methods=["GET"])
def get_data_value_sets(api_version: int | None = None):
    return _get(None)


@route("dataValueSets.json", methods=["GET"])
def get_data_value_sets_json(api_version: int | None = None):
    return _get("json")


@route("dataValueSets.csv", methods=["GET"])
def get_data_value_sets_csv(api_version: int | None = None):
    return _get("csv")


bp.add_url_rule(
    "/api/v1/dataValueSets", endpoint="get_data_value_sets_v1", view_func=get_data_value_sets
)


# --- single values --------------------------------------------------------------------


def _single(cat: Catalogue) -> Incoming:
    """The de/pe/ou/co/ao parameters, each identifier turned into its UID (UID or CODE
    accepted)."""
    args = request.values

    def uid(kind: str, ident: str | None) -> str | None:
        if not ident:
            return None
        item = cat.find(kind, "UID", ident) or cat.find(kind, "CODE", ident)
        return item.uid if item is not None else ident

    return Incoming(
        index=0,
        data_element=uid("dataElement", args.get("de")),
        period=args.get("pe"),
        org_unit=uid("orgUnit", args.get("ou")),
        category_option_combo=uid("categoryOptionCombo", args.get("co")),
        attribute_option_combo=uid("attributeOptionCombo", args.get("ao") or args.get("cc")),
        value=args.get("value"),
        comment=args.get("comment"),
    )


def _answer(summary: imports.Summary, ok_status: int):
    if summary.conflicts:
        db.session.rollback()
        first = summary.conflicts[0]
        return web_message(
            409, f"{first['value']}: {first['object']}", errorCode=first["errorCode"]
        )
    db.session.commit()
    return Response(status=ok_status)


def _pair(cat: Catalogue, element, inc: Incoming) -> Incoming | None:
    """The other side of a ratio as stored, so that one side can be sent alone."""
    stored = _stored_value(cat, element, inc)
    if stored is None:
        return None
    side = "den" if element.part == "num" else "num"
    other = cat.element_of(element.indicator.id, side)
    number = stored.denominator if side == "den" else stored.numerator
    return Incoming(
        index=1,
        data_element=other.uid,
        period=inc.period,
        org_unit=inc.org_unit,
        category_option_combo=inc.category_option_combo,
        attribute_option_combo=inc.attribute_option_combo,
        value=_plain(number),
    )


def _stored_value(cat: Catalogue, element, inc: Incoming):
    from indicators.models import DataValue, ReportingPeriod

    unit = cat.find("orgUnit", "UID", inc.org_unit)
    combo = cat.find("categoryOptionCombo", "UID", inc.category_option_combo or "HllvX50cXC0")
    if unit is None or combo is None or current_user.organisation_id is None:
        return None
    return db.session.scalar(
        sa.select(DataValue)
        .join(ReportingPeriod, ReportingPeriod.id == DataValue.period_id)
        .where(
            DataValue.indicator_id == element.indicator.id,
            ReportingPeriod.code == (inc.period or ""),
            DataValue.organisation_id == current_user.organisation_id,
            DataValue.province_id.is_(None)
            if unit.province is None
            else DataValue.province_id == unit.province.id,
            DataValue.disagg_key == combo.key,
        )
    )


@route("dataValues", methods=["POST", "PUT"])
def post_data_value(api_version: int | None = None):
    _writer_or_403()
    cat = catalogue()
    inc = _single(cat)
    element = cat.find("dataElement", "UID", inc.data_element)
    rows = [inc]
    if element is not None and element.part is not None:
        other = _pair(cat, element, inc)
        if other is not None:
            rows.append(other)
    summary = imports.run(db.session, current_user, rows, imports.Options(), locale=lang())
    return _answer(summary, 201)


@route("dataValues", methods=["DELETE"])
def delete_data_value(api_version: int | None = None):
    _writer_or_403()
    cat = catalogue()
    inc = _single(cat)
    inc.deleted = True
    summary = imports.run(db.session, current_user, [inc], imports.Options(), locale=lang())
    if not summary.conflicts and summary.deleted == 0:
        db.session.rollback()
        return web_message(404, _("There is no such data value."))
    return _answer(summary, 204)


@route("dataValues", methods=["GET"])
def get_data_value(api_version: int | None = None):
    cat = catalogue()
    inc = _single(cat)
    element = cat.find("dataElement", "UID", inc.data_element)
    if element is None:
        raise Dhis2Error(409, _("Data element not found or not accessible"), "E7610")
    rows = export_rows(
        cat,
        {
            "periods": [inc.period] if inc.period else [],
            "start": None,
            "end": None,
            "units": [inc.org_unit] if inc.org_unit else [],
            "children": False,
            "sets": [],
            "elements": [element.uid],
            "since": None,
        },
    )
    combo = inc.category_option_combo or "HllvX50cXC0"
    rows = [
        r
        for r in rows
        if r["dataElement"] == element.uid
        and r["categoryOptionCombo"] == combo
        and (
            not inc.attribute_option_combo
            or r["attributeOptionCombo"] == inc.attribute_option_combo
        )
    ]
    if not rows:
        return web_message(404, _("There is no such data value."))
    return jsonify([rows[0]["value"]])
