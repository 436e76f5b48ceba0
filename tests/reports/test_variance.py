"""The variance engine against hand-computed figures (docs/METHOD.md, worked examples).

Every expected number below is worked out in the comment beside it.
"""

from __future__ import annotations

import pytest

from leap_me.reports import dedup, variance
from leap_me.reports.variance import Filters
from tests.reports import factories as f


def _row(rows, code):
    matches = [r for r in rows if r["code"] == code]
    assert len(matches) == 1, f"{code}: {len(matches)} rows"
    return matches[0]


def _by(rows, code, group):
    return next(r for r in rows if r["code"] == code and r["group"] == group)


@pytest.fixture
def counts(plan):
    """A count (sum over space and time) reported by three units in two provinces."""
    s = plan
    f.quarters(s)
    ind = f.indicator(s, "T-SUM", baseline="104")
    f.target(s, ind, "2026Q1", 20)
    f.target(s, ind, "2026Q2", 25)
    f.value(s, ind, "2026Q1", "AHTJP-PNP", "KH-12", 10)
    f.value(s, ind, "2026Q1", "WVC", "KH-12", 5)
    f.value(s, ind, "2026Q1", "AHTJP-SRP", "KH-17", 7)
    f.value(s, ind, "2026Q2", "AHTJP-PNP", "KH-12", 12)
    f.value(s, ind, "2026Q2", "AHTJP-SRP", "KH-17", 8)
    s.commit()
    return ind


def test_sum_over_space_and_time(plan, counts):
    data = variance.load(plan, "2026Q2")
    q2 = _row(data.variance("period"), "T-SUM")
    # Q2: 12 + 8 = 20 against 25: variance −5, −20 %; a flow is measured from 0: 80 % → amber
    assert q2["actual"] == 20 and q2["target"] == 25
    assert q2["variance"] == -5 and q2["relative_variance"] == pytest.approx(-0.2)
    assert q2["progress"] == pytest.approx(80) and q2["status"] == "amber"
    assert q2["favourable"] is False
    ytd = _row(data.variance("ytd"), "T-SUM")
    # year to date: (10 + 5 + 7) + 20 = 42 against 20 + 25 = 45: 93.3 % → green
    assert ytd["actual"] == 42 and ytd["target"] == 45
    assert ytd["progress"] == pytest.approx(93.333, abs=0.001) and ytd["status"] == "green"
    assert ytd["periods_with_data"] == 2 and ytd["last_period"] == "2026Q2"
    assert ytd["baseline"] == 104  # shown, but a flow's baseline is a past rate, not a start
    assert ytd["baseline_used"] == 0


def test_drill_down_to_provinces_and_organisations(plan, counts):
    data = variance.load(plan, "2026Q2")
    f.target(plan, counts, "2026Q2", 15, "KH-12")
    plan.commit()
    data = variance.load(plan, "2026Q2")
    by_prov = data.variance("ytd", by="province")
    assert _by(by_prov, "T-SUM", "KH-12")["actual"] == 27  # 10 + 5 + 12
    assert _by(by_prov, "T-SUM", "KH-17")["actual"] == 15  # 7 + 8
    # the province's own target (only Q2 has one: 15)
    assert _by(by_prov, "T-SUM", "KH-12")["target"] == 15
    assert _by(by_prov, "T-SUM", "KH-17")["status"] == "no_target"
    by_org = data.variance("ytd", by="organisation")
    assert _by(by_org, "T-SUM", "AHTJP-PNP")["actual"] == 22
    assert _by(by_org, "T-SUM", "WVC")["actual"] == 5
    assert _by(by_org, "T-SUM", "AHTJP-SRP")["actual"] == 15


