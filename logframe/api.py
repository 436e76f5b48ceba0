"""GET /api/v1/results: the results tree of the current plan (or ?version=N)."""

from __future__ import annotations

from typing import Any

from flask import abort, jsonify
from flask_babel import gettext as _
from flask_login import current_user

from leap_me import numbers
from leap_me.api import api_blueprint
from leap_me.auth.permissions import can_read_version, signed_in
from leap_me.extensions import db
from logframe import services
from logframe.models import Level, PlanVersion
from logframe.services import Node

bp = api_blueprint("logframe_api", __name__)


def node_as_dict(node: Node) -> dict[str, Any]:
    r = node.result
    out: dict[str, Any] = {
        "key": r.key,
        "code": r.code,
        "level": r.level,
        "statement": {"en": r.statement_en, "km": r.statement_km},
        "responsible": r.responsible.code if r.responsible else None,
        "partners": [o.code for o in r.partners],
    }
    if r.level == Level.ACTIVITY:
        out.update(
            start=r.start_date.isoformat() if r.start_date else None,
            end=r.end_date.isoformat() if r.end_date else None,
            status=r.status,
            progress=r.progress,
            cost=None
            if r.cost is None
            else {"amount": format(r.cost, ".2f"), "currency": r.cost_currency},
            provinces=[p.code for p in r.provinces],
            delayNote={"en": r.delay_note_en, "km": r.delay_note_km},
        )
    else:
        out["children"] = [node_as_dict(c) for c in node.children]
    return out


def version_as_dict(version: PlanVersion) -> dict[str, Any]:
    return {
        "number": version.number,
        "status": version.status,
        "approved": version.approved_dt.isoformat() if version.approved_dt else None,
    }


@bp.route("/results")
@signed_in
def results():
    plan = services.plan_of(db.session)
    if plan is None:
        abort(404, description=_("There is no strategic plan yet."))
    arg = numbers.query_int("version", minimum=1)
    if arg is not None:
        version = services.version_by_number(db.session, plan, arg)
        if version is None:
            abort(404, description=_("There is no version %(number)s.", number=arg))
    else:
        version = services.latest_approved(db.session, plan)
        if version is None:
            version = services.draft_of(db.session, plan)
    if version is None:
        abort(404, description=_("There is no strategic plan yet."))
    if not can_read_version(current_user, version):
        abort(403, description=_("Partners can read the approved plan only."))
    tree = services.build_tree(services.load_results(db.session, version))
    return jsonify(
        {
            "plan": {
                "code": plan.code,
                "title": {"en": plan.title_en, "km": plan.title_km},
                "startYear": plan.start_year,
                "endYear": plan.end_year,
            },
            "version": version_as_dict(version),
            "results": [node_as_dict(n) for n in tree],
        }
    )
