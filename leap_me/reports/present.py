"""Words and numbers for the variance results, in the reader's language (Babel)."""

from __future__ import annotations

from typing import Any

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

STATUS_TITLES = {
    "exceeded": _l("Exceeded"),
    "green": _l("On track"),
    "met": _l("Met"),
    "amber": _l("Behind"),
    "red": _l("Off track"),
    "not_met": _l("Not met"),
    "no_data": _l("No data"),
    "no_target": _l("No target"),
}

#: One letter per status, printed in the badge and the bar so that black-and-white
#: prints and colour-blind readers can tell them apart.
STATUS_MARKS = {
    "exceeded": "▲",
    "green": "●",
    "met": "✓",
    "amber": "◐",
    "red": "○",
    "not_met": "✗",
    "no_data": "…",
    "no_target": "–",
}

SPAN_TITLES = {
    "period": _l("This period"),
    "ytd": _l("Year to date"),
    "plan": _l("Plan to date"),
}


def status_title(status: str) -> str:
    return str(STATUS_TITLES.get(status, status))


def num(value: float | None, digits: int | None = None) -> str:
    """A figure for reading: whole numbers plain, others with up to two decimals."""
    if value is None:
        return "—"
    if digits is None:
        digits = 0 if abs(value - round(value)) < 1e-9 else (1 if abs(value) >= 100 else 2)
    fmt = "#,##0" + ("." + "#" * digits if digits else "")
    return format_decimal(round(value, digits), format=fmt)


def pct(value: float | None) -> str:
    if value is None:
        return "—"
    return format_decimal(round(value, 1), format="#,##0.#") + " %"


def forecast_sentence(fc: dict[str, Any] | None) -> str:
    """ "On course to reach 120 by 2031Q2." / "Projected 84 of 120 by the end of 2035.\""""
    if not fc:
        return ""
    target = num(fc["target"])
    if fc["kind"] == "reached":
        return _("Target of %(target)s already reached.", target=target)
    if fc["kind"] == "reach":
        return _("On course to reach %(target)s by %(period)s.", target=target, period=fc["period"])
    return _(
        "Projected %(value)s of %(target)s by the end of %(year)s.",
        value=num(max(fc["value"], 0.0)),
        target=target,
        year=fc.get("end_year") or (fc.get("end_period") or "")[:4],
    )


def _value(row: dict[str, Any], value: float | None) -> str:
    if value is None:
        return "—"
    if row["measure"] == "percentage":
        return num(value, 1) + " %"
    if row["measure"] == "ratio":
        return num(value, 2)
    return num(value)


def display(row: dict[str, Any], lang: str = "en") -> dict[str, Any]:
    """The row with its figures as text for the page, the report and the PDF."""
    km = lang == "km"
    out = dict(row)
    out["name"] = row["name_km"] if km else row["name_en"]
    out["unit"] = row["unit_km"] if km else row["unit_en"]
    out["baseline_s"] = _value(row, row["baseline"])
    out["target_s"] = _value(row, row["target"])
    out["actual_s"] = _value(row, row["actual"])
    if row["measure"] == "yesno" and row.get("yes_share") is not None:
        out["actual_s"] += f" ({pct(row['yes_share'] * 100)})"
    variance = row.get("variance")
    if variance is None:
        out["variance_s"] = "—"
    else:
        sign = "+" if variance > 0 else ("−" if variance < 0 else "±")
        out["variance_s"] = sign + _value(row, abs(variance))
    rel = row.get("relative_variance")
    out["relative_s"] = "—" if rel is None else ("+" if rel > 0 else "") + pct(rel * 100)
    out["progress_s"] = pct(row.get("progress"))
    out["status_title"] = status_title(row["status"])
    out["status_mark"] = STATUS_MARKS.get(row["status"], "")
    out["forecast_s"] = forecast_sentence(row.get("forecast"))
    if "group" in row:
        out["group_label"] = (row.get("group_name_km") if km else row.get("group_name")) or ""
    return out