def test_deduplication_adjusts_sector_and_province_totals_only(plan, counts):
    from leap_me.auth.models import User

    reviewer = plan.query(User).filter_by(username="reviewer").one()
    period = f.periods(plan, "2026Q1")["2026Q1"]
    dedup.record_adjustment(
        plan,
        indicator=counts,
        period=period,
        province=f.province(plan, "KH-12"),
        value="-3",
        reason="Three children counted by both the police unit and WVC",
        user=reviewer,
    )
    plan.commit()
    from leap_me.audit import AuditEntry
    from leap_me.reports.models import DedupAdjustment

    stored = plan.query(DedupAdjustment).one()
    assert (stored.value, stored.recorded_by_id) == (-3, reviewer.id)
    entry = plan.query(AuditEntry).filter_by(object_type="dedup_adjustment").one()
    assert entry.action == "create" and entry.object_label == "T-SUM 2026Q1 KH-12"
    data = variance.load(plan, "2026Q2")
    ytd = _row(data.variance("ytd"), "T-SUM")
    # 42 − 3 = 39 against 45: 86.7 % → amber (green without the adjustment)
    assert ytd["actual"] == 39 and ytd["dedup"] == -3
    assert ytd["status"] == "amber"
    assert _row(data.variance("period"), "T-SUM")["dedup"] == 0  # Q2 has none
    by_prov = data.variance("ytd", by="province")
    assert _by(by_prov, "T-SUM", "KH-12")["actual"] == 24  # 27 − 3
    assert _by(by_prov, "T-SUM", "KH-17")["actual"] == 15
    by_org = data.variance("ytd", by="organisation")
    assert _by(by_org, "T-SUM", "AHTJP-PNP")["actual"] == 22  # never an organisation's
    assert _by(by_org, "T-SUM", "WVC")["actual"] == 5
    one_org = variance.load(plan, "2026Q2", filters=Filters(organisation="WVC"))
    assert _row(one_org.variance("ytd"), "T-SUM")["actual"] == 5


def test_deduplication_refuses_bad_input(plan, counts):
    from indicators.services.common import ValidationError

    period = f.periods(plan, "2026Q1")["2026Q1"]
    kw = dict(indicator=counts, period=period, province=f.province(plan, "KH-12"), user=None)
    with pytest.raises(ValidationError, match="negative"):
        dedup.record_adjustment(plan, value="3", reason="x", **kw)
    with pytest.raises(ValidationError, match="why"):
        dedup.record_adjustment(plan, value="-3", reason=" ", **kw)
    with pytest.raises(ValidationError, match="province"):
        dedup.record_adjustment(plan, value="-3", reason="x", **{**kw, "province": None})


@pytest.mark.parametrize(
    ("agg_space", "expected"),
    [("sum", 12), ("average", 4), ("max", 9), ("min", 1)],  # figures 1, 2, 9
)
def test_every_rule_across_space(plan, agg_space, expected):
    f.quarters(plan)
    ind = f.indicator(plan, "T-SP", agg_space=agg_space, agg_time="latest")
    f.target(plan, ind, "2026Q1", 10)
    for org, prov, v in (("AHTJP-PNP", "KH-12", 1), ("AHTJP-SRP", "KH-17", 2), ("IOM", "KH-1", 9)):
        f.value(plan, ind, "2026Q1", org, prov, v)
    plan.commit()
    row = _row(variance.variance(plan, "2026Q1", "period"), "T-SP")
    assert row["actual"] == pytest.approx(expected)


@pytest.mark.parametrize(
    ("agg_time", "actual", "target"),
    # national figures Q1 10, Q2 30, Q3 20; targets 15, 15, 30
    [("sum", 60, 60), ("latest", 20, 30), ("average", 20, 20), ("max", 30, 30)],
)
def test_every_rule_across_time(plan, agg_time, actual, target):
    f.quarters(plan)
    ind = f.indicator(plan, "T-TI", agg_time=agg_time, by_province=False)
    for code, v, t in (("2026Q1", 10, 15), ("2026Q2", 30, 15), ("2026Q3", 20, 30)):
        f.value(plan, ind, code, "MOSVY", None, v)
        f.target(plan, ind, code, t)
    plan.commit()
    row = _row(variance.variance(plan, "2026Q3", "ytd"), "T-TI")
    assert row["actual"] == pytest.approx(actual)
    assert row["target"] == pytest.approx(target)


