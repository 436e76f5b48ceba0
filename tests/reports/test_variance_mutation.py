"""The variance engine (leap_me/reports/variance.py) pinned figure by figure: every
aggregation rule over space and time, fractions, yes/no, de-duplication, targets
(national, provincial, combined), drill-downs, filters, directions, the status edges and
the forecast, each against a number worked out by hand in the comment beside it, so that
a changed rule, comparison or constant fails a test (issue 8 item 29; `make mutation` runs
this file against the module's mutants).

The database is built once per process (tests/shared_db.py) and only read here. The pure
functions (``assess``, ``forecast``) have tests of their own; the ``check_…`` functions
are run by one test, ``test_the_engine``, against one ``load`` per question (see there).
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
import sqlalchemy as sa

from indicators.models import Indicator
from leap_me.reports import variance
from leap_me.reports.variance import Filters
from tests.reports import factories as f
from tests.shared_db import seeded_session

# --- assess and forecast as pure functions -------------------------------------------------


@pytest.mark.parametrize(
    ("actual", "target", "baseline", "direction", "kw", "status", "progress"),
    [
        (121, 100, None, "up", {}, "exceeded", 121),
        (120, 100, None, "up", {}, "green", 120),
        (90, 100, None, "up", {}, "green", 90),
        (89.99, 100, None, "up", {}, "amber", 89.99),
        (60, 100, None, "up", {}, "amber", 60),
        (59.99, 100, None, "up", {}, "red", 59.99),
        (151, 100, None, "up", {"exceeded": 150}, "exceeded", 151),
        (150, 100, None, "up", {"exceeded": 150}, "green", 150),
        (80, 100, None, "up", {"green": 80}, "green", 80),
        (50, 100, None, "up", {"amber": 50}, "amber", 50),
        (70, 100, 50, "up", {}, "red", 40),
        (75, 50, 100, "down", {}, "red", 50),
        (55, 50, 100, "down", {}, "green", 90),
        (70, 100, 50, "up", {"flow": True}, "amber", 70),  # a flow: from 0
        (50, 50, 50, "up", {}, "met", None),  # target = baseline
        (49, 50, 50, "up", {}, "not_met", None),
        (30, 30, None, "down", {}, "met", None),
        (31, 30, None, "down", {}, "not_met", None),
        (31, 30, 40, "down", {"flow": True}, "not_met", None),  # a falling flow
        (29, 30, 40, "down", {"flow": True}, "met", None),
    ],
)
def test_assess(actual, target, baseline, direction, kw, status, progress):
    out = variance.assess(actual, target, baseline, direction, **kw)
    assert out["status"] == status
    if progress is None:
        assert out["progress"] is None
    else:
        assert out["progress"] == approx(progress)


def test_assess_fields():
    out = variance.assess(80.0, 100.0, None, "up")
    assert out == {
        "variance": -20.0,
        "relative_variance": -0.2,
        "progress": 80.0,
        "favourable": False,
        "baseline_used": 0.0,
        "status": "amber",
    }
    assert variance.assess(100.0, 100.0, None, "up")["favourable"] is True
    assert variance.assess(1.0, -4.0, None, "up")["relative_variance"] == approx(5 / 4)
    zero = variance.assess(1.0, 0.0, None, "up")
    assert zero["relative_variance"] is None and zero["status"] == "met"
    assert variance.assess(1.0, 0.0, None, "down")["status"] == "not_met"
    down = variance.assess(40.0, 40.0, None, "down")
    assert down["favourable"] is True and down["baseline_used"] is None
    assert variance.assess(41.0, 40.0, 60.0, "down")["favourable"] is False
    assert variance.assess(40.0, 40.0, 60.0, "down")["baseline_used"] == 60
    no_target = variance.assess(5.0, None, None, "up")
    assert no_target == {
        "variance": None,
        "relative_variance": None,
        "progress": None,
        "favourable": None,
        "baseline_used": None,
        "status": "no_target",
    }
    assert variance.assess(5.0, math.nan, None, "up")["status"] == "no_target"
    assert variance.assess(None, 5.0, None, "up")["status"] == "no_data"
    assert variance.assess(math.nan, 5.0, None, "up") == {**no_target, "status": "no_data"}
    assert variance.assess(5.0, 10.0, math.nan, "up")["baseline_used"] == 0


def test_assess_keep():
    out = variance.assess(105.0, 100.0, None, "keep")
    assert out == {
        "variance": 5.0,
        "relative_variance": 0.05,
        "progress": None,
        "favourable": True,
        "baseline_used": None,
        "status": "met",
        "tolerance": 5.0,
    }
    assert variance.assess(106.0, 100.0, None, "keep")["status"] == "not_met"
    assert variance.assess(94.0, 100.0, None, "keep")["favourable"] is False
    assert variance.assess(-105.0, -100.0, None, "keep")["status"] == "met"
    assert variance.assess(12.0, 10.0, None, "keep", tolerance=2.0)["status"] == "met"
    assert variance.assess(12.5, 10.0, None, "keep", tolerance=2.0)["status"] == "not_met"
    assert variance.assess(10.4, 10.0, None, "keep", tolerance=math.nan)["tolerance"] == 0.5


CODES = [f"P{i}" for i in range(10)]


def test_forecast_none():
    assert variance.forecast([(0, 1), (1, 2)], 9, 10, "up", CODES) is None
    assert variance.forecast([(0, 1), (1, 2), (2, 3)], 9, None, "up", CODES) is None
    assert variance.forecast([(0, 1), (1, 2), (2, 3)], 9, math.nan, "up", CODES) is None
    assert variance.forecast([(0, 1), (1, 2), (2, 3)], 9, 10, "keep", CODES) is None


def test_forecast_reach_and_reached():
    fc = variance.forecast([(0, 1), (1, 2), (2, 3)], 9, 6, "up", CODES)
    # y = 1 + x: 6 at x = 5
    assert fc == {
        "slope": approx(1),
        "intercept": approx(1),
        "target": 6.0,
        "end_index": 9,
        "end_period": "P9",
        "points": [(0, 1.0), (1, 2.0), (2, 3.0)],
        "kind": "reach",
        "period": "P5",
        "index": 5,
        "value": 6.0,
    }
    # exactly at the end: still reached in time
    fc = variance.forecast([(0, 1), (1, 2), (2, 3)], 9, 10, "up", CODES)
    assert (fc["kind"], fc["period"], fc["index"]) == ("reach", "P9", 9)
    # the line crosses before the last point, which is still short: the next period
    fc = variance.forecast([(0, 0), (1, 10), (2, 5)], 9, 6, "up", CODES)
    assert (fc["kind"], fc["period"], fc["index"]) == ("reach", "P3", 3)
    fc = variance.forecast([(0, 10), (1, 0), (2, 5)], 9, 4, "down", CODES)
    assert (fc["kind"], fc["index"]) == ("reach", 3)
    assert variance.forecast([(0, 1), (1, 2), (2, 3)], 9, 11, "up", CODES)["kind"] == "miss"
    # crossing between quarters: the next whole one; never before the next period
    assert variance.forecast([(0, 1), (1, 2), (2, 3)], 9, 5.5, "up", CODES)["index"] == 5
    fc = variance.forecast([(0, 0), (1, 0), (2, 3.1)], 9, 3.2, "up", CODES)
    assert fc["kind"] == "reach" and fc["index"] == 3
    fc = variance.forecast([(0, 1), (1, 2), (2, 3)], 9, 3, "up", CODES)
    assert (fc["kind"], fc["period"], fc["value"]) == ("reached", "P2", 3.0)
    assert "index" not in fc
    fc = variance.forecast([(0, 9), (1, 8), (2, 7)], 9, 7, "down", CODES)
    assert (fc["kind"], fc["period"]) == ("reached", "P2")
    fc = variance.forecast([(0, 9), (1, 8), (2, 7)], 9, 4, "down", CODES)
    assert (fc["kind"], fc["period"], fc["index"]) == ("reach", "P5", 5)


def test_forecast_miss():
    fc = variance.forecast([(0, 1), (1, 2), (2, 3)], 9, 20, "up", CODES)
    # y = 1 + x ends at 10 at x = 9
    assert (fc["kind"], fc["value"], fc["period"]) == ("miss", approx(10), "P9")
    fc = variance.forecast([(0, 5), (1, 5), (2, 5)], 9, 6, "up", CODES)  # flat
    assert (fc["kind"], fc["value"]) == ("miss", approx(5))
    fc = variance.forecast([(0, 3), (1, 2), (2, 1)], 9, 6, "up", CODES)  # the wrong way
    assert (fc["kind"], fc["value"]) == ("miss", approx(-6))
    fc = variance.forecast([(0, 1), (1, 2), (2, 3)], 9, 0, "down", CODES)
    assert (fc["kind"], fc["value"]) == ("miss", approx(10))
    fc = variance.forecast([(0, 9), (1, 9), (2, 9)], 9, 4, "down", CODES)
    assert fc["kind"] == "miss"
    fc = variance.forecast([(0, 1), (1, 2), (2, 3)], 12, 50, "up", CODES)
    assert fc["end_period"] is None and fc["period"] is None
    assert variance.forecast([(0, 1), (1, 2), (2, 3)], 10, 50, "up", CODES)["end_period"] is None
    assert variance.forecast([(0, 1), (1, 2), (2, 3)], 0, 50, "up", CODES)["end_period"] == "P0"
    assert variance.forecast([(0, 1), (1, 2), (2, 3)], -1, 50, "up", CODES)["end_period"] is None


def test_helpers():
    err = variance.VarianceError("2026Q9")
    assert (err.message, err.field, str(err)) == ("2026Q9", None, "2026Q9")
    assert Filters().as_dict() == dict.fromkeys(("outcome", "province", "organisation", "option"))
    assert variance.SPANS == ("period", "ytd", "plan") and variance.BY == (
        None,
        "province",
        "organisation",
    )
    assert variance._f(None) is None and variance._f("x") is None and variance._f([1]) is None
    assert variance._f(math.nan) is None and variance._f("2.5") == 2.5
    assert variance._nan(None) and variance._nan(math.nan) and not variance._nan(0.0)
    assert not variance._nan("nan")
    assert variance._extra_keys(None) == []
    assert variance._extra_keys("province") == ["province_id"]
    assert variance._extra_keys("organisation") == ["organisation_id"]
    assert {"green", "exceeded", "met"} == variance.ON_TRACK
    assert {"amber", "red", "not_met"} == variance.OFF_TRACK
    assert variance.STATUSES == (
        "exceeded",
        "green",
        "met",
        "amber",
        "red",
        "not_met",
        "no_data",
        "no_target",
    )


# --- the data ----------------------------------------------------------------------------

SPACE = (("AHTJP-PNP", "KH-12", 1), ("AHTJP-SRP", "KH-17", 2), ("IOM", "KH-1", 9))
PROV_TARGETS = (("KH-12", 3), ("KH-17", 5), ("KH-1", 10))


def _seed(s) -> None:
    from leap_me import seeding
    from leap_me.reports.models import DedupAdjustment
    from tests.indicators.conftest import SEEDS, load_plan

    seeding.seed_all(s, SEEDS, only=seeding.BASE_STEPS)
    load_plan(s)
    f.quarters(s, 2026, 2027)
    f.periods(s, "2026")
    q = {code: f.periods(s, code)[code] for code in ("2026Q1", "2026Q2", "2026Q3")}

    def dedup(ind, period, prov, value):
        s.add(
            DedupAdjustment(
                indicator_id=ind.id,
                period_id=period.id,
                province_id=f.province(s, prov).id,
                value=value,
                reason="counted twice",
            )
        )

    # a count, added up over space and time, with a baseline (a flow: measured from 0)
    ind = f.indicator(s, "V-SUM", baseline="104")
    for code, org, prov, v in (
        ("2026Q1", "AHTJP-PNP", "KH-12", 10),
        ("2026Q1", "WVC", "KH-12", 5),
        ("2026Q1", "AHTJP-SRP", "KH-17", 7),
        ("2026Q2", "AHTJP-PNP", "KH-12", 12),
        ("2026Q2", "AHTJP-SRP", "KH-17", 8),
        ("2026Q3", "AHTJP-PNP", "KH-12", 6),
        ("2026Q4", "AHTJP-PNP", "KH-12", 100),
        ("2027Q1", "AHTJP-PNP", "KH-12", 4),
        ("2026", "MOSVY", None, 1000),  # a yearly figure of a quarterly indicator: ignored
    ):
        f.value(s, ind, code, org, prov, v)
    for code, v in (("2026Q1", 20), ("2026Q2", 25), ("2026Q3", 10), ("2027Q1", 5)):
        f.target(s, ind, code, v)
    f.target(s, ind, "2026Q3", 8, "KH-12")  # a national target exists: not added
    f.target(s, ind, "2026", 999)  # a yearly target of a quarterly indicator: ignored
    f.target(s, ind, "2026X9", 999)  # not a period at all (written by hand): ignored
    dedup(ind, q["2026Q1"], "KH-12", -3)

    # the rules across space: figures 1, 2, 9 in three provinces, provincial targets only
    for code, rule in (("V-SPAVG", "average"), ("V-SPMAX", "max"), ("V-SPMIN", "min")):
        ind = f.indicator(s, code, agg_space=rule, agg_time="latest")
        for org, prov, v in SPACE:
            f.value(s, ind, "2026Q3", org, prov, v)
        for prov, t in PROV_TARGETS:
            f.target(s, ind, "2026Q3", t, prov)
    ind = f.indicator(s, "V-SPSUM", agg_time="sum")
    for org, prov, v in SPACE:
        f.value(s, ind, "2026Q3", org, prov, v)
    for prov, t in PROV_TARGETS:
        f.target(s, ind, "2026Q3", t, prov)
    f.target(s, ind, "2026Q1", 8)  # national in Q1 …
    f.target(s, ind, "2026Q1", 100, "KH-12")  # … so this provincial one is not added
    avg = s.scalar(
        sa.select(Indicator).where(Indicator.code == "V-SPAVG")
    )  # an average is not de-duplicated
    dedup(avg, q["2026Q3"], "KH-12", -1)

    # the rules across time: national figures 10, 30, 20 against targets 15, 15, 30
    for code, rule in (
        ("V-TSUM", "sum"),
        ("V-TLAT", "latest"),
        ("V-TAVG", "average"),
        ("V-TMAX", "max"),
    ):
        ind = f.indicator(s, code, agg_time=rule, by_province=False)
        for period, v, t in (("2026Q1", 10, 15), ("2026Q2", 30, 15), ("2026Q3", 20, 30)):
            f.value(s, ind, period, "MOSVY", None, v)
            f.target(s, ind, period, t)
    ind = f.indicator(s, "V-TLAT2", agg_time="latest", by_province=False)
    f.value(s, ind, "2026Q1", "MOSVY", None, 4)
    f.value(s, ind, "2026Q2", "MOSVY", None, 6)
    f.target(s, ind, "2026Q3", 8)

    # percentages from summed numerators and denominators
    ind = f.indicator(s, "V-PCT", measure="percentage", agg_space="sum", baseline="50")
    f.value(s, ind, "2026Q1", "AHTJP-PNP", "KH-12", numerator=1, denominator=4)
    f.value(s, ind, "2026Q1", "AHTJP-SRP", "KH-17", numerator=9, denominator=12)
    f.value(s, ind, "2026Q2", "AHTJP-PNP", "KH-12", numerator=3, denominator=4)
    f.value(s, ind, "2026Q2", "AHTJP-SRP", "KH-17", numerator=6, denominator=12)
    for code, t in (("2026Q1", 80), ("2026Q2", 80), ("2026Q3", 90)):
        f.target(s, ind, code, t)
    dedup(ind, q["2026Q1"], "KH-12", -1)  # not a count: never applied
    # Q1 3/4 = 75 %; Q2 (3 + 1) / (5 + 5) = 40 %
    for code, rule in (("V-PL", "latest"), ("V-PM", "max"), ("V-PS", "sum"), ("V-PA", "average")):
        ind = f.indicator(s, code, measure="percentage", agg_time=rule)
        f.value(s, ind, "2026Q1", "AHTJP-PNP", "KH-12", numerator=3, denominator=4)
        f.value(s, ind, "2026Q2", "AHTJP-PNP", "KH-12", numerator=3, denominator=5)
        f.value(s, ind, "2026Q2", "AHTJP-SRP", "KH-17", numerator=1, denominator=5)
        f.target(s, ind, "2026Q1", 60)
        f.target(s, ind, "2026Q2", 50)
    ind = f.indicator(s, "V-RAT", measure="ratio", agg_time="latest")
    f.value(s, ind, "2026Q3", "AHTJP-PNP", "KH-12", numerator=1, denominator=4)
    f.value(s, ind, "2026Q3", "AHTJP-SRP", "KH-17", numerator=2, denominator=6)
    f.target(s, ind, "2026Q3", "0.5")
    ind = f.indicator(s, "V-RATS", measure="ratio", agg_time="sum")
    f.value(s, ind, "2026Q2", "AHTJP-PNP", "KH-12", numerator=1, denominator=4)
    f.value(s, ind, "2026Q3", "AHTJP-PNP", "KH-12", numerator=2, denominator=6)
    f.target(s, ind, "2026Q3", "0.5")

    # yes/no: the count of "yes" and its share
    ind = f.indicator(s, "V-YN", measure="yesno", agg_time="latest")
    for (org, prov, _v), yes in zip(SPACE, (1, 0, 1), strict=True):
        f.value(s, ind, "2026Q2", org, prov, 0)
        f.value(s, ind, "2026Q3", org, prov, yes)
        f.target(s, ind, "2026Q3", 1, prov)
    ind = f.indicator(s, "V-YNS", measure="yesno", agg_time="sum")
    for period, org, prov, yes in (
        ("2026Q1", "AHTJP-PNP", "KH-12", 1),
        ("2026Q1", "AHTJP-SRP", "KH-17", 1),
        ("2026Q2", "AHTJP-PNP", "KH-12", 0),
        ("2026Q2", "AHTJP-SRP", "KH-17", 1),
    ):
        f.value(s, ind, period, org, prov, yes)
    f.target(s, ind, "2026Q2", 4)

    # directions, baselines, tolerances and the indicator's own thresholds
    ind = f.indicator(
        s, "V-DN", direction="down", agg_space="average", agg_time="latest", baseline="60"
    )
    f.value(s, ind, "2026Q3", "AHTJP-PNP", "KH-12", 45)
    f.value(s, ind, "2026Q3", "AHTJP-SRP", "KH-17", 55)
    f.target(s, ind, "2026Q3", 40)
    national = (
        # code, extra rules, value, target
        ("V-KP", {"direction": "keep", "tolerance": "10"}, 106, 100),
        ("V-KP0", {"direction": "keep"}, 106, 100),
        ("V-BL", {"baseline": "20"}, 50, 60),
        ("V-TH", {"green": 80, "amber": 50, "exceeded": 150}, "8.5", 10),
        ("V-TH2", {"green": 80, "amber": 50, "exceeded": 150}, "15.5", 10),
        ("V-TH3", {"green": 80, "amber": 50, "exceeded": 150}, 5, 10),
        ("V-DN0", {"direction": "down"}, 35, 30),
        ("V-NT", {}, 4, None),
    )
    for code, rules, v, t in national:
        ind = f.indicator(s, code, agg_time="latest", by_province=False, **rules)
        f.value(s, ind, "2026Q3", "MOSVY", None, v)
        if t is not None:
            f.target(s, ind, "2026Q3", t)
    ind.current.name_km = ""  # V-NT: no Khmer name or unit, the English one is shown
    ind.current.unit_km = ""
    ind = f.indicator(s, "V-ND", by_province=False)
    f.target(s, ind, "2026Q3", 10)

    # a yearly indicator: due in the year's last quarter, not before
    ind = f.indicator(s, "V-YR", frequency="yearly", by_province=False)
    f.value(s, ind, "2026", "MOSVY", None, 7)
    f.target(s, ind, "2026", 10)

    # approved only, unless a preview: submitted too; never drafts
    ind = f.indicator(s, "V-PV", by_province=False, agg_time="latest")
    f.value(s, ind, "2026Q3", "MOSVY", None, 4)
    f.value(s, ind, "2026Q3", "MOH", None, 3, status="submitted")
    f.value(s, ind, "2026Q3", "MOJ", None, 100, status="draft")
    f.target(s, ind, "2026Q3", 10)

    # another outcome, and the goal itself
    ind = f.indicator(s, "V-O2", result_key="O2.1", agg_time="latest", by_province=False)
    f.value(s, ind, "2026Q3", "MOSVY", None, 3)
    f.target(s, ind, "2026Q3", 6)
    ind = f.indicator(s, "V-G", result_key="G", agg_time="latest", by_province=False)
    f.value(s, ind, "2026Q3", "MOSVY", None, 1)
    ind = f.indicator(s, "V-ACT", result_key="A1.1.1", agg_time="latest", by_province=False)
    f.value(s, ind, "2026Q3", "MOSVY", None, 2)  # an activity's indicator: its outcome's

    # a disaggregated count: parts by sex beside the total
    ind = f.indicator(s, "V-DIS", agg_time="latest")
    f.value(s, ind, "2026Q3", "AHTJP-PNP", "KH-12", 6)
    f.value(s, ind, "2026Q3", "AHTJP-PNP", "KH-12", 4, disagg="sex:F")
    f.value(s, ind, "2026Q3", "AHTJP-PNP", "KH-12", 2, disagg="sex:M")
    f.target(s, ind, "2026Q3", 10)

    # the forecast: a flow with 3 a quarter as target (120 by 2035), 10 a quarter done
    ind = f.indicator(s, "V-FR", by_province=False)
    for spec in f.calendar.periods_of_span("quarterly", 2026, 2035):
        f.target(s, ind, spec.code, 3)
    for code in ("2026Q1", "2026Q2", "2026Q3"):
        f.value(s, ind, code, "MOSVY", None, 10)
    # a level (latest): 5, 6, 7 towards 25 at the end of 2035
    ind = f.indicator(s, "V-FL", agg_time="latest", by_province=False)
    f.target(s, ind, "2035Q4", 25)
    for code, v in (("2026Q1", 5), ("2026Q2", 6), ("2026Q3", 7)):
        f.value(s, ind, code, "MOSVY", None, v)


@pytest.fixture(scope="module")
def s(request):
    yield from seeded_session(request, "variance", _seed)


def _row(rows, code):
    matches = [r for r in rows if r["code"] == code]
    assert len(matches) == 1, f"{code}: {len(matches)} rows"
    return matches[0]


def _groups(rows, code):
    return {r["group"]: r for r in rows if r["code"] == code}


def approx(x):
    return pytest.approx(x, abs=1e-9)


# --- counts over space and time, de-duplication -----------------------------------------


def check_count_in_the_period(q3):
    row = _row(q3.variance("period"), "V-SUM")
    # Q3: 6 against the national 10 (the provincial 8 is not added): 60 % → amber at the edge
    assert (row["actual"], row["target"], row["variance"]) == (6, 10, -4)
    assert row["relative_variance"] == approx(-0.4)
    assert row["progress"] == approx(60) and row["status"] == "amber"
    assert row["favourable"] is False
    assert (row["baseline"], row["baseline_used"]) == (104, 0)
    assert (row["reports"], row["periods_with_data"], row["last_period"]) == (1, 1, "2026Q3")
    assert row["dedup"] == 0
    assert row["numerator"] is None and row["denominator"] is None and row["yes_share"] is None
    assert row["thresholds"] == {"green": 90, "amber": 60, "exceeded": 120}
    assert (row["measure"], row["direction"], row["agg_space"], row["agg_time"]) == (
        "number",
        "up",
        "sum",
        "sum",
    )
    assert (row["frequency"], row["outcome_key"], row["outcome_code"]) == ("quarterly", "O1", "1")
    assert (row["name_en"], row["name_km"]) == ("Indicator V-SUM", "សូចនាករ V-SUM")
    assert (row["unit_en"], row["unit_km"]) == ("cases", "ករណី")
    assert isinstance(row["indicator_id"], int)


def check_count_year_to_date_with_deduplication(q3):
    row = _row(q3.variance("ytd"), "V-SUM")
    # (10 + 5 + 7) + (12 + 8) + 6 − 3 = 45 against 20 + 25 + 10 = 55: 81.8 % → amber
    assert (row["actual"], row["target"], row["dedup"]) == (45, 55, -3)
    assert row["progress"] == approx(45 / 55 * 100) and row["status"] == "amber"
    assert (row["reports"], row["periods_with_data"], row["last_period"]) == (3, 3, "2026Q3")
    assert row["relative_variance"] == approx(-10 / 55)
    # the plan to date is the same here (the plan starts in 2026)
    plan = _row(q3.variance("plan"), "V-SUM")
    assert (plan["actual"], plan["target"]) == (45, 55)


def check_windows_of_a_later_year(y27):
    # 2027Q1: 4 against 5; the year to date is that quarter only
    period = _row(y27.variance("period"), "V-SUM")
    assert (period["actual"], period["target"], period["status"]) == (4, 5, "amber")
    ytd = _row(y27.variance("ytd"), "V-SUM")
    assert (ytd["actual"], ytd["target"]) == (4, 5)
    # the plan to date: 2026 (45 + 3 + Q4's 100, less 3) + 4 = 149; targets 55 + 5 = 60
    plan = _row(y27.variance("plan"), "V-SUM")
    assert (plan["actual"], plan["target"], plan["dedup"]) == (149, 60, -3)
    assert plan["status"] == "exceeded" and plan["periods_with_data"] == 5
    assert y27.window("period") == (pd.Timestamp("2027-01-01"), pd.Timestamp("2027-03-31"))
    assert y27.window("ytd") == (pd.Timestamp("2027-01-01"), pd.Timestamp("2027-03-31"))
    assert y27.window("plan") == (pd.Timestamp("2026-01-01"), pd.Timestamp("2027-03-31"))


def check_drill_down_by_province(q3, s):
    rows = _groups(q3.variance("ytd", by="province"), "V-SUM")
    assert set(rows) == {"KH-12", "KH-17"}
    kh12, kh17 = rows["KH-12"], rows["KH-17"]
    # KH-12: 10 + 5 + 12 + 6 − 3 = 30 against its own Q3 target 8; KH-17: 7 + 8, no target
    assert (kh12["actual"], kh12["target"], kh12["dedup"]) == (30, 8, -3)
    assert kh12["status"] == "exceeded" and kh12["baseline"] is None
    assert (kh17["actual"], kh17["target"], kh17["status"]) == (15, None, "no_target")
    assert kh17["dedup"] == 0
    prov = f.province(s, "KH-12")
    assert (kh12["group_name"], kh12["group_name_km"]) == (prov.name_en, prov.name_km)
    assert "series" not in kh12 and "forecast" not in kh12
    # a national indicator's figures sit on a "National" row
    national = _groups(q3.variance("ytd", by="province"), "V-TSUM")
    assert set(national) == {""}
    row = national[""]
    assert (row["group_name"], row["group_name_km"]) == ("National", "ថ្នាក់ជាតិ")
    assert row["actual"] == 60 and row["target"] is None  # national targets are not a province's


def check_drill_down_by_organisation(q3, s):
    rows = _groups(q3.variance("ytd", by="organisation"), "V-SUM")
    assert {g: r["actual"] for g, r in rows.items()} == {
        "AHTJP-PNP": 28,
        "WVC": 5,
        "AHTJP-SRP": 15,
    }
    assert all(r["dedup"] == 0 and r["target"] is None for r in rows.values())
    assert all(r["reports"] == 1 for r in rows.values())
    wvc = f.org(s, "WVC")
    assert rows["WVC"]["group_name"] == f"WVC — {wvc.name_en}"
    assert rows["WVC"]["group_name_km"] == f"WVC — {wvc.name_km or wvc.name_en}"
    # rows in order of indicator, then group name
    names = [r["group_name"] for r in q3.variance("ytd", by="organisation") if r["code"] == "V-SUM"]
    assert names == sorted(names)


def check_one_province(kh12, kh17, s):
    assert kh12.province_id == f.province(s, "KH-12").id and kh12.organisation_id is None
    row = _row(kh12.variance("ytd"), "V-SUM")
    # its own figures with its own adjustment, against its own target; no baseline
    assert (row["actual"], row["target"], row["dedup"], row["baseline"]) == (30, 8, -3, None)
    assert row["progress"] == approx(30 / 8 * 100)
    other = _row(kh17.variance("ytd"), "V-SUM")
    assert (other["actual"], other["dedup"], other["target"]) == (15, 0, None)
    # a province's space rule over its targets: its own only
    assert _row(kh17.variance("period"), "V-SPAVG")["target"] == 5


def check_one_organisation(wvc, s):
    assert wvc.organisation_id == f.org(s, "WVC").id and wvc.province_id is None
    row = _row(wvc.variance("ytd"), "V-SUM")
    assert (row["actual"], row["dedup"], row["target"], row["status"]) == (5, 0, None, "no_target")
    assert row["baseline"] is None


# --- the rules across space --------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "actual", "target", "status"),
    [
        # figures 1, 2, 9; provincial targets 3, 5, 10 combined with the same rule
        ("V-SPAVG", 4, 6, "amber"),  # 66.7 %; its −1 adjustment is not applied (an average)
        ("V-SPMAX", 9, 10, "green"),  # 90 %: green at the edge
        ("V-SPMIN", 1, 3, "red"),
        ("V-SPSUM", 12, 18, "amber"),
    ],
)
def check_rules_across_space(q3, code, actual, target, status):
    row = _row(q3.variance("period"), code)
    assert (row["actual"], row["target"], row["status"]) == (actual, target, status)
    assert row["dedup"] == 0 and row["reports"] == 3


def check_provincial_targets_only_where_no_national_one(q3):
    row = _row(q3.variance("ytd"), "V-SPSUM")
    # Q1: the national 8 (not 8 + 100); Q3: 3 + 5 + 10
    assert (row["actual"], row["target"]) == (12, 26)
    rows = _groups(q3.variance("period", by="province"), "V-SPAVG")
    assert {g: (r["actual"], r["target"]) for g, r in rows.items()} == {
        "KH-12": (1, 3),
        "KH-17": (2, 5),
        "KH-1": (9, 10),
    }


# --- the rules across time ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "actual", "target", "status"),
    [
        ("V-TSUM", 60, 60, "green"),
        ("V-TLAT", 20, 30, "amber"),
        ("V-TAVG", 20, 20, "green"),
        ("V-TMAX", 30, 30, "green"),
    ],
)
def check_rules_across_time(q3, code, actual, target, status):
    row = _row(q3.variance("ytd"), code)
    assert (row["actual"], row["target"], row["status"]) == (actual, target, status)
    assert (row["periods_with_data"], row["last_period"], row["reports"]) == (3, "2026Q3", 1)


def check_latest_with_data(q3):
    row = _row(q3.variance("ytd"), "V-TLAT2")
    # Q3 has no figure: the latest is Q2's 6; the target of the span's last period, 8
    assert (row["actual"], row["target"], row["last_period"]) == (6, 8, "2026Q2")
    assert row["periods_with_data"] == 2 and row["progress"] == approx(75)
    q = _row(q3.variance("period"), "V-TLAT2")
    assert (q["actual"], q["status"], q["periods_with_data"], q["last_period"]) == (
        None,
        "no_data",
        0,
        None,
    )
    assert (q["reports"], q["dedup"]) == (0, 0)


# --- fractions and yes/no ----------------------------------------------------------------


def check_percentage_from_summed_parts(q3, s):
    row = _row(q3.variance("ytd"), "V-PCT")
    # (1 + 9 + 3 + 6) / (4 + 12 + 4 + 12) = 19 / 32 = 59.375 %; a rate's target is the
    # span's last (90); from the baseline: (59.375 − 50) / (90 − 50) = 23.4 % → red
    assert row["actual"] == approx(59.375) and (row["numerator"], row["denominator"]) == (19, 32)
    assert row["target"] == 90 and row["baseline_used"] == 50
    assert row["progress"] == approx(9.375 / 40 * 100) and row["status"] == "red"
    assert row["dedup"] == 0  # its adjustment is not applied: not a count
    q1 = _row(variance.load(s, "2026Q1").variance("period"), "V-PCT")
    assert q1["actual"] == approx(62.5) and (q1["numerator"], q1["denominator"]) == (10, 16)
    assert _row(q3.variance("period"), "V-PCT")["status"] == "no_data"
    rows = _groups(q3.variance("ytd", by="province"), "V-PCT")
    assert rows["KH-12"]["actual"] == approx(50) and rows["KH-17"]["actual"] == approx(62.5)


@pytest.mark.parametrize(
    ("code", "actual", "numerator", "denominator"),
    [
        # Q1 3/4 = 75 %, Q2 (3 + 1)/(5 + 5) = 40 %
        ("V-PL", 40, 4, 10),
        ("V-PM", 75, 7, 14),
        ("V-PS", 50, 7, 14),  # 7 / 14
        ("V-PA", 50, 7, 14),  # an average of rates is the rate of the sums
    ],
)
def check_percentage_rules_across_time(q3, code, actual, numerator, denominator):
    row = _row(q3.variance("ytd"), code)
    assert row["actual"] == approx(actual)
    assert (row["numerator"], row["denominator"]) == (numerator, denominator)
    assert row["target"] == 50  # the last target of the span, never a sum
    assert row["yes_share"] is None


def check_ratio_is_not_scaled(q3):
    row = _row(q3.variance("period"), "V-RAT")
    assert row["actual"] == approx(0.3) and (row["numerator"], row["denominator"]) == (3, 10)
    assert row["target"] == 0.5 and row["progress"] == approx(60)
    ytd = _row(q3.variance("ytd"), "V-RATS")
    assert ytd["actual"] == approx(0.3) and (ytd["numerator"], ytd["denominator"]) == (3, 10)


def check_yes_no(q3):
    row = _row(q3.variance("period"), "V-YN")
    # two provinces of three say yes; the provincial targets 1 + 1 + 1
    assert row["actual"] == 2 and row["yes_share"] == approx(2 / 3)
    assert row["target"] == 3 and row["status"] == "amber"
    assert row["numerator"] is None
    ytd = _row(q3.variance("ytd"), "V-YN")
    assert ytd["actual"] == 2 and ytd["yes_share"] == approx(2 / 3)  # the latest period
    summed = _row(q3.variance("ytd"), "V-YNS")
    assert summed["actual"] == 3 and summed["yes_share"] == approx(3 / 4)
    assert summed["target"] == 4


# --- directions, baselines, thresholds ---------------------------------------------------


@pytest.mark.parametrize(
    ("code", "status", "progress", "favourable"),
    [
        ("V-DN", "red", 50, False),  # average 50: (50 − 60) / (40 − 60)
        ("V-KP", "met", None, True),  # within its tolerance of 10
        ("V-KP0", "not_met", None, False),  # beyond 5 % of 100
        ("V-BL", "amber", 75, False),  # (50 − 20) / (60 − 20): a level, from its baseline
        ("V-TH", "green", 85, False),  # its own green from 80 %
        ("V-TH2", "exceeded", 155, True),  # its own exceeded above 150 %
        ("V-TH3", "amber", 50, False),  # its own amber from 50 %
        ("V-DN0", "not_met", None, False),  # falling, no baseline: met or not only
        ("V-NT", "no_target", None, None),
        ("V-ND", "no_data", None, None),
    ],
)
def check_assessment_in_the_table(q3, code, status, progress, favourable):
    row = _row(q3.variance("period"), code)
    assert row["status"] == status and row["favourable"] is favourable
    if progress is None:
        assert row["progress"] is None
    else:
        assert row["progress"] == approx(progress)


def check_table_details(q3):
    rows = q3.variance("period")
    keep = _row(rows, "V-KP")
    assert keep["tolerance"] == 10 and keep["variance"] == 6
    assert _row(rows, "V-KP0")["tolerance"] == approx(5)
    assert _row(rows, "V-BL")["baseline_used"] == 20
    assert _row(rows, "V-DN")["baseline_used"] == 60
    assert _row(rows, "V-TH")["thresholds"] == {"green": 80, "amber": 50, "exceeded": 150}
    nt = _row(rows, "V-NT")
    assert (nt["actual"], nt["variance"], nt["target"]) == (4, None, None)
    assert (nt["name_km"], nt["unit_km"]) == ("Indicator V-NT", "cases")
    nd = _row(rows, "V-ND")
    assert (nd["actual"], nd["target"], nd["variance"]) == (None, 10, None)


def check_order_and_outcomes(q3):
    rows = q3.variance("period")
    codes = [r["code"] for r in rows]
    # the goal first, then outcome 1's indicators by code, then outcome 2's
    assert codes[0] == "V-G" and codes[-1] == "V-O2"
    assert codes[1:-1] == sorted(codes[1:-1])
    assert (rows[0]["outcome_key"], rows[0]["outcome_code"]) == ("", "")
    assert (rows[-1]["outcome_key"], rows[-1]["outcome_code"]) == ("O2", "2")
    assert _row(rows, "V-ACT")["outcome_key"] == "O1"
    assert [o["key"] for o in q3.outcomes][:3] == ["", "O1", "O2"]
    assert q3.outcomes[0]["statement_en"] == "Goal" and "G" in q3.outcomes[0]["keys"]
    assert "O1.1" in q3.outcomes[1]["keys"] and "A1.1.1" in q3.outcomes[1]["keys"]


def check_counts(q3):
    rows = q3.variance("period")
    got = q3.counts()  # the period by default
    assert got == q3.counts("period")
    assert q3.counts("ytd")["overall"]["no_data"] < got["overall"]["no_data"]
    o1 = {
        st: sum(r["status"] == st and r["outcome_key"] == "O1" for r in rows)
        for st in variance.STATUSES
    }
    assert got["per_outcome"]["O1"] == o1 and o1["amber"] >= 2 and o1["no_data"] >= 2
    expected = {st: sum(r["status"] == st for r in rows) for st in variance.STATUSES}
    assert got["overall"] == expected
    assert got["overall"]["no_data"] >= 3 and got["overall"]["amber"] >= 3
    assert set(got["per_outcome"]) == {o["key"] for o in q3.outcomes}
    assert {"", "O1", "O2"} <= set(got["per_outcome"])
    assert got["per_outcome"]["O2"] == {**dict.fromkeys(variance.STATUSES, 0), "red": 1}
    assert got["per_outcome"][""] == {**dict.fromkeys(variance.STATUSES, 0), "no_target": 1}


def check_frequency_due(q3, s):
    # a yearly indicator is not due before the year's last quarter
    assert not [r for r in q3.variance("ytd") if r["code"] == "V-YR"]
    q4 = variance.load(s, "2026Q4")
    row = _row(q4.variance("ytd"), "V-YR")
    assert (row["actual"], row["target"], row["status"]) == (7, 10, "amber")
    row = _row(q4.variance("period"), "V-YR")  # the year ends in the quarter: due
    assert (row["actual"], row["target"], row["frequency"]) == (7, 10, "yearly")


def check_preview(q3, s):
    assert q3.preview is False
    assert _row(q3.variance("period"), "V-PV")["actual"] == 4
    preview = variance.load(s, "2026Q3", preview=True)
    assert preview.preview is True
    assert _row(preview.variance("period"), "V-PV")["actual"] == 7


def check_filters(s):
    o2 = variance.load(s, "2026Q3", filters=Filters(outcome="O2"))
    assert [r["code"] for r in o2.variance("period")] == ["V-O2"]
    # an outcome without indicators: nothing to show, in every span and drill-down
    o3 = variance.load(s, "2026Q3", filters=Filters(outcome="O3"))
    assert o3.targets.empty and o3.values.empty
    assert [o3.variance(span) for span in variance.SPANS] == [[], [], []]
    assert o3.variance("ytd", by="province") == [] and o3.variance("plan", by="organisation") == []
    assert o3.counts()["overall"] == dict.fromkeys(variance.STATUSES, 0)
    girls = variance.load(s, "2026Q3", filters=Filters(option="sex:F"))
    row = _row(girls.variance("period"), "V-DIS")
    assert (row["actual"], row["target"], row["status"]) == (4, None, "no_target")
    assert Filters(outcome="O2", province="KH-1").as_dict() == {
        "outcome": "O2",
        "province": "KH-1",
        "organisation": None,
        "option": None,
    }


@pytest.mark.parametrize(
    ("period", "filters", "field"),
    [
        ("2026Q9", None, "period"),
        ("", None, "period"),
        ("2026Q3", Filters(province="KH-99"), "province"),
        ("2026Q3", Filters(organisation="NOPE"), "org"),
        ("2026Q3", Filters(outcome="NOPE"), "outcome"),
        ("2026Q3", Filters(outcome="O1.1"), "outcome"),  # an output is not an outcome
        ("2026Q3", Filters(option="sexF"), "option"),
    ],
)
def check_refused_questions(s, period, filters, field):
    with pytest.raises(variance.VarianceError) as info:
        variance.load(s, period, filters=filters)
    assert info.value.field == field
    raw = period if field == "period" else next(v for v in filters.as_dict().values() if v)
    assert info.value.message == raw and str(info.value) == raw


def check_refused_span_and_drill_down(q3):
    with pytest.raises(variance.VarianceError) as info:
        q3.variance("week")
    assert (info.value.message, info.value.field) == ("span", "span")
    with pytest.raises(variance.VarianceError) as info:
        q3.variance("period", by="district")
    assert (info.value.message, info.value.field) == ("by", "by")


def check_shortcut(s, q3):
    # by default: the period, approved values only, no filter, no drill-down
    rows = variance.variance(s, "2026Q3")
    assert _row(rows, "V-SUM")["actual"] == 6 and _row(rows, "V-PV")["actual"] == 4
    assert "group" not in _row(rows, "V-SUM")
    rows = variance.variance(
        s, "2026Q3", "ytd", preview=True, filters=Filters(organisation="MOH"), by="province"
    )
    assert _groups(rows, "V-PV")[""]["actual"] == 3  # MOH's submitted figure
    assert _groups(rows, "V-SUM") == {}
    # the table's own defaults
    assert q3.variance() == q3.variance("period")
    assert "group" not in _row(q3.variance(), "V-SUM")


# --- series and forecast -------------------------------------------------------------------


def check_series_and_forecast_of_a_flow(q3):
    row = _row(q3.variance("period"), "V-FR")
    assert row["series"] == [
        {"period": "2026Q1", "actual": 10.0, "cumulative": 10.0, "target": 3.0},
        {"period": "2026Q2", "actual": 10.0, "cumulative": 20.0, "target": 3.0},
        {"period": "2026Q3", "actual": 10.0, "cumulative": 30.0, "target": 3.0},
    ]
    fc = row["forecast"]
    # cumulative 10, 20, 30 at quarters 0, 1, 2: y = 10 + 10x; 120 at x = 11 → 2028Q4
    assert fc["slope"] == approx(10) and fc["intercept"] == approx(10)
    assert (fc["kind"], fc["period"], fc["index"], fc["target"]) == ("reach", "2028Q4", 11, 120)
    assert fc["value"] == 120 and fc["cumulative"] is True and fc["end_year"] == 2035
    assert (fc["end_index"], fc["end_period"]) == (39, "2035Q4")
    assert fc["points"] == [(0, 10.0), (1, 20.0), (2, 30.0)]


def check_series_and_forecast_of_a_level(q3):
    row = _row(q3.variance("period"), "V-FL")
    assert [p["cumulative"] for p in row["series"]] == [5, 11, 18]
    assert [p["target"] for p in row["series"]] == [None, None, None]
    fc = row["forecast"]
    # 5, 6, 7: y = 5 + x reaches 25 at x = 20 → 2031Q1
    assert (fc["kind"], fc["period"], fc["cumulative"]) == ("reach", "2031Q1", False)
    assert fc["points"] == [(0, 5.0), (1, 6.0), (2, 7.0)]
    # two points only: no forecast, the series all the same
    assert _row(q3.variance("period"), "V-TLAT2")["forecast"] is None
    assert len(_row(q3.variance("period"), "V-TLAT2")["series"]) == 2
    assert _row(q3.variance("period"), "V-ND")["series"] == []


# --- the one test that asks the engine -------------------------------------------------------

CHECKS = [v for k, v in sorted(globals().items()) if k.startswith("check_")]


def test_the_engine(s):
    """Every check above against one set of questions to the engine (one ``load`` each).

    One test on purpose: mutmut runs, for each mutant, only the tests during which the
    mutated function ran, so the loads and the checks must happen in the same test; and a
    mutant that survives then costs one run of it, not one load per check."""
    import inspect

    # each asked when a check first needs it: a mutant that fails an early check costs
    # only the loads before it
    ask = {
        "s": lambda: s,
        "q3": lambda: variance.load(s, " 2026q3 "),
        "y27": lambda: variance.load(s, "2027Q1"),
        "kh12": lambda: variance.load(s, "2026Q3", filters=Filters(province=" kh-12 ")),
        "kh17": lambda: variance.load(s, "2026Q3", filters=Filters(province="KH-17")),
        "wvc": lambda: variance.load(s, "2026Q3", filters=Filters(organisation=" wvc ")),
    }
    questions: dict = {}

    def answer(name):
        if name not in questions:
            questions[name] = ask[name]()
        return questions[name]

    ran = 0
    for check in sorted(CHECKS, key=lambda c: c.__code__.co_firstlineno):
        wanted = list(inspect.signature(check).parameters)
        fixed = {k: answer(k) for k in wanted if k in ask}
        marks = [m for m in getattr(check, "pytestmark", []) if m.name == "parametrize"]
        if not marks:
            check(**fixed)
            ran += 1
            continue
        names, cases = marks[0].args
        names = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
        for case in cases:
            check(**fixed, **dict(zip(names, case, strict=True)))
            ran += 1
    assert ran > 50
