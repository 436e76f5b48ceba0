"""GET /api/v1/budget/schedule: years × funding sources, planned and actual, the MoI
share, the path and the gap. Money is a decimal string with its currency, never a float."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import abort, jsonify
from flask_babel import gettext as _
from flask_login import current_user

from budget import services
from leap_me.api import api_blueprint
from leap_me.auth.permissions import can_see_budget_detail, signed_in
from leap_me.extensions import db

bp = api_blueprint("budget_api", __name__, url_prefix="/budget")


def money(value: Decimal | None, currency: str) -> dict[str, str] | None:
    return None if value is None else {"amount": format(value, "f"), "currency": currency}


def both(usd: Decimal | None, khr: Decimal | None) -> dict[str, Any]:
    return {"USD": money(usd, "USD"), "KHR": money(khr, "KHR")}


def ratio(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def schedule_json(data: dict[str, Any], detail: bool) -> dict[str, Any]:
    years = []
    for r in data["years_rows"]:
        row = {
            "year": r["year"],
            "exchangeRate": ratio(r["rate"]),
            "planned": both(r["planned_usd"], r["planned_khr"]),
            "moiPlanned": both(r["moi_usd"], r["moi_khr"]),
            "moiShare": ratio(r["moi_share"]),
            "pathShare": ratio(r["path_share"]),
            "gap": both(r["gap_usd"], r["gap_khr"]),
            "actual": both(r["actual_usd"], r["actual_khr"]),
            "actualMoiShare": ratio(r["actual_moi_share"]),
            "quartersReported": r["quarters"],
            "plannedToDate": money(r["planned_to_date_usd"], "USD"),
            "executionRate": ratio(r["execution_rate"]),
            "variance": money(r["variance_usd"], "USD"),
        }
        if detail:
            row["sources"] = [
                {
                    "source": code,
                    "planned": both(v["planned_usd"], v["planned_khr"]),
                    "share": ratio(v["share"]),
                    "actual": both(v["actual_usd"], v["actual_khr"]),
                }
                for code, v in r["sources"].items()
            ]
        years.append(row)
    return {
        "schedule": {
            "name": data["schedule"]["name"],
            "status": data["schedule"]["status"],
            "isDemo": data["schedule"]["is_demo"],
        },
        "path": {
            "mode": data["path"]["mode"],
            "currentShare": ratio(data["path"]["current_share"]),
            "firstYear": data["path"]["first_year"],
            "fullOwnershipYear": data["path"]["full_ownership_year"],
        },
        "rounding": "ROUND_HALF_UP; USD to the cent, KHR to the whole riel, shares to 0.0001",
        "years": years,
        "totals": {
            "planned": both(data["totals"]["planned_usd"], data["totals"]["planned_khr"]),
            "moiPlanned": both(data["totals"]["moi_usd"], data["totals"]["moi_khr"]),
            "actual": both(data["totals"]["actual_usd"], data["totals"]["actual_khr"]),
            "gapToCover": both(
                data["totals"]["gap_to_cover_usd"], data["totals"]["gap_to_cover_khr"]
            ),
        },
        "sources": [s["code"] for s in data["sources"]] if detail else [],
    }


@bp.route("/schedule")
@signed_in
def schedule():
    sched = services.approved_schedule(db.session)
    if sched is None:
        abort(404, description=_("There is no approved budget schedule yet."))
    detail = can_see_budget_detail(current_user)
    data = services.compute(db.session, sched, detail=False)
    return jsonify(schedule_json(data, detail))