def test_latest_takes_the_last_period_with_data(plan):
    f.quarters(plan)
    ind = f.indicator(plan, "T-LA", agg_time="latest", by_province=False)
    f.value(plan, ind, "2026Q1", "MOSVY", None, 4)
    f.value(plan, ind, "2026Q2", "MOSVY", None, 6)
    f.target(plan, ind, "2026Q3", 8)
    plan.commit()
    row = _row(variance.variance(plan, "2026Q3", "ytd"), "T-LA")
    # Q3 has no value: the latest with data is Q2 (6); the target of the span's last period
    assert (row["actual"], row["target"], row["last_period"]) == (6, 8, "2026Q2")
    assert row["progress"] == pytest.approx(75)  # no baseline, going up: b = 0


def test_percentage_from_summed_numerators_and_denominators(plan):
    f.quarters(plan)
    ind = f.indicator(
        plan, "T-PCT", measure="percentage", agg_space="average", agg_time="sum", baseline="50"
    )
    f.target(plan, ind, "2026Q1", 80)
    f.target(plan, ind, "2026Q2", 80)
    f.value(plan, ind, "2026Q1", "AHTJP-PNP", "KH-12", numerator=1, denominator=4)  # 25 %
    f.value(plan, ind, "2026Q1", "AHTJP-SRP", "KH-17", numerator=9, denominator=12)  # 75 %
    f.value(plan, ind, "2026Q2", "AHTJP-PNP", "KH-12", numerator=3, denominator=4)
    f.value(plan, ind, "2026Q2", "AHTJP-SRP", "KH-17", numerator=6, denominator=12)
    plan.commit()
    data = variance.load(plan, "2026Q2")
    q1 = _row(variance.variance(plan, "2026Q1", "period"), "T-PCT")
    # (1 + 9) / (4 + 12) = 62.5 %, not the average of 25 % and 75 % (50 %)
    assert q1["actual"] == pytest.approx(62.5)
    assert (q1["numerator"], q1["denominator"]) == (10, 16)
    # progress from the baseline: (62.5 − 50) / (80 − 50) = 41.7 % → red
    assert q1["progress"] == pytest.approx(41.667, abs=0.001) and q1["status"] == "red"
    ytd = _row(data.variance("ytd"), "T-PCT")
    # (1 + 9 + 3 + 6) / (4 + 12 + 4 + 12) = 19 / 32 = 59.375 %; a rate's target: the last (80)
    assert ytd["actual"] == pytest.approx(59.375) and ytd["target"] == 80


def test_ratio_is_not_scaled(plan):
    f.quarters(plan)
    ind = f.indicator(plan, "T-RAT", measure="ratio", agg_time="latest")
    f.target(plan, ind, "2026Q1", "0.5")
    f.value(plan, ind, "2026Q1", "AHTJP-PNP", "KH-12", numerator=1, denominator=4)
    f.value(plan, ind, "2026Q1", "AHTJP-SRP", "KH-17", numerator=2, denominator=6)
    plan.commit()
    row = _row(variance.variance(plan, "2026Q1", "period"), "T-RAT")
    assert row["actual"] == pytest.approx(0.3)  # 3 / 10


def test_yes_no_is_the_count_and_share_of_yes(plan):
    f.quarters(plan)
    ind = f.indicator(plan, "T-YN", measure="yesno", agg_time="latest")
    for prov in ("KH-12", "KH-17", "KH-1"):
        f.target(plan, ind, "2026Q1", 1, prov)
    f.value(plan, ind, "2026Q1", "AHTJP-PNP", "KH-12", 1)
    f.value(plan, ind, "2026Q1", "AHTJP-SRP", "KH-17", 0)
    f.value(plan, ind, "2026Q1", "AHTJP-BMC", "KH-1", 1)
    plan.commit()
    row = _row(variance.variance(plan, "2026Q1", "period"), "T-YN")
    # two provinces of three say yes; the provincial targets (1 each) add up to 3
    assert row["actual"] == 2 and row["yes_share"] == pytest.approx(2 / 3)
    assert row["target"] == 3 and row["progress"] == pytest.approx(66.667, abs=0.001)
    assert row["status"] == "amber"


