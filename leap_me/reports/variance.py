"""The variance engine: approved values against their targets (METHOD.md §2–§3).

``load()`` reads everything one period needs in a fixed number of queries — the
indicators, the periods, ONE grouped query for the values of the whole plan up to the
period, the targets, the de-duplication adjustments — and ``Data.variance(span, by)``
computes any span (the period, year to date, plan to date) and any drill-down (by
province, by organisation) from those frames with pandas, without going back to the
database. Results are plain dicts, shared by the page, the API, the dashboards and the
report.

Rules, in the order they are applied:

1. *Space* — per indicator × period, the figures of every organisation × province are
   added up with the indicator's rule (sum, average, max, min). Percentages and ratios
   are re-computed from the summed numerators and denominators; yes/no gives the
   count of "yes" (and its share).
2. *De-duplication* — a reviewer's adjustments (negative) are added to sector and
   provincial totals of counts that add up by ``sum``; never to one organisation's.
3. *Time* — the periods of the span are added up with the indicator's rule over time
   (sum, latest, average, max); fractions again from summed numerators/denominators.
4. *Targets* — the same two steps over the targets of the span's periods: the national
   target, or the provincial targets combined with the space rule when a period has
   no national one.
5. *Assessment* — variance, relative variance, progress and status
   (see :func:`assess`), then the forecast (see :func:`forecast`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import orm as so

from indicators.services import calendar
from indicators.services import reading as ind_reading
from leap_me.lazy import numpy as np
from leap_me.lazy import pandas as pd
from leap_me.reports import dedup as dedup_reading
from logframe import services as logframe
from stakeholders import services as stakeholders

SPANS = ("period", "ytd", "plan")
BY = (None, "province", "organisation")

# Statuses, in the order a table shows them.
GREEN, AMBER, RED, EXCEEDED = "green", "amber", "red", "exceeded"
MET, NOT_MET, NO_DATA, NO_TARGET = "met", "not_met", "no_data", "no_target"
STATUSES = (EXCEEDED, GREEN, MET, AMBER, RED, NOT_MET, NO_DATA, NO_TARGET)
#: Statuses that count as "on track" in summaries.
ON_TRACK = {GREEN, EXCEEDED, MET}
OFF_TRACK = {AMBER, RED, NOT_MET}

APPROVED = ("approved",)
PREVIEW = ("approved", "submitted")


class VarianceError(ValueError):
    """A request the engine cannot answer (unknown period, span, filter), translated."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


# --- assessment of one figure (pure) -------------------------------------------------


