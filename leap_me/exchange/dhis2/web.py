"""The DHIS2 Web API at DHIS2's own paths: ``/api/…``, ``/api/38/…`` to ``/api/41/…``, and
``/api/v1/dataValueSets`` (CONTRACTS.md), all served by the same views.

A script written for DHIS2 2.38–2.41 talks to these unchanged: it reads
``/api/system/info`` and ``/api/me``, the metadata (data elements, option combos,
organisation units, data sets, period types), then posts and reads data values.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, g, request
from flask_login import current_user

from leap_me.auth.roles import Role
from leap_me.exchange.dhis2 import common
from leap_me.exchange.dhis2.common import Dhis2Error, listing
from leap_me.exchange.dhis2.ids import DEFAULT_UID, Catalogue, ensure
from leap_me.extensions import csrf, db

bp = Blueprint("dhis2", __name__)
csrf.exempt(bp)

DHIS2_VERSION = "2.40.0"
VERSIONS = "int(min=38,max=41)"


def route(path: str, **options):
    """Register a view at ``/api/<path>`` and ``/api/<38-41>/<path>``."""

    def decorator(view):
        bp.add_url_rule(f"/api/{path}", view_func=view, **options)
        bp.add_url_rule(
            f"/api/<{VERSIONS}:api_version>/{path}",
            endpoint=f"{view.__name__}_versioned",
            view_func=view,
            **options,
        )
        return view

    return decorator


@bp.before_request
def _sign_in() -> None:
    common.authenticate()


@bp.errorhandler(Dhis2Error)
def _dhis2_error(err: Dhis2Error):
    db.session.rollback()
    return common.error_response(err)


def catalogue() -> Catalogue:
    if "dhis2_catalogue" not in g:
        g.dhis2_catalogue = Catalogue(db.session)
        db.session.commit()  # UIDs given for the first time are kept
    return g.dhis2_catalogue


def lang() -> str:
    return "km" if (getattr(current_user, "locale", None) or "") == "km" else "en"


def _name(names: dict[str, str]) -> str:
    return names.get(lang()) or names.get("en") or ""


# --- system ---------------------------------------------------------------------------


@route("system/info")
def system_info(api_version: int | None = None):
    from flask import jsonify

    now = datetime.now(UTC)
    return jsonify(
        {
            "version": DHIS2_VERSION,
            "revision": "leap-me",
            "buildTime": "2026-12-01T00:00:00.000",
            "serverDate": now.strftime("%Y-%m-%dT%H:%M:%S.000"),
            "serverTimeZoneId": "UTC",
            "calendar": "iso8601",
            "dateFormat": "yyyy-mm-dd",
            "systemName": "LEAP M&E",
            "systemId": "leap-me",
            "contextPath": request.host_url.rstrip("/"),
            "userAgent": request.headers.get("User-Agent", ""),
        }
    )


AUTHORITIES = {
    Role.PARTNER: ["F_DATAVALUE_ADD", "F_DATAVALUE_DELETE", "M_dhis-web-dataentry"],
    Role.REVIEWER: ["F_APPROVE_DATA", "F_VIEW_DATA"],
    Role.PLANNER: ["F_VIEW_DATA", "F_METADATA_MANAGE"],
    Role.ADMIN: ["ALL"],
    Role.VIEWER: ["F_VIEW_DATA"],
}


def scope_units(cat: Catalogue) -> list:
    """The org units a user may report for: a partner's provinces (or KH when it works
    nationwide); everyone else Cambodia as a whole (which holds every province)."""
    if current_user.role == Role.PARTNER and current_user.organisation is not None:
        provinces = current_user.organisation.provinces
        if provinces:
            return [cat.unit_of(p.id) for p in provinces]
    return [cat.unit_of(None)]


@route("me")
def me(api_version: int | None = None):
    from flask import jsonify

    cat = catalogue()
    user = current_user
    uid = ensure(db.session, "user", [str(user.id)])[str(user.id)]
    db.session.commit()
    units = [{"id": u.uid, "code": u.code, "name": _name(u.names)} for u in scope_units(cat)]
    org = cat.org_of(user.organisation_id) if user.organisation_id else None
    body = {
        "id": uid,
        "username": user.username,
        "name": user.full_name or user.username,
        "displayName": user.full_name or user.username,
        "email": getattr(user, "email", "") or "",
        "settings": {"keyUiLocale": lang(), "keyDbLocale": lang()},
        "organisationUnits": units,
        "dataViewOrganisationUnits": units,
        "authorities": AUTHORITIES.get(Role(user.role), []),
        "userCredentials": {"username": user.username},
        "attributeOptionCombo": (
            {"id": org.uid, "code": org.code, "name": _org_name(org)} if org else None
        ),
    }
    tree = common.parse_fields(request.args.get("fields"))
    return jsonify(common.apply_fields(body, tree))


def _org_name(org) -> str:
    o = org.organisation
    return (o.name_km if lang() == "km" and o.name_km else o.name_en) or o.code


# --- metadata -------------------------------------------------------------------------

VALUE_TYPES = {"number": "NUMBER", "yesno": "BOOLEAN", "text": "LONG_TEXT"}
AGGREGATION = {"sum": "SUM", "average": "AVERAGE", "max": "MAX", "min": "MIN"}


def _element_json(cat: Catalogue, e) -> dict:
    version = e.version
    name = _name({"en": version.name_en, "km": version.name_km})
    if e.part == "num":
        name += " — numerator" if lang() == "en" else " — ភាគយក"
        value_type = "NUMBER"
    elif e.part == "den":
        name += " — denominator" if lang() == "en" else " — ភាគបែង"
        value_type = "NUMBER"
    else:
        value_type = VALUE_TYPES.get(version.measure, "NUMBER")
    dataset = next(d for d in cat.datasets if d.frequency == version.frequency)
    return {
        "id": e.uid,
        "code": e.code,
        "name": name,
        "displayName": name,
        "shortName": e.code,
        "valueType": value_type,
        "domainType": "AGGREGATE",
        "aggregationType": AGGREGATION.get(version.agg_space, "SUM"),
        "zeroIsSignificant": True,
        "categoryCombo": {"id": f"cc{e.uid[2:]}" if version.categories else "bjDvmb4bfuf"},
        "dataSetElements": [{"dataSet": {"id": dataset.uid}}],
        "periodType": dataset.period_type,
        "retired": e.indicator.status != "active",
    }


@route("dataElements")
def data_elements(api_version: int | None = None):
    cat = catalogue()
    items = [_element_json(cat, e) for e in cat.elements]
    return listing("dataElements", items)


@route("categoryOptionCombos")
def category_option_combos(api_version: int | None = None):
    cat = catalogue()
    items = [
        {"id": c.uid, "code": c.code, "name": _name(c.names), "displayName": _name(c.names)}
        for c in cat.combos
    ]
    return listing("categoryOptionCombos", items)


@route("organisationUnits")
def organisation_units(api_version: int | None = None):
    cat = catalogue()
    country = cat.unit_of(None)
    items = []
    for u in cat.units:
        item = {
            "id": u.uid,
            "code": u.code,
            "name": _name(u.names),
            "displayName": _name(u.names),
            "shortName": u.names.get("en", ""),
            "level": 1 if u.province is None else 2,
            "path": f"/{country.uid}" + ("" if u.province is None else f"/{u.uid}"),
        }
        if u.province is not None:
            item["parent"] = {"id": country.uid}
        else:
            item["children"] = [{"id": c.uid} for c in cat.units if c.province is not None]
        items.append(item)
    level = request.args.get("level")
    if level in ("1", "2"):
        items = [i for i in items if str(i["level"]) == level]
    return listing("organisationUnits", items)


@route("dataSets")
def data_sets(api_version: int | None = None):
    cat = catalogue()
    names = {
        "monthly": ("LEAP monthly indicators", "សូចនាករប្រចាំខែ LEAP"),
        "quarterly": ("LEAP quarterly indicators", "សូចនាករប្រចាំត្រីមាស LEAP"),
        "half_yearly": ("LEAP half-yearly indicators", "សូចនាករប្រចាំឆមាស LEAP"),
        "yearly": ("LEAP yearly indicators", "សូចនាករប្រចាំឆ្នាំ LEAP"),
    }
    items = []
    for d in cat.datasets:
        en, km = names[d.frequency]
        name = km if lang() == "km" else en
        items.append(
            {
                "id": d.uid,
                "code": d.code,
                "name": name,
                "displayName": name,
                "periodType": d.period_type,
                "dataSetElements": [{"dataElement": {"id": e.uid}} for e in d.elements],
                "organisationUnits": [{"id": u.uid} for u in cat.units],
                "categoryCombo": {"id": "bjDvmb4bfuf"},
            }
        )
    return listing("dataSets", items)


PERIOD_TYPES = [
    {"name": "Monthly", "frequencyOrder": 30, "isoDuration": "P1M", "isoFormat": "yyyyMM"},
    {"name": "Quarterly", "frequencyOrder": 91, "isoDuration": "P3M", "isoFormat": "yyyyQn"},
    {"name": "SixMonthly", "frequencyOrder": 182, "isoDuration": "P6M", "isoFormat": "yyyySn"},
    {"name": "Yearly", "frequencyOrder": 365, "isoDuration": "P1Y", "isoFormat": "yyyy"},
]


@route("periodTypes")
def period_types(api_version: int | None = None):
    from flask import jsonify

    tree = common.parse_fields(request.args.get("fields"))
    return jsonify({"periodTypes": common.apply_fields(PERIOD_TYPES, tree)})


__all__ = ["bp", "DEFAULT_UID"]