def test_direction_down_with_baseline(plan):
    f.quarters(plan)
    ind = f.indicator(
        plan, "T-DN", direction="down", agg_space="average", agg_time="latest", baseline="60"
    )
    f.target(plan, ind, "2026Q2", 40)
    f.value(plan, ind, "2026Q2", "AHTJP-PNP", "KH-12", 45)
    f.value(plan, ind, "2026Q2", "AHTJP-SRP", "KH-17", 55)
    plan.commit()
    row = _row(variance.variance(plan, "2026Q2", "period"), "T-DN")
    # average 50; progress (50 − 60) / (40 − 60) = 50 % → red; +10 above target: unfavourable
    assert row["actual"] == 50 and row["progress"] == pytest.approx(50)
    assert row["status"] == "red" and row["favourable"] is False


@pytest.mark.parametrize(("actual", "status"), [(25, "met"), (30, "met"), (35, "not_met")])
def test_direction_down_without_baseline_is_met_or_not(plan, actual, status):
    f.quarters(plan)
    ind = f.indicator(plan, "T-DN0", direction="down", agg_time="latest", by_province=False)
    f.target(plan, ind, "2026Q1", 30)
    f.value(plan, ind, "2026Q1", "MOSVY", None, actual)
    plan.commit()
    row = _row(variance.variance(plan, "2026Q1", "period"), "T-DN0")
    assert row["progress"] is None and row["status"] == status


@pytest.mark.parametrize(
    ("tolerance", "actual", "status"),
    [(None, 104, "met"), (None, 95, "met"), (None, 106, "not_met"), ("10", 106, "met")],
)
def test_keep_within_tolerance(plan, tolerance, actual, status):
    f.quarters(plan)
    ind = f.indicator(
        plan, "T-KP", direction="keep", agg_time="latest", by_province=False, tolerance=tolerance
    )
    f.target(plan, ind, "2026Q1", 100)
    f.value(plan, ind, "2026Q1", "MOSVY", None, actual)
    plan.commit()
    row = _row(variance.variance(plan, "2026Q1", "period"), "T-KP")
    # default tolerance: 5 % of the target = 5
    assert row["status"] == status and row["progress"] is None


def test_missing_baseline_going_up_counts_from_zero(plan):
    f.quarters(plan)
    ind = f.indicator(plan, "T-NB", agg_time="latest", by_province=False)
    f.target(plan, ind, "2026Q1", 50)
    f.value(plan, ind, "2026Q1", "MOSVY", None, 45)
    plan.commit()
    row = _row(variance.variance(plan, "2026Q1", "period"), "T-NB")
    assert row["baseline"] is None and row["progress"] == pytest.approx(90)
    assert row["status"] == "green"


@pytest.mark.parametrize(("actual", "status"), [(55, "met"), (50, "met"), (45, "not_met")])
def test_target_equal_to_baseline(plan, actual, status):
    f.quarters(plan)
    ind = f.indicator(plan, "T-EQ", agg_time="latest", by_province=False, baseline="50")
    f.target(plan, ind, "2026Q1", 50)
    f.value(plan, ind, "2026Q1", "MOSVY", None, actual)
    plan.commit()
    row = _row(variance.variance(plan, "2026Q1", "period"), "T-EQ")
    assert row["progress"] is None and row["status"] == status


def test_no_data_and_no_target(plan):
    f.quarters(plan)
    no_data = f.indicator(plan, "T-ND", by_province=False)
    f.target(plan, no_data, "2026Q1", 10)
    no_target = f.indicator(plan, "T-NT", by_province=False)
    f.value(plan, no_target, "2026Q1", "MOSVY", None, 4)
    plan.commit()
    rows = variance.variance(plan, "2026Q1", "period")
    assert _row(rows, "T-ND")["status"] == "no_data"
    assert _row(rows, "T-ND")["actual"] is None
    assert _row(rows, "T-NT")["status"] == "no_target"
    assert _row(rows, "T-NT")["actual"] == 4 and _row(rows, "T-NT")["variance"] is None