def _nan(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def assess(
    actual: float | None,
    target: float | None,
    baseline: float | None,
    direction: str,
    *,
    flow: bool = False,
    tolerance: float | None = None,
    green: int = 90,
    amber: int = 60,
    exceeded: int = 120,
) -> dict[str, Any]:
    """Variance, relative variance, progress and status of one figure (METHOD.md §3).

    ``flow`` marks a count that adds up over time (``sum``): its baseline is the rate of
    an earlier span, not a starting level, so progress is measured from 0 — going up —
    and a falling flow is judged met / not met.
    """
    out: dict[str, Any] = {
        "variance": None,
        "relative_variance": None,
        "progress": None,
        "favourable": None,
        "baseline_used": None,
    }
    if _nan(target):
        out["status"] = NO_TARGET
        return out
    if _nan(actual):
        out["status"] = NO_DATA
        return out
    variance = actual - target
    out["variance"] = variance
    out["relative_variance"] = variance / abs(target) if target != 0 else None
    if direction == "keep":
        tol = tolerance if not _nan(tolerance) else 0.05 * abs(target)
        met = abs(variance) <= tol + 1e-9
        out["favourable"] = met
        out["status"] = MET if met else NOT_MET
        out["tolerance"] = tol
        return out
    up = direction != "down"
    out["favourable"] = variance >= -1e-9 if up else variance <= 1e-9
    # a flow, or no baseline: progress from 0 going up; undefined going down
    base = (0.0 if up else None) if flow or _nan(baseline) else baseline
    out["baseline_used"] = base
    if base is None or abs(target - base) < 1e-12:
        # No progress can be measured (a falling indicator without baseline, or a target
        # equal to its baseline): only whether the target is met.
        out["status"] = MET if out["favourable"] else NOT_MET
        return out
    progress = (actual - base) / (target - base) * 100
    out["progress"] = progress
    if progress > exceeded + 1e-9:
        out["status"] = EXCEEDED
    elif progress >= green - 1e-9:
        out["status"] = GREEN
    elif progress >= amber - 1e-9:
        out["status"] = AMBER
    else:
        out["status"] = RED
    return out


# --- forecast (pure) ------------------------------------------------------------------


def forecast(
    points: list[tuple[int, float]],
    end_index: int,
    end_target: float | None,
    direction: str,
    codes: list[str],
) -> dict[str, Any] | None:
    """A least-squares line through ``points`` (period index, cumulative actual or value).

    Returns None with fewer than three points, no end target or a "keep" indicator.
    Otherwise ``kind`` is ``reached`` (already there), ``reach`` (the line crosses the
    target by the plan's last period: ``period`` is when) or ``miss`` (``value`` is where
    the line ends at the plan's last period).
    """
    if len(points) < 3 or _nan(end_target) or direction == "keep":
        return None
    xs = np.array([p[0] for p in points], dtype=float)  # pragma: no mutate
    ys = np.array([p[1] for p in points], dtype=float)  # pragma: no mutate
    slope, intercept = np.polyfit(xs, ys, 1)
    up = direction != "down"
    out: dict[str, Any] = {
        "slope": float(slope),
        "intercept": float(intercept),
        "target": float(end_target),
        "end_index": end_index,
        "end_period": codes[end_index] if 0 <= end_index < len(codes) else None,
        "points": [(int(x), float(y)) for x, y in points],
    }
    last = ys[-1]
    if (up and last >= end_target) or (not up and last <= end_target):
        out.update(kind="reached", period=codes[int(xs[-1])], value=float(last))
        return out
    moving_right_way = slope > 1e-12 if up else slope < -1e-12
    if moving_right_way:
        x_star = (end_target - intercept) / slope
        index = max(int(math.ceil(x_star - 1e-9)), int(xs[-1]) + 1)
        if index <= end_index:
            out.update(kind="reach", period=codes[index], index=index, value=float(end_target))
            return out
    projected = float(intercept + slope * end_index)
    out.update(kind="miss", value=projected, period=out["end_period"])
    return out


# --- loading -----------------------------------------------------------------------


@dataclass
class Filters:
    outcome: str | None = None  # an outcome's result key
    province: str | None = None  # a province code
    organisation: str | None = None  # an organisation code
    option: str | None = None  # a disaggregation option, "sex:F"

    def as_dict(self) -> dict[str, str | None]:
        return {
            "outcome": self.outcome,
            "province": self.province,
            "organisation": self.organisation,
            "option": self.option,
        }


@dataclass
class Data:
    """Everything the variance of one period needs, read once."""

    period: dict[str, Any]
    plan_years: tuple[int, int]
    preview: bool
    filters: Filters
    indicators: pd.DataFrame
    periods: pd.DataFrame
    values: pd.DataFrame
    targets: pd.DataFrame
    adjustments: pd.DataFrame
    outcomes: list[dict[str, Any]]
    provinces: dict[int, Any]
    organisations: dict[int, Any]
    province_id: int | None = None
    organisation_id: int | None = None
    _cache: dict = field(default_factory=dict)

    # -- windows ----------------------------------------------------------------------

    def window(self, span: str) -> tuple[pd.Timestamp, pd.Timestamp]:
        end = pd.Timestamp(self.period["end"])
        if span == "period":
            start = pd.Timestamp(self.period["start"])
        elif span == "ytd":
            start = pd.Timestamp(date(self.period["year"], 1, 1))
        else:
            start = pd.Timestamp(date(self.plan_years[0], 1, 1))
        return start, end

    # -- step 1 and 2: space ----------------------------------------------------------

    def _space(self, by: str | None) -> pd.DataFrame:
        key = ("space", by)
        if key in self._cache:
            return self._cache[key]
        extra = _extra_keys(by)
        v = self.values
        keys = ["indicator_id", "period_id", *extra]
        if v.empty:
            frame = pd.DataFrame(
                columns=[
                    *keys,
                    "v_sum",
                    "v_mean",
                    "v_max",
                    "v_min",
                    "num",
                    "den",
                    "n",
                    "reports",
                ]
            )
        else:
            g = v.groupby(keys, sort=False, dropna=False)
            sums = g[["value", "numerator", "denominator"]].sum()
            value = g["value"]
            frame = pd.DataFrame(
                {
                    "v_sum": sums["value"],
                    "v_mean": value.mean(),
                    "v_max": value.max(),
                    "v_min": value.min(),
                    "num": sums["numerator"],
                    "den": sums["denominator"],
                    "n": value.count(),
                    "reports": g["organisation_id"].nunique(),
                }
            ).reset_index()
        meta = self.indicators[["indicator_id", "measure", "agg_space", "agg_time"]]
        frame = frame.merge(meta, on="indicator_id", how="inner")
        frame = frame.merge(
            self.periods[["period_id", "period_code", "end"]], on="period_id", how="inner"
        )
        measure, rule = frame["measure"], frame["agg_space"]
        number = np.select(
            [rule == "average", rule == "max", rule == "min"],
            [frame["v_mean"], frame["v_max"], frame["v_min"]],
            default=frame["v_sum"],
        )
        with np.errstate(divide="ignore", invalid="ignore"):  # pragma: no mutate
            fraction = frame["num"] / frame["den"].where(frame["den"] != 0)
        frame["actual"] = np.select(
            [measure == "percentage", measure == "ratio", measure == "yesno"],
            [fraction * 100, fraction, frame["v_sum"]],
            default=number,
        ).astype(float)
        frame["dedup"] = 0.0
        adj = self.adjustments
        dedup_applies = by != "organisation" and self.organisation_id is None
        if dedup_applies and not adj.empty and not frame.empty:
            if self.province_id is not None:
                adj = adj[adj["province_id"] == self.province_id]
            adj_keys = ["indicator_id", "period_id", *extra]
            grouped = adj.groupby(adj_keys, dropna=False)["adjustment"].sum().reset_index()
            frame = frame.merge(grouped, on=adj_keys, how="left")
            counts = (frame["measure"] == "number") & (frame["agg_space"] == "sum")
            frame["dedup"] = frame["adjustment"].where(counts, 0.0).fillna(0.0)
            frame["actual"] = frame["actual"] + frame["dedup"]
            frame = frame.drop(columns=["adjustment"])
        self._cache[key] = frame
        return frame

    # -- step 3: time -----------------------------------------------------------------

    def _time(self, span: str, by: str | None) -> pd.DataFrame:
        start, end = self.window(span)
        frame = self._space(by)
        frame = frame[(frame["end"] >= start) & (frame["end"] <= end)]
        keys = ["indicator_id", *_extra_keys(by)]
        columns = [
            *keys,
            "actual",
            "numerator",
            "denominator",
            "yes_share",
            "periods_with_data",
            "last_period",
            "dedup",
            "reports",
        ]
        if frame.empty:
            return pd.DataFrame(columns=columns)
        frame = frame.sort_values(["end", "period_id"])
        g = frame.groupby(keys, sort=False, dropna=False)
        # one pass per reduction over several columns (a named aggregation makes one
        # per output column, a third of a variance question's time)
        sums = g[["actual", "num", "den", "v_sum", "n", "dedup"]].sum()
        lasts = g[["actual", "num", "den", "v_sum", "n", "period_code"]].last()
        firsts = g[["measure", "agg_time"]].first()
        actual = g["actual"]
        out = pd.DataFrame(
            {
                "a_sum": sums["actual"],
                "a_last": lasts["actual"],
                "a_mean": actual.mean(),
                "a_max": actual.max(),
                "num_sum": sums["num"],
                "den_sum": sums["den"],
                "num_last": lasts["num"],
                "den_last": lasts["den"],
                "yes_sum": sums["v_sum"],
                "n_sum": sums["n"],
                "yes_last": lasts["v_sum"],
                "n_last": lasts["n"],
                "periods_with_data": actual.count(),
                "last_period": lasts["period_code"],
                "dedup": sums["dedup"],
                "reports": g["reports"].max(),
                "measure": firsts["measure"],
                "agg_time": firsts["agg_time"],
            }
        ).reset_index()
        rule, measure = out["agg_time"], out["measure"]
        latest = rule == "latest"
        number = np.select(
            [latest, rule == "average", rule == "max"],
            [out["a_last"], out["a_mean"], out["a_max"]],
            default=out["a_sum"],
        )
        with np.errstate(divide="ignore", invalid="ignore"):  # pragma: no mutate
            summed = out["num_sum"] / out["den_sum"].where(out["den_sum"] != 0)
        fraction = np.where(latest, out["a_last"], np.where(rule == "max", out["a_max"], np.nan))
        is_fraction = measure.isin(["percentage", "ratio"])
        scale = np.where(measure == "percentage", 100.0, 1.0)
        fraction = np.where(np.isnan(fraction), summed * scale, fraction)
        out["actual"] = np.where(is_fraction, fraction, number).astype(float)
        out["numerator"] = np.where(latest, out["num_last"], out["num_sum"])
        out["denominator"] = np.where(latest, out["den_last"], out["den_sum"])
        with np.errstate(divide="ignore", invalid="ignore"):  # pragma: no mutate
            out["yes_share"] = np.where(
                latest, out["yes_last"] / out["n_last"], out["yes_sum"] / out["n_sum"]
            )
        out.loc[measure != "yesno", "yes_share"] = np.nan
        out.loc[~is_fraction, ["numerator", "denominator"]] = np.nan
        return out[columns]

    # -- step 4: targets --------------------------------------------------------------

    def _targets(self, span: str, by: str | None, *, whole_plan: bool = False) -> pd.DataFrame:
        keys = ["indicator_id", *_extra_keys(by)]
        empty = pd.DataFrame(columns=[*keys, "target"])
        t = self.targets
        if t.empty or by == "organisation" or self.organisation_id or self.filters.option:
            return empty
        if whole_plan:
            start = pd.Timestamp(date(self.plan_years[0], 1, 1))
            end = pd.Timestamp(date(self.plan_years[1], 12, 31))
        else:
            start, end = self.window(span)
        t = t[(t["end"] >= start) & (t["end"] <= end)]
        if by == "province" or self.province_id is not None:
            t = t[t["province_id"].notna()]
            if self.province_id is not None:
                t = t[t["province_id"] == self.province_id]
            per_period = t
            if by is None:  # one province, not a drill-down: drop the province key
                per_period = t.drop(columns=["province_id"])
        else:
            national = t[t["province_id"].isna()]
            provincial = t[t["province_id"].notna()]
            if not provincial.empty:
                grouped = provincial.groupby(["indicator_id", "period_code"], sort=False)
                target = grouped["target"]
                comb = pd.concat(
                    [
                        pd.DataFrame(
                            {
                                "t_sum": target.sum(),
                                "t_mean": target.mean(),
                                "t_max": target.max(),
                                "t_min": target.min(),
                            }
                        ),
                        grouped[["end", "agg_space", "agg_time", "measure"]].first(),
                    ],
                    axis=1,
                ).reset_index()
                rule = comb["agg_space"]
                comb["target"] = np.select(
                    [rule == "average", rule == "max", rule == "min"],
                    [comb["t_mean"], comb["t_max"], comb["t_min"]],
                    default=comb["t_sum"],
                )
                have = national[["indicator_id", "period_code"]].drop_duplicates()
                comb = comb.merge(have, how="left", indicator=True)
                comb = comb[comb["_merge"] == "left_only"]
                per_period = pd.concat(
                    [national, comb[national.columns.intersection(comb.columns)]],
                    ignore_index=True,
                )
            else:
                per_period = national
        if per_period.empty:
            return empty
        per_period = per_period.sort_values(["end", "period_code"])
        g = per_period.groupby(keys, sort=False, dropna=False)
        target = g["target"]
        out = pd.concat(
            [
                pd.DataFrame(
                    {
                        "t_sum": target.sum(),
                        "t_last": target.last(),
                        "t_mean": target.mean(),
                        "t_max": target.max(),
                    }
                ),
                g[["agg_time", "measure"]].first(),
            ],
            axis=1,
        ).reset_index()
        rule = out["agg_time"]
        number = np.select(
            [rule == "latest", rule == "average", rule == "max"],
            [out["t_last"], out["t_mean"], out["t_max"]],
            default=out["t_sum"],
        )
        out["target"] = np.where(out["measure"] == "number", number, out["t_last"]).astype(float)
        return out[[*keys, "target"]]

    # -- step 5: the table ------------------------------------------------------------

    def variance(self, span: str = "period", by: str | None = None) -> list[dict[str, Any]]:
        """One row per indicator (``by=None``) or per indicator × province/organisation."""
        if span not in SPANS:
            raise VarianceError("span", "span")
        if by not in BY:
            raise VarianceError("by", "by")
        key = ("variance", span, by)
        if key in self._cache:
            return self._cache[key]
        start, end = self.window(span)
        ind = self.indicators
        due = self.periods[(self.periods["end"] >= start) & (self.periods["end"] <= end)]
        due_freq = set(due["frequency"])
        ind = ind[ind["frequency"].isin(due_freq)]
        keys = ["indicator_id", *_extra_keys(by)]
        actuals = self._time(span, by)
        targets = self._targets(span, by)
        if by is None:
            table = ind.merge(actuals, on="indicator_id", how="left")
            table = table.merge(targets, on="indicator_id", how="left")
        else:
            both = pd.concat([actuals[keys], targets[keys]], ignore_index=True).drop_duplicates()
            table = both.merge(ind, on="indicator_id", how="inner")
            table = table.merge(actuals, on=keys, how="left")
            table = table.merge(targets, on=keys, how="left")
        national = by is None and self._national()
        rows = []
        records = table.to_dict("records")
        series = self._series() if by is None else {}
        for rec in records:
            rows.append(self._row(rec, span, by, national, series))
        order = {o["key"]: i for i, o in enumerate(self.outcomes)}
        rows.sort(
            key=lambda r: (order.get(r["outcome_key"], 999), r["code"], r.get("group_name", ""))
        )
        self._cache[key] = rows
        return rows

    def _national(self) -> bool:
        return self.province_id is None and self.organisation_id is None and not self.filters.option

    def _row(self, rec, span, by, national, series) -> dict[str, Any]:
        flow = rec["measure"] == "number" and rec["agg_time"] == "sum"
        baseline = rec["baseline_value"] if national else None
        baseline = None if _nan(baseline) else baseline
        actual = _f(rec.get("actual"))
        target = _f(rec.get("target"))
        result = assess(
            actual,
            target,
            baseline,
            rec["direction"],
            flow=flow,
            tolerance=_f(rec.get("tolerance")),
            green=int(rec["threshold_green"]),
            amber=int(rec["threshold_amber"]),
            exceeded=int(rec["threshold_exceeded"]),
        )
        outcome = self._outcome_of(rec["result_key"])
        row = {
            "indicator_id": int(rec["indicator_id"]),
            "code": rec["code"],
            "name_en": rec["name_en"],
            "name_km": rec["name_km"] or rec["name_en"],
            "unit_en": rec["unit_en"],
            "unit_km": rec["unit_km"] or rec["unit_en"],
            "measure": rec["measure"],
            "direction": rec["direction"],
            "agg_space": rec["agg_space"],
            "agg_time": rec["agg_time"],
            "frequency": rec["frequency"],
            "outcome_key": outcome["key"] if outcome else "",
            "outcome_code": outcome["code"] if outcome else "",
            "baseline": baseline,
            "target": target,
            "actual": actual,
            "numerator": _f(rec.get("numerator")),
            "denominator": _f(rec.get("denominator")),
            "yes_share": _f(rec.get("yes_share")),
            "periods_with_data": int(rec["periods_with_data"])
            if not _nan(rec.get("periods_with_data"))
            else 0,
            "last_period": rec.get("last_period")
            if isinstance(rec.get("last_period"), str)
            else None,
            "dedup": _f(rec.get("dedup")) or 0.0,
            "reports": int(rec["reports"]) if not _nan(rec.get("reports")) else 0,
            "thresholds": {
                "green": int(rec["threshold_green"]),
                "amber": int(rec["threshold_amber"]),
                "exceeded": int(rec["threshold_exceeded"]),
            },
            **result,
        }
        if by == "province":
            pid = rec.get("province_id")
            prov = self.provinces.get(int(pid)) if not _nan(pid) else None
            row["group"] = prov.code if prov else ""
            row["group_name"] = prov.name_en if prov else "National"
            row["group_name_km"] = prov.name_km if prov else "ថ្នាក់ជាតិ"
        elif by == "organisation":
            oid = rec.get("organisation_id")
            org = self.organisations.get(int(oid)) if not _nan(oid) else None
            row["group"] = org.code if org else ""
            row["group_name"] = f"{org.code} — {org.name_en}" if org else ""
            row["group_name_km"] = f"{org.code} — {org.name_km or org.name_en}" if org else ""
        if by is None:
            s = series.get(row["indicator_id"])
            row["series"] = s["points"] if s else []
            row["forecast"] = s["forecast"] if s else None
        return row

    # -- series and forecast (whole plan up to the period, national level) -------------

    def _series(self) -> dict[int, dict[str, Any]]:
        if "series" in self._cache:
            return self._cache["series"]
        frame = self._space(None)
        out: dict[int, dict[str, Any]] = {}
        ends = self._targets("plan", None, whole_plan=True)
        end_target = dict(zip(ends["indicator_id"], ends["target"], strict=True))
        per_period_targets = self._period_targets()
        first, last = self.plan_years
        frame = frame[frame["end"] <= pd.Timestamp(self.period["end"])]
        frame = frame.sort_values(["end", "period_id"])
        by_ind = {i: g for i, g in frame.groupby("indicator_id", sort=False)}
        for rec in self.indicators.to_dict("records"):
            ind_id = rec["indicator_id"]
            codes = [p.code for p in calendar.periods_of_span(rec["frequency"], first, last)]
            index = {c: i for i, c in enumerate(codes)}
            g = by_ind.get(ind_id)
            points: list[dict[str, Any]] = []
            fc_points: list[tuple[int, float]] = []
            if g is not None:
                cumulative = rec["measure"] == "number" and rec["agg_time"] == "sum"
                running = 0.0
                targets = per_period_targets.get(ind_id, {})
                for code, actual in zip(g["period_code"], g["actual"], strict=True):
                    if code not in index or _nan(actual):
                        continue
                    running += actual
                    points.append(
                        {
                            "period": code,
                            "actual": float(actual),
                            "cumulative": float(running),
                            "target": targets.get(code),
                        }
                    )
                    fc_points.append((index[code], running if cumulative else float(actual)))
            fc = forecast(
                fc_points,
                len(codes) - 1,
                _f(end_target.get(ind_id)),
                rec["direction"],
                codes,
            )
            if fc is not None:
                fc["cumulative"] = rec["measure"] == "number" and rec["agg_time"] == "sum"
                fc["end_year"] = last
            out[ind_id] = {"points": points, "forecast": fc}
        self._cache["series"] = out
        return out

    def _period_targets(self) -> dict[int, dict[str, float]]:
        t = self.targets
        if t.empty:
            return {}
        national = t[t["province_id"].isna()]
        return {
            i: dict(zip(g["period_code"], g["target"].astype(float), strict=True))
            for i, g in national.groupby("indicator_id")
        }

    def _outcome_of(self, result_key: str) -> dict[str, Any] | None:
        return self._cache.setdefault("outcome_map", _outcome_map(self.outcomes)).get(result_key)

    # -- summaries -------------------------------------------------------------------

    def counts(self, span: str = "period") -> dict[str, Any]:
        """Indicators per status, overall and per outcome (for the stacked bars)."""
        rows = self.variance(span)
        overall = {s: 0 for s in STATUSES}
        # every row's outcome is one of these (the goal's pseudo-outcome "" included)
        per: dict[str, dict[str, int]] = {o["key"]: {s: 0 for s in STATUSES} for o in self.outcomes}
        for r in rows:
            overall[r["status"]] += 1
            per[r["outcome_key"]][r["status"]] += 1
        return {"overall": overall, "per_outcome": per}


def _f(x: Any) -> float | None:
    if x is None:
        return None
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def _extra_keys(by: str | None) -> list[str]:
    return {"province": ["province_id"], "organisation": ["organisation_id"]}.get(by or "", [])


def _outcome_map(outcomes: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out = {}
    for o in outcomes:
        for key in o["keys"]:
            out[key] = o
    return out


def _outcomes(session: so.Session) -> list[dict[str, Any]]:
    """The outcomes of the current plan version, each with the keys of the results below
    it (and a "goal" pseudo-outcome for indicators of the goal itself)."""
    results = logframe.result_options(session, levels=("goal", "outcome", "output", "activity"))
    by_id = {r.id: r for r in results}
    outcomes: dict[int, dict[str, Any]] = {}
    goal_keys: list[str] = []
    for r in results:
        node = r
        while node is not None and node.level != "outcome":
            node = by_id.get(node.parent_id) if node.parent_id else None
        if node is None:
            goal_keys.append(r.key)
            continue
        entry = outcomes.setdefault(
            node.id,
            {
                "key": node.key,
                "code": node.code,
                "statement_en": node.statement_en,
                "statement_km": node.statement_km or node.statement_en,
                "position": logframe.code_sort_key(node.code),
                "keys": [],
            },
        )
        entry["keys"].append(r.key)
    ordered = sorted(outcomes.values(), key=lambda o: o["position"])
    goal = {
        "key": "",
        "code": "",
        "statement_en": "Goal",
        "statement_km": "គោលដៅរួម",
        "position": [],
        "keys": goal_keys,
    }
    return [goal, *ordered]


def load(
    session: so.Session,
    period_code: str,
    *,
    preview: bool = False,
    filters: Filters | None = None,
) -> Data:
    """Read what the variance of ``period_code`` needs, in a fixed number of queries."""
    filters = filters or Filters()
    periods = ind_reading.period_frame(session)
    match = periods[periods["period_code"] == (period_code or "").strip().upper()]
    if match.empty:
        raise VarianceError(period_code or "", "period")
    period = match.iloc[0].to_dict()
    plan = logframe.plan_of(session)
    plan_years = (plan.start_year, plan.end_year) if plan else (period["year"], period["year"])
    outcomes = _outcomes(session)
    indicators = ind_reading.indicator_frame(session)
    if filters.outcome:
        chosen = next((o for o in outcomes if o["key"] == filters.outcome and o["key"]), None)
        if chosen is None:
            raise VarianceError(filters.outcome, "outcome")
        indicators = indicators[indicators["result_key"].isin(chosen["keys"])]
    provinces = stakeholders.provinces_by_code(session)
    organisations = stakeholders.organisations_by_code(session)
    province_id = organisation_id = None
    if filters.province:
        prov = provinces.get(filters.province.strip().upper())
        if prov is None:
            raise VarianceError(filters.province, "province")
        province_id = prov.id
    if filters.organisation:
        org = organisations.get(filters.organisation.strip().upper())
        if org is None:
            raise VarianceError(filters.organisation, "org")
        organisation_id = org.id
    if filters.option and ":" not in filters.option:
        raise VarianceError(filters.option, "option")
    plan_start = pd.Timestamp(date(plan_years[0], 1, 1))
    in_plan = periods[(periods["end"] >= plan_start) & (periods["end"] <= period["end"])]
    values = ind_reading.value_grains(
        session,
        in_plan["period_id"].tolist(),
        PREVIEW if preview else APPROVED,
        indicator_ids=indicators["indicator_id"].tolist() if filters.outcome else None,
        province_id=province_id,
        organisation_id=organisation_id,
        option=filters.option or None,
    )
    # A value counts only for the indicator's current frequency.
    freq = indicators[["indicator_id", "frequency"]]
    values = values.merge(freq, on="indicator_id").merge(
        in_plan[["period_id", "frequency"]].rename(columns={"frequency": "pf"}), on="period_id"
    )
    values = values[values["frequency"] == values["pf"]].drop(columns=["frequency", "pf"])
    targets = _target_frame(session, indicators)
    adjustments = dedup_reading.adjustment_frame(session, in_plan["period_id"].tolist())
    return Data(
        period=period,
        plan_years=plan_years,
        preview=preview,
        filters=filters,
        indicators=indicators.reset_index(drop=True),
        periods=periods,
        values=values,
        targets=targets,
        adjustments=adjustments,
        outcomes=outcomes,
        provinces={p.id: p for p in provinces.values()},
        organisations={o.id: o for o in organisations.values()},
        province_id=province_id,
        organisation_id=organisation_id,
    )


def _target_frame(session: so.Session, indicators: pd.DataFrame) -> pd.DataFrame:
    t = ind_reading.target_frame(session, indicators["indicator_id"].tolist())
    if t.empty:  # nothing reads the columns of an empty frame (``_targets``, ``_period_targets``)
        return t
    specs = {code: calendar.parse(code) for code in t["period_code"].unique()}
    t["end"] = pd.to_datetime(t["period_code"].map(lambda c: specs[c].end if specs[c] else None))
    t["tfreq"] = t["period_code"].map(lambda c: specs[c].frequency.value if specs[c] else "")
    meta = indicators[["indicator_id", "frequency", "agg_space", "agg_time", "measure"]]
    t = t.merge(meta, on="indicator_id")
    t = t[t["tfreq"] == t["frequency"]].drop(columns=["tfreq"])
    return t


def variance(
    session: so.Session,
    period_code: str,
    span: str = "period",
    *,
    preview: bool = False,
    filters: Filters | None = None,
    by: str | None = None,
) -> list[dict[str, Any]]:
    """Shortcut: the rows of one span (see :class:`Data`)."""
    return load(session, period_code, preview=preview, filters=filters).variance(span, by)
