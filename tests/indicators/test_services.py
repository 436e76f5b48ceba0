"""The rules of the indicators domain, pinned with hand-computed examples."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from indicators import services
from indicators.models import DataValue, Indicator, IndicatorVersion, ReportingPeriod, Target
from indicators.services import ValidationError, calendar
from tests.indicators.conftest import SEEDS


def _ind(session, code):
    return services.get_indicator(session, code)


def _period(session, code):
    return session.scalar(sa.select(ReportingPeriod).where(ReportingPeriod.code == code))


def _open(session, code):
    """The period, opened: values are taken only while a period is open."""
    period = _period(session, code)
    period.status = "open"
    session.flush()
    return period


# --- calendar -------------------------------------------------------------------------


def test_period_codes_and_dates():
    q2 = calendar.parse("2026Q2")
    assert (q2.start.isoformat(), q2.end.isoformat()) == ("2026-04-01", "2026-06-30")
    assert q2.default_deadline.isoformat() == "2026-07-15"
    assert calendar.parse("2026S2").end.isoformat() == "2026-12-31"
    assert calendar.parse("202602").end.isoformat() == "2026-02-28"
    assert calendar.parse("2026").frequency == "yearly"
    assert calendar.parse("2026Q5") is None and calendar.parse("hello") is None
    assert [p.code for p in calendar.periods_of_year("half_yearly", 2027)] == ["2027S1", "2027S2"]
    assert len(calendar.periods_of_year("monthly", 2026)) == 12


# --- splitting yearly targets (METHOD.md §2) ------------------------------------------------


def _v(measure="number", agg_time="sum", frequency="quarterly"):
    return IndicatorVersion(measure=measure, agg_time=agg_time, frequency=frequency)


@pytest.mark.parametrize(
    "year,frequency,parts",
    [
        ("220", "quarterly", ["55", "55", "55", "55"]),
        ("235", "quarterly", ["59", "59", "59", "58"]),
        ("2600", "monthly", ["217"] * 8 + ["216"] * 4),
        ("80", "half_yearly", ["40", "40"]),
        ("10.5", "half_yearly", ["5.3", "5.2"]),
    ],
)
def test_sum_targets_split_equally_and_add_up_to_the_year(year, frequency, parts):
    version = _v(frequency=frequency)
    split = services.split_year(Decimal(year), version)
    assert [str(p) for p in split] == parts
    assert sum(split) == Decimal(year)
    assert services.year_total(split, version) == Decimal(year)


def test_stocks_rates_and_averages_repeat_the_yearly_target():
    assert services.split_year(Decimal("10"), _v(agg_time="latest")) == [Decimal("10")] * 4
    assert (
        services.split_year(Decimal("75"), _v(agg_time="average", frequency="monthly"))
        == [Decimal("75")] * 12
    )
    # a percentage reported quarterly and summed over time: still a rate, never divided
    assert services.split_year(Decimal("60.0"), _v(measure="percentage")) == [Decimal("60.0")] * 4
    assert services.year_total([Decimal(60)] * 4, _v(measure="percentage")) == Decimal(60)
    assert services.year_total([Decimal(8), Decimal(10)], _v(agg_time="latest")) == Decimal(10)
    assert services.year_total([Decimal(8), Decimal(10)], _v(agg_time="max")) == Decimal(10)
    assert services.year_total([Decimal(8), Decimal(10)], _v(agg_time="average")) == Decimal(9)


# --- seed -------------------------------------------------------------------------------


def test_seed_loads_indicators_targets_and_periods(seeded):
    session = seeded
    assert session.scalar(sa.select(sa.func.count(Indicator.id))) >= 20
    versions = list(session.scalars(sa.select(IndicatorVersion)))
    assert {v.measure for v in versions} == {"number", "percentage", "ratio", "yesno", "text"}
    assert {v.agg_space for v in versions} == {"sum", "average", "max", "min"}
    assert {v.agg_time for v in versions} == {"sum", "latest", "average", "max"}
    ahtjp01 = _ind(session, "AHTJP-01")
    assert ahtjp01.current.baseline_value == Decimal(104) and not ahtjp01.current.baseline_is_demo
    assert [c.code for c in ahtjp01.current.categories] == ["victim_type"]
    assert len(ahtjp01.reporters) == 11
    targets = services.targets_by_period(session, ahtjp01.id)
    assert [targets[(f"2027Q{i}", None)] for i in range(1, 5)] == [59, 59, 59, 58]
    years = services.yearly_targets(ahtjp01.current, targets)
    assert years[(2027, None)] == 235 and years[(2035, None)] == 400
    rooms = _ind(session, "LEAP-7.1")  # latest: every half repeats the year
    assert services.targets_by_period(session, rooms.id)[("2026S1", None)] == 9
    thresholds = _ind(session, "LEAP-8.1").current
    assert (thresholds.threshold_green, thresholds.threshold_amber) == (95, 80)
    assert _ind(session, "LEAP-4.1").current.baseline_value is None
    statuses = dict(session.execute(sa.select(ReportingPeriod.code, ReportingPeriod.status)).all())
    assert statuses["2026Q1"] == statuses["2026Q3"] == "closed"
    assert statuses["2026Q4"] == "open" and statuses["2026S2"] == "planned"
    assert statuses["2026"] == "planned" and statuses["202609"] == "closed"


def test_seed_is_idempotent(seeded):
    before = seeded.scalar(sa.select(sa.func.count(Target.id)))
    for name, step in services.seed_steps():
        if name in ("crosschecks", "submissions"):  # not loaded by `seeded`; own tests
            continue
        assert step(seeded, SEEDS) == 0
    assert seeded.scalar(sa.select(sa.func.count(Target.id))) == before


# --- values ------------------------------------------------------------------------------


def test_record_value_refuses_bad_input(seeded, org, province):
    s = seeded
    kwargs = dict(period=_period(s, "2026Q4"), organisation=org("AHTJP-SRP"))
    cases = _ind(s, "AHTJP-01")
    pnp = province("KH-12")
    bad = [
        (dict(indicator=cases, province=pnp, value="twelve"), "is not a number"),
        (dict(indicator=cases, province=pnp, value="-3"), "cannot be negative"),
        (dict(indicator=cases, value="3"), "choose the province"),
        (dict(indicator=cases, province=pnp, value="3", disagg="sex:F"), "not broken down"),
        (
            dict(indicator=cases, province=pnp, value="3", disagg="victim_type:ghosts"),
            "is not an option",
        ),
    ]
    share = _ind(s, "LEAP-5.1")
    bad += [
        (dict(indicator=share, province=pnp, numerator="5", denominator="0"), "denominator is 0"),
        (
            dict(indicator=share, province=pnp, numerator="12", denominator="10"),
            "cannot be over 100",
        ),
        (dict(indicator=share, province=pnp, numerator="5"), "both the numerator"),
    ]
    for extra, message in bad:
        with pytest.raises(ValidationError, match=message):
            services.record_value(s, **{**kwargs, **extra})
    assert s.scalar(sa.select(sa.func.count(DataValue.id))) == 0


def test_record_value_stores_the_grain_and_corrects_in_place(seeded, org, province):
    s = seeded
    cases = _ind(s, "AHTJP-02")
    args = dict(
        indicator=cases,
        period=_period(s, "2026Q4"),
        organisation=org("AHTJP-SRP"),
        province=province("KH-17"),
    )
    a = services.record_value(s, **args, disagg={"sex": "F", "age": "age_0_11"}, value="1,250")
    assert a.disagg_key == "age:age_0_11|sex:F" and a.value == Decimal(1250)
    b = services.record_value(s, **args, disagg="sex:F|age:age_0_11", value="7")
    assert b.id == a.id and b.value == 7  # same grain: corrected, not duplicated
    services.record_value(s, **args, value="30")  # the total beside its parts
    assert s.scalar(sa.select(sa.func.count(DataValue.id))) == 2
    share = services.record_value(
        s,
        indicator=_ind(s, "LEAP-5.1"),
        period=_period(s, "2026Q4"),
        organisation=org("AHTJP-SRP"),
        province=province("KH-17"),
        numerator="3",
        denominator="8",
    )
    assert share.value == Decimal("37.5") and share.numerator == 3
    yes = services.record_value(
        s,
        indicator=_ind(s, "LEAP-1.1"),
        period=_open(s, "2026"),
        organisation=org("MOI"),
        value="yes",
    )
    assert yes.value == 1


def test_locked_period_and_retired_indicator_refuse_values(seeded, org, province):
    s = seeded
    period = _period(s, "2026Q4")
    services.change_status(s, period, "lock")
    args = dict(
        indicator=_ind(s, "AHTJP-01"),
        period=period,
        organisation=org("AHTJP-SRP"),
        province=province("KH-17"),
        value="4",
    )
    with pytest.raises(ValidationError, match="locked"):
        services.record_value(s, **args)
    with pytest.raises(ValidationError, match="Say why"):
        services.change_status(s, period, "unlock")
    services.change_status(s, period, "unlock", reason="late correction")
    services.change_status(s, period, "open")
    services.record_value(s, **args)
    services.retire_indicator(s, args["indicator"])
    with pytest.raises(ValidationError, match="retired"):
        services.record_value(s, **{**args, "value": "5"})
    with pytest.raises(ValidationError, match="monthly"):
        services.record_value(
            s, **{**args, "indicator": _ind(s, "AHTJP-05"), "period": period, "value": "1"}
        )


# --- definition changes never lose values ------------------------------------------------------


def _definition(indicator: Indicator, **changes):
    v = indicator.current
    data = {n: getattr(v, n) for n in services.definitions.FIELDS}
    data.update(changes)
    return data


def _update(session, indicator, categories=None, **changes):
    return services.update_indicator(
        session,
        indicator,
        code=indicator.code,
        result_key=indicator.result_key,
        data=_definition(indicator, **changes),
        category_ids=categories
        if categories is not None
        else [c.id for c in indicator.current.categories],
        reporter_ids=[o.id for o in indicator.reporters],
        note="test",
    )


def test_changes_without_values_edit_in_place(seeded):
    ind = _ind(seeded, "AHTJP-01")
    version, is_new = _update(seeded, ind, frequency="monthly", name_en="Cases opened")
    assert not is_new and version.number == 1 and len(ind.versions) == 1
    assert version.frequency == "monthly"


def test_wording_changes_in_place_even_with_values(seeded, org, province):
    s = seeded
    ind = _ind(s, "AHTJP-01")
    services.record_value(
        s,
        indicator=ind,
        period=_open(s, "2026Q3"),
        organisation=org("AHTJP-SRP"),
        province=province("KH-17"),
        value="12",
    )
    version, is_new = _update(s, ind, name_en="Cases investigated (revised wording)", tolerance="3")
    assert not is_new and version.number == 1 and version.name_en.endswith("wording)")


def test_meaning_changes_with_values_make_a_new_version_and_keep_values(seeded, org, province):
    s = seeded
    ind = _ind(s, "AHTJP-02")
    sex = next(c for c in ind.current.categories if c.code == "sex")
    age = next(c for c in ind.current.categories if c.code == "age")
    value = services.record_value(
        s,
        indicator=ind,
        period=_open(s, "2026Q3"),
        organisation=org("AHTJP-SRP"),
        province=province("KH-17"),
        disagg="age:age_12_14|sex:F",
        value="9",
    )
    old_version = value.version
    version, is_new = _update(s, ind, categories=[sex.id])  # age dropped
    s.commit()
    assert is_new and version.number == 2 and [c.code for c in version.categories] == ["sex"]
    s.expire_all()
    value = s.get(DataValue, value.id)
    assert value.value == 9 and value.disagg_key == "age:age_12_14|sex:F"
    assert value.version_id == old_version.id
    assert {c.code for c in value.version.categories} >= {"age", "sex"}
    ind = _ind(s, "AHTJP-02")
    assert [v.is_current for v in ind.versions] == [False, True]
    # new values follow the new definition: age is no longer accepted
    with pytest.raises(ValidationError, match="not broken down"):
        services.record_value(
            s,
            indicator=ind,
            period=_period(s, "2026Q4"),
            organisation=org("AHTJP-SRP"),
            province=province("KH-17"),
            disagg={"age": "age_12_14"},
            value="1",
        )
    assert age.id not in {c.id for c in ind.current.categories}
    # measure changed too: another version, the value still untouched
    version, is_new = _update(s, ind, unit_en="children")
    assert is_new and version.number == 3
    assert services.value_counts(s, ind.id) == {old_version.id: 1}


def test_code_of_a_reported_indicator_cannot_change(seeded, org, province):
    s = seeded
    ind = _ind(s, "AHTJP-01")
    services.record_value(
        s,
        indicator=ind,
        period=_open(s, "2026Q3"),
        organisation=org("AHTJP-SRP"),
        province=province("KH-17"),
        value="12",
    )
    with pytest.raises(ValidationError, match="cannot change"):
        services.update_indicator(
            s,
            ind,
            code="AHTJP-99",
            result_key=ind.result_key,
            data=_definition(ind),
            category_ids=[c.id for c in ind.current.categories],
            reporter_ids=[],
        )
    with pytest.raises(ValidationError, match="retire it instead"):
        services.delete_indicator(s, ind)


def test_retire_and_replace_keep_history(seeded):
    s = seeded
    old = _ind(s, "AHTJP-04")
    new = services.replace_indicator(s, old, "AHTJP-04B")
    s.commit()
    assert old.is_retired and old.retired_dt is not None
    assert new.replaces is old and old.replaced_by == [new]
    assert new.current.name_en == old.current.name_en
    assert services.targets_by_period(s, new.id) == services.targets_by_period(s, old.id)
    with pytest.raises(ValidationError, match="replaced by"):
        services.reactivate_indicator(s, old)


def test_definition_checks(seeded):
    s = seeded
    ind = _ind(s, "LEAP-5.1")
    with pytest.raises(ValidationError, match="over 100"):
        _update(s, ind, baseline_value="120", baseline_numerator=None, baseline_denominator=None)
    with pytest.raises(ValidationError, match="cannot be 0"):
        _update(s, ind, baseline_numerator="1", baseline_denominator="0")
    with pytest.raises(ValidationError, match="not a number"):
        _update(s, ind, baseline_value="about ten")
    with pytest.raises(ValidationError, match="Thresholds"):
        _update(s, ind, threshold_green=50, threshold_amber=70)
    with pytest.raises(ValidationError, match="not in the current plan"):
        services.update_indicator(
            s,
            ind,
            code=ind.code,
            result_key="O99",
            data=_definition(ind),
            category_ids=[],
            reporter_ids=[],
        )


# --- targets --------------------------------------------------------------------------------


def test_targets_refuse_periods_outside_the_plan_and_bad_values(seeded, province):
    s = seeded
    ind = _ind(s, "AHTJP-01")
    with pytest.raises(ValidationError, match="outside the plan"):
        services.set_target(s, ind, "2040Q1", None, "5")
    with pytest.raises(ValidationError, match="not a quarterly period"):
        services.set_target(s, ind, "2027S1", None, "5")
    with pytest.raises(ValidationError, match="not a number"):
        services.set_target(s, ind, "2027Q1", None, "lots")
    with pytest.raises(ValidationError, match="over 100"):
        services.set_target(s, _ind(s, "LEAP-5.1"), "2027Q1", None, "150")
    assert services.set_year_target(s, ind, 2028, province("KH-17").id, "10") == 4
    targets = services.targets_by_period(s, ind.id)
    assert [targets[(f"2028Q{i}", province("KH-17").id)] for i in range(1, 5)] == [3, 3, 2, 2]
    assert services.set_year_target(s, ind, 2028, province("KH-17").id, "") == 4
    assert ("2028Q1", province("KH-17").id) not in services.targets_by_period(s, ind.id)


# --- periods ----------------------------------------------------------------------------------


def test_generate_periods_from_frequencies_in_use(seeded):
    s = seeded
    created = services.generate_periods(s, 2027)
    codes = {p.code for p in created}
    assert {"2027", "2027S1", "2027Q3", "202712"} <= codes and len(codes) == 1 + 2 + 4 + 12
    assert services.generate_periods(s, 2027) == []
    q1 = _period(s, "2027Q1")
    assert q1.deadline.isoformat() == "2027-04-15" and q1.status == "planned"
    with pytest.raises(ValidationError, match="before the end"):
        services.set_deadline(s, q1, calendar.parse("2027Q1").start)
    with pytest.raises(ValidationError, match="cannot be changed"):
        services.change_status(s, q1, "close")


# --- logframe hooks ---------------------------------------------------------------------------


def test_matrix_rows_show_indicators_with_baseline_and_targets(seeded):
    from logframe import services as logframe

    rows = logframe.matrix_rows(seeded, ["G", "O7.3", "O1"])
    g = {r["code"]: r for r in rows["G"]}
    assert set(g) >= {"AHTJP-01", "AHTJP-02", "LEAP-G.1"}
    assert g["AHTJP-01"]["baseline"] == "104 cases (2024)"
    assert g["AHTJP-01"]["targets"] == "2026: 220 · 2030: 280 · 2035: 400"
    assert g["AHTJP-01"]["name_km"] and g["AHTJP-01"]["verification_en"]
    women = rows["O7.3"][0]
    assert women["baseline"] == "12.5% (25/200, 2025)"
    assert women["targets"] == "2026: 14% · 2030: 22% · 2035: 32%"
    assert "O1" not in rows


def test_delete_guard_names_the_indicators(seeded):
    from logframe import services as logframe

    reasons = logframe.delete_blockers(seeded, ["O6.1", "O2.1"])
    assert len(reasons) == 1
    assert "AHTJP-06" in reasons[0] and "AHTJP-09" in reasons[0] and "O6.1" in reasons[0]


def test_only_assigned_organisations_report_and_approved_values_stay(seeded, org, province):
    s = seeded
    args = dict(
        indicator=_ind(s, "AHTJP-01"),
        period=_period(s, "2026Q4"),
        organisation=org("AHTJP-SRP"),
        province=province("KH-17"),
    )
    with pytest.raises(ValidationError, match="not assigned to report"):
        services.record_value(s, **{**args, "organisation": org("UK-EMB")}, value="3")
    services.record_value(s, **args, value="4", status="approved")
    with pytest.raises(ValidationError, match="approved"):
        services.record_value(s, **args, value="5")