def test_exceeded_and_the_indicators_own_thresholds(plan):
    f.quarters(plan)
    over = f.indicator(plan, "T-EX", by_province=False)
    f.target(plan, over, "2026Q1", 10)
    f.value(plan, over, "2026Q1", "MOSVY", None, 13)  # 130 % > 120 %
    own = f.indicator(plan, "T-TH", by_province=False, green=80, amber=50, exceeded=150)
    default = f.indicator(plan, "T-TD", by_province=False)
    for ind in (own, default):
        f.target(plan, ind, "2026Q1", 10)
        f.value(plan, ind, "2026Q1", "MOSVY", None, "8.5")  # 85 %
    plan.commit()
    rows = variance.variance(plan, "2026Q1", "period")
    assert _row(rows, "T-EX")["status"] == "exceeded"
    assert _row(rows, "T-TH")["status"] == "green"  # its own: green from 80 %
    assert _row(rows, "T-TD")["status"] == "amber"  # default: green from 90 %


def _every_quarter(session, ind, value):
    for spec in f.calendar.periods_of_span("quarterly", 2026, 2035):
        f.target(session, ind, spec.code, value)


def test_forecast_that_reaches_the_target(plan):
    f.quarters(plan)
    ind = f.indicator(plan, "T-FR", by_province=False)
    _every_quarter(plan, ind, 3)  # 40 quarters × 3 = 120 by the end of 2035
    for code in ("2026Q1", "2026Q2", "2026Q3"):
        f.value(plan, ind, code, "MOSVY", None, 10)
    plan.commit()
    row = _row(variance.variance(plan, "2026Q3", "period"), "T-FR")
    fc = row["forecast"]
    # cumulative 10, 20, 30 at quarters 0, 1, 2: y = 10 + 10x; 120 at x = 11 → 2028Q4
    assert fc["slope"] == pytest.approx(10) and fc["intercept"] == pytest.approx(10)
    assert fc["kind"] == "reach" and fc["period"] == "2028Q4" and fc["target"] == 120
    from leap_me.reports.present import forecast_sentence

    assert forecast_sentence(fc) == "On course to reach 120 by 2028Q4."


def test_forecast_that_misses_the_target(plan):
    f.quarters(plan)
    ind = f.indicator(plan, "T-FM", by_province=False)
    _every_quarter(plan, ind, 3)
    for code in ("2026Q1", "2026Q2", "2026Q3"):
        f.value(plan, ind, code, "MOSVY", None, 2)
    plan.commit()
    fc = _row(variance.variance(plan, "2026Q3", "period"), "T-FM")["forecast"]
    # cumulative 2, 4, 6: y = 2 + 2x; at the last quarter (x = 39): 80 of 120
    assert fc["kind"] == "miss" and fc["value"] == pytest.approx(80)
    from leap_me.reports.present import forecast_sentence

    assert forecast_sentence(fc) == "Projected 80 of 120 by the end of 2035."


def test_forecast_of_a_latest_indicator_uses_the_values(plan):
    f.quarters(plan)
    ind = f.indicator(plan, "T-FL", agg_time="latest", by_province=False)
    f.target(plan, ind, "2035Q4", 25)
    for code, v in (("2026Q1", 5), ("2026Q2", 6), ("2026Q3", 7)):
        f.value(plan, ind, code, "MOSVY", None, v)
    plan.commit()
    fc = _row(variance.variance(plan, "2026Q3", "period"), "T-FL")["forecast"]
    # y = 5 + x reaches 25 at x = 20 → 2031Q1
    assert fc["kind"] == "reach" and fc["period"] == "2031Q1"


def test_no_forecast_with_fewer_than_three_periods(plan):
    f.quarters(plan)
    ind = f.indicator(plan, "T-F2", by_province=False)
    _every_quarter(plan, ind, 3)
    f.value(plan, ind, "2026Q1", "MOSVY", None, 2)
    f.value(plan, ind, "2026Q2", "MOSVY", None, 2)
    plan.commit()
    assert _row(variance.variance(plan, "2026Q2", "period"), "T-F2")["forecast"] is None


def test_approved_only_unless_preview(plan):
    f.quarters(plan)
    ind = f.indicator(plan, "T-PV", by_province=False)
    f.target(plan, ind, "2026Q1", 10)
    f.value(plan, ind, "2026Q1", "MOSVY", None, 4)
    f.value(plan, ind, "2026Q1", "MOH", None, 3, status="submitted")
    f.value(plan, ind, "2026Q1", "MOJ", None, 100, status="draft")
    plan.commit()
    assert _row(variance.variance(plan, "2026Q1"), "T-PV")["actual"] == 4
    preview = variance.load(plan, "2026Q1", preview=True)
    assert preview.preview is True
    assert _row(preview.variance("period"), "T-PV")["actual"] == 7  # never drafts


def test_filters_outcome_province_and_option(plan):
    f.quarters(plan)
    one = f.indicator(plan, "T-O1", result_key="O1.1")
    two = f.indicator(plan, "T-O2", result_key="O2.1")
    for ind in (one, two):
        f.target(plan, ind, "2026Q1", 10)
        f.target(plan, ind, "2026Q1", 4, "KH-17")
    f.value(plan, one, "2026Q1", "AHTJP-PNP", "KH-12", 6)
    f.value(plan, one, "2026Q1", "AHTJP-SRP", "KH-17", 3)
    # parts by sex beside the total (KH-12) and parts by age × sex only (KH-17)
    f.value(plan, one, "2026Q1", "AHTJP-PNP", "KH-12", 4, disagg="sex:F")
    f.value(plan, one, "2026Q1", "AHTJP-PNP", "KH-12", 2, disagg="sex:M")
    f.value(plan, one, "2026Q1", "AHTJP-PNP", "KH-12", 1, disagg="age:age_0_11|sex:F")
    f.value(plan, one, "2026Q1", "AHTJP-PNP", "KH-12", 3, disagg="age:age_12_14|sex:F")
    f.value(plan, one, "2026Q1", "AHTJP-SRP", "KH-17", 1, disagg="age:age_0_11|sex:F")
    f.value(plan, one, "2026Q1", "AHTJP-SRP", "KH-17", 1, disagg="age:age_15_17|sex:F")
    plan.commit()
    o1 = variance.variance(plan, "2026Q1", filters=Filters(outcome="O1"))
    assert [r["code"] for r in o1] == ["T-O1"] and o1[0]["outcome_code"] == "1"
    kh17 = _row(variance.variance(plan, "2026Q1", filters=Filters(province="KH-17")), "T-O1")
    assert (kh17["actual"], kh17["target"]) == (3, 4)  # the province's own target
    girls = _row(variance.variance(plan, "2026Q1", filters=Filters(option="sex:F")), "T-O1")
    # KH-12 gave "sex:F" = 4 itself (its age × sex rows are not added again); KH-17: 1 + 1
    assert girls["actual"] == 6
    assert girls["target"] is None  # targets are set for totals


def test_unknown_period_or_filter_is_refused(plan):
    f.quarters(plan)
    with pytest.raises(variance.VarianceError):
        variance.load(plan, "2026Q9")
    with pytest.raises(variance.VarianceError):
        variance.load(plan, "2026Q1", filters=Filters(province="KH-99"))
    with pytest.raises(variance.VarianceError):
        variance.load(plan, "2026Q1", filters=Filters(outcome="NOPE"))


def test_indicator_not_due_in_the_period_is_left_out(plan):
    f.quarters(plan)
    f.periods(plan, "2026")
    yearly = f.indicator(plan, "T-YR", frequency="yearly", by_province=False)
    f.target(plan, yearly, "2026", 10)
    plan.commit()
    assert not [r for r in variance.variance(plan, "2026Q2", "period") if r["code"] == "T-YR"]
    assert not [r for r in variance.variance(plan, "2026Q2", "ytd") if r["code"] == "T-YR"]
    assert _row(variance.variance(plan, "2026Q4", "ytd"), "T-YR")["status"] == "no_data"
