"""The value store (indicators/services/values.py) pinned field by field: every accepted
edge case is checked in the stored row, every refusal by its exact message and field, so
that a changed comparison, a dropped filter or a changed constant fails a test (issue 8
item 29; `make mutation` runs these against the module's mutants)."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from indicators import services
from indicators.models import DataValue, ReportingPeriod
from indicators.services import ValidationError
from indicators.services import values as store
from stakeholders.models import Organisation, Province
from tests.shared_db import seeded_session


def _ind(session, code):
    return services.get_indicator(session, code)


def _period(session, code):
    return session.scalar(sa.select(ReportingPeriod).where(ReportingPeriod.code == code))


def _refused(fn, *args, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        fn(*args, **kwargs)
    return info.value


def _rows(session):
    """Every stored value as plain tuples, in a stable order."""
    session.expire_all()
    out = []
    for v in session.scalars(sa.select(DataValue).order_by(DataValue.id)):
        out.append(
            (
                v.indicator.code,
                v.period.code,
                v.organisation.code,
                v.province.code if v.province else None,
                v.disagg_key,
                v.value,
                v.numerator,
                v.denominator,
                v.text_value,
                v.status,
                v.comment,
            )
        )
    return out


def _seed(session) -> None:
    from leap_me import seeding
    from tests.indicators.conftest import SEEDS, load_plan

    seeding.seed_all(session, SEEDS, only=seeding.BASE_STEPS)
    load_plan(session)
    for name, step in services.seed_steps():
        if name in ("disaggregations", "indicators", "periods"):  # not the demo submissions
            step(session, SEEDS)
    # the value store takes values only in open periods: open every one of them here
    from indicators.models import ReportingPeriod

    session.execute(sa.update(ReportingPeriod).values(status="open"))


@pytest.fixture(scope="module")
def _seeded_once(request):
    """The plan and the indicator seed, loaded once (mutation testing runs these tests once
    per mutant); each test's writes are rolled back, as the value store only flushes."""
    yield from seeded_session(request, "indicators", _seed)


@pytest.fixture
def s(_seeded_once):
    yield _seeded_once
    _seeded_once.rollback()


@pytest.fixture
def org(s):
    return lambda code: s.scalar(sa.select(Organisation).where(Organisation.code == code))


@pytest.fixture
def province(s):
    return lambda code: s.scalar(sa.select(Province).where(Province.code == code))


@pytest.fixture
def where(s, org, province):
    """Keyword arguments of record_value for an indicator code, with sensible defaults."""

    def _where(code, period="2026Q4", organisation="AHTJP-SRP", prov="KH-17"):
        return dict(
            indicator=_ind(s, code),
            period=_period(s, period),
            organisation=org(organisation),
            province=province(prov) if prov else None,
        )

    return _where


# --- disaggregation keys --------------------------------------------------------------


def test_disagg_key_canonical_forms():
    assert store.disagg_key(None) == ""
    assert store.disagg_key("") == ""
    assert store.disagg_key({}) == ""
    assert store.disagg_key({"sex": "F", "age": "age_0_11"}) == "age:age_0_11|sex:F"
    assert store.disagg_key("sex:F|age:age_0_11") == "age:age_0_11|sex:F"
    assert store.disagg_key(" sex : F | age : age_0_11 ") == "age:age_0_11|sex:F"
    # empty chunks are skipped, wherever they are
    assert store.disagg_key("|sex:F||age:age_0_11|") == "age:age_0_11|sex:F"
    assert store.disagg_key("| |") == ""
    # the first colon separates the category from the option
    assert store.disagg_key("a:1:2|b:3") == "a:1:2|b:3"


def test_disagg_key_refusals_name_the_part():
    err = _refused(store.disagg_key, "sex:F| ageX |")
    assert (err.message, err.field) == ("“ageX” is not category:option.", "disagg")
    err = _refused(store.disagg_key, "sex:F|sex:M")
    assert (err.message, err.field) == ("A category appears twice in “sex:F|sex:M”.", "disagg")
    # only the part before the first colon is the category: a:1 and a:2:3 share it
    err = _refused(store.disagg_key, "a:1|a:2:3")
    assert err.message == "A category appears twice in “a:1|a:2:3”."


def test_check_disagg_against_the_version(s):
    version = _ind(s, "AHTJP-02").current  # sex, age, nationality, victim_type
    assert store.check_disagg(version, "") == ""
    assert store.check_disagg(version, "sex:F|age:age_0_11") == "age:age_0_11|sex:F"
    assert store.check_disagg(version, "victim_type:other") == "victim_type:other"
    err = _refused(store.check_disagg, version, "sex:F|course:basic")
    assert (err.message, err.field) == (
        "AHTJP-02 is not broken down by “course”.",
        "disagg",
    )
    err = _refused(store.check_disagg, version, "age:age_0_11|sex:X")
    assert (err.message, err.field) == ("“X” is not an option of sex.", "disagg")
    # an option of another category is not an option of this one
    err = _refused(store.check_disagg, version, "sex:age_0_11")
    assert err.message == "“age_0_11” is not an option of sex."


# --- clean_value: one checked figure per measure ----------------------------------------


def test_numbers_zero_is_a_value_and_negatives_are_refused(s):
    v = _ind(s, "AHTJP-01").current
    empty = {"numerator": None, "denominator": None, "text_value": None}
    assert store.clean_value(v, "0") == {"value": Decimal(0), **empty}
    assert store.clean_value(v, 0) == {"value": Decimal(0), **empty}
    assert store.clean_value(v, "12.5") == {"value": Decimal("12.5"), **empty}
    err = _refused(store.clean_value, v, "-0.5")
    assert (err.message, err.field) == ("A value cannot be negative.", "value")
    for missing in (None, "", "  "):
        err = _refused(store.clean_value, v, missing)
        assert (err.message, err.field) == ("Type a number.", "value")


def test_percentage_edges(s):
    v = _ind(s, "LEAP-5.1").current
    assert store.clean_value(v, numerator="0", denominator="8") == {
        "value": Decimal("0"),
        "numerator": Decimal("0"),
        "denominator": Decimal("8"),
        "text_value": None,
    }
    full = store.clean_value(v, numerator="8", denominator="8")  # 8/8 is allowed: 100 %
    assert full["value"] == Decimal("100") and full["numerator"] == 8 and full["denominator"] == 8
    third = store.clean_value(v, numerator="1", denominator="3")
    assert str(third["value"]) == "33.333333"  # quantized to 6 places
    two_thirds = store.clean_value(v, numerator="2", denominator="3")
    assert str(two_thirds["value"]) == "66.666667"  # half up
    err = _refused(store.clean_value, v, numerator="9", denominator="8")
    assert err.field == "numerator"
    assert err.message == (
        "The numerator (9) is larger than the denominator (8): a percentage cannot be over 100."
    )


def test_ratio_is_not_multiplied_and_may_exceed_one(s):
    v = _ind(s, "LEAP-3.1").current
    r = store.clean_value(v, numerator="3", denominator="8")
    assert r == {
        "value": Decimal("0.375"),
        "numerator": Decimal("3"),
        "denominator": Decimal("8"),
        "text_value": None,
    }
    assert store.clean_value(v, numerator="12", denominator="10")["value"] == Decimal("1.2")
    assert store.clean_value(v, numerator="8", denominator="8")["value"] == Decimal("1")
    assert str(store.clean_value(v, numerator="1", denominator="3")["value"]) == "0.333333"
    # the quotient must stay below 10^14
    big = store.clean_value(v, numerator="99999999999999", denominator="1")
    assert big["value"] == Decimal("99999999999999")
    err = _refused(store.clean_value, v, numerator="10000000000000", denominator="0.1")
    assert err.field == "denominator"
    assert err.message == (
        "The numerator divided by the denominator is too large; check the denominator."
    )


def test_fraction_refusals_name_the_field(s):
    v = _ind(s, "LEAP-5.1").current
    both = "Give both the numerator and the denominator."
    err = _refused(store.clean_value, v, numerator=None, denominator="8")
    assert (err.message, err.field) == (both, "numerator")
    err = _refused(store.clean_value, v, numerator="3", denominator=None)
    assert (err.message, err.field) == (both, "denominator")
    err = _refused(store.clean_value, v, numerator=None, denominator=None)
    assert (err.message, err.field) == (both, "numerator")
    err = _refused(store.clean_value, v, numerator="0", denominator="0")
    assert (err.message, err.field) == (
        "The denominator is 0: nothing can be divided by 0.",
        "denominator",
    )
    negative = "The numerator and denominator cannot be negative."
    err = _refused(store.clean_value, v, numerator="-1", denominator="8")
    assert (err.message, err.field) == (negative, "numerator")
    err = _refused(store.clean_value, v, numerator="1", denominator="-8")
    assert (err.message, err.field) == (negative, "numerator")


def test_yes_no_answers(s):
    v = _ind(s, "LEAP-1.1").current
    for word in ("1", "yes", "Y", " TRUE ", "មាន", "បាទ", "ចាស", True):
        assert store.clean_value(v, word) == {
            "value": Decimal(1),
            "numerator": None,
            "denominator": None,
            "text_value": None,
        }, word
    for word in ("0", "no", "N", "false", "គ្មាន", "ទេ", False):
        assert store.clean_value(v, word)["value"] == Decimal(0), word
    for bad in ("maybe", "", None, "2"):
        err = _refused(store.clean_value, v, bad)
        assert (err.message, err.field) == ("Answer yes (1) or no (0).", "value")


def test_text_answers(s):
    v = _ind(s, "LEAP-4.1").current
    nothing = {"value": None, "numerator": None, "denominator": None}
    assert store.clean_value(v, text="  Prakas signed  ") == {
        **nothing,
        "text_value": "Prakas signed",
    }
    # the value is the answer when no text is given; the text wins when both are
    assert store.clean_value(v, "From value") == {**nothing, "text_value": "From value"}
    assert store.clean_value(v, "ignored", text="Text") == {**nothing, "text_value": "Text"}
    assert store.clean_value(v, text="x" * 4000)["text_value"] == "x" * 4000
    err = _refused(store.clean_value, v, text="x" * 4001)
    assert (err.message, err.field) == ("The answer is longer than 4000 characters.", "text")
    for empty in (dict(text="   "), dict(text=None), dict(value=None), dict(text="", value="v")):
        err = _refused(store.clean_value, v, **empty)
        assert (err.message, err.field) == ("Type the answer.", "text"), empty


# --- record_value: what is stored --------------------------------------------------------


def test_each_accepted_edge_case_is_stored_as_typed(s, where):
    store.record_value(s, **where("AHTJP-01"), value="0")
    store.record_value(
        s, **where("LEAP-5.1"), disagg="age:age_0_11", numerator="0", denominator="8"
    )
    store.record_value(
        s, **where("LEAP-5.1"), disagg="age:age_12_14", numerator="8", denominator="8"
    )
    store.record_value(s, **where("LEAP-3.1"), numerator="3", denominator="8", comment="three")
    store.record_value(
        s, **where("LEAP-1.1", period="2026", organisation="MOI", prov=None), value="no"
    )
    store.record_value(
        s,
        **where("LEAP-4.1", period="2026", organisation="MOI", prov=None),
        text="Prakas signed",
        status="submitted",
    )
    assert _rows(s) == [
        ("AHTJP-01", "2026Q4", "AHTJP-SRP", "KH-17", "", Decimal(0), None, None, None, "draft", ""),
        (
            "LEAP-5.1",
            "2026Q4",
            "AHTJP-SRP",
            "KH-17",
            "age:age_0_11",
            Decimal(0),
            Decimal(0),
            Decimal(8),
            None,
            "draft",
            "",
        ),
        (
            "LEAP-5.1",
            "2026Q4",
            "AHTJP-SRP",
            "KH-17",
            "age:age_12_14",
            Decimal(100),
            Decimal(8),
            Decimal(8),
            None,
            "draft",
            "",
        ),
        (
            "LEAP-3.1",
            "2026Q4",
            "AHTJP-SRP",
            "KH-17",
            "",
            Decimal("0.375"),
            Decimal(3),
            Decimal(8),
            None,
            "draft",
            "three",
        ),
        ("LEAP-1.1", "2026", "MOI", None, "", Decimal(0), None, None, None, "draft", ""),
        ("LEAP-4.1", "2026", "MOI", None, "", None, None, None, "Prakas signed", "submitted", ""),
    ]


def test_the_row_is_flushed_and_tied_to_the_current_version(s, where):
    args = where("AHTJP-01")
    row = store.record_value(s, **args, value="4", comment="first count")
    assert row.id is not None  # flushed: the id exists before any commit
    assert row.version_id == args["indicator"].current.id
    assert row.indicator_id == args["indicator"].id
    assert s.scalar(sa.select(DataValue.value).where(DataValue.id == row.id)) == Decimal(4)
    assert s.scalar(sa.select(DataValue.comment).where(DataValue.id == row.id)) == "first count"


def test_each_lookup_filter_keeps_its_figure_apart(s, where):
    """Deleting any filter of the existing-value lookup makes one figure overwrite another."""
    # indicator: two national figures of the same organisation, period and (no) province
    store.record_value(s, **where("LEAP-6.1", organisation="AHTJP", prov=None), value="5")
    store.record_value(s, **where("LEAP-6.2", organisation="AHTJP", prov=None), value="7")
    # period
    store.record_value(s, **where("AHTJP-01", period="2026Q3"), value="11")
    store.record_value(s, **where("AHTJP-01", period="2026Q4"), value="12")
    # organisation: two reporters of the same province
    store.record_value(s, **where("AHTJP-09", organisation="AHTJP", prov="KH-12"), value="21")
    store.record_value(s, **where("AHTJP-09", organisation="AHTJP-PNP", prov="KH-12"), value="22")
    # province: one reporter, two provinces
    store.record_value(s, **where("AHTJP-04", organisation="AHTJP", prov="KH-12"), value="31")
    store.record_value(s, **where("AHTJP-04", organisation="AHTJP", prov="KH-17"), value="32")
    # disaggregation: the total beside a part
    store.record_value(s, **where("AHTJP-03"), value="41")
    store.record_value(s, **where("AHTJP-03"), disagg={"sex": "F"}, value="42")
    figures = [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in _rows(s)]
    assert figures == [
        ("LEAP-6.1", "2026Q4", "AHTJP", None, "", Decimal(5)),
        ("LEAP-6.2", "2026Q4", "AHTJP", None, "", Decimal(7)),
        ("AHTJP-01", "2026Q3", "AHTJP-SRP", "KH-17", "", Decimal(11)),
        ("AHTJP-01", "2026Q4", "AHTJP-SRP", "KH-17", "", Decimal(12)),
        ("AHTJP-09", "2026Q4", "AHTJP", "KH-12", "", Decimal(21)),
        ("AHTJP-09", "2026Q4", "AHTJP-PNP", "KH-12", "", Decimal(22)),
        ("AHTJP-04", "2026Q4", "AHTJP", "KH-12", "", Decimal(31)),
        ("AHTJP-04", "2026Q4", "AHTJP", "KH-17", "", Decimal(32)),
        ("AHTJP-03", "2026Q4", "AHTJP-SRP", "KH-17", "", Decimal(41)),
        ("AHTJP-03", "2026Q4", "AHTJP-SRP", "KH-17", "sex:F", Decimal(42)),
    ]


def test_a_correction_replaces_every_field_of_the_same_row(s, where):
    args = where("LEAP-5.1")
    first = store.record_value(
        s, **args, disagg="age:age_0_11", numerator="3", denominator="8", comment="first"
    )
    again = store.record_value(
        s,
        **args,
        disagg={"age": "age_0_11"},
        numerator="8",
        denominator="8",
        status="submitted",
    )
    assert again is first
    assert _rows(s) == [
        (
            "LEAP-5.1",
            "2026Q4",
            "AHTJP-SRP",
            "KH-17",
            "age:age_0_11",
            Decimal(100),
            Decimal(8),
            Decimal(8),
            None,
            "submitted",
            "",
        ),  # no comment given: the old one is cleared
    ]
    # a submitted figure may still be corrected; a national one is matched on "no province"
    nat = where("LEAP-6.1", organisation="AHTJP", prov=None)
    a = store.record_value(s, **nat, value="1", status="submitted")
    b = store.record_value(s, **nat, value="2")
    assert a.id == b.id and b.value == Decimal(2) and b.status == "draft"
    assert s.scalar(sa.select(sa.func.count(DataValue.id))) == 2


def test_an_approved_figure_is_not_overwritten(s, where):
    args = where("AHTJP-01")
    store.record_value(s, **args, value="4", status="approved", comment="official")
    err = _refused(store.record_value, s, **args, value="5")
    assert err.field == "value"
    assert err.message == (
        "The value of AHTJP-01 for 2026Q4 is approved; it can change only after the "
        "submission is reopened with a reason."
    )
    assert _rows(s) == [
        (
            "AHTJP-01",
            "2026Q4",
            "AHTJP-SRP",
            "KH-17",
            "",
            Decimal(4),
            None,
            None,
            None,
            "approved",
            "official",
        ),
    ]
    # the approved total does not block a part of another grain
    store.record_value(s, **args, disagg="victim_type:other", value="1")
    assert len(_rows(s)) == 2


def test_statuses(s, where):
    args = where("AHTJP-01")
    for part, status in (
        ("other", "draft"),
        ("sexual_abuse", "submitted"),
        ("domestic_violence", "approved"),
    ):
        row = store.record_value(s, **args, disagg=f"victim_type:{part}", value="1", status=status)
        assert row.status == status
    err = _refused(store.record_value, s, **args, value="1", status="final")
    assert (err.message, err.field) == ("Unknown status final.", "status")


def test_refusals_store_nothing_and_name_the_field(s, where, org, province):
    cases = where("AHTJP-01")
    err = _refused(store.record_value, s, **{**cases, "province": None}, value="3")
    assert (err.message, err.field) == (
        "AHTJP-01 is reported by province: choose the province.",
        "province",
    )
    national = where("LEAP-6.1", organisation="AHTJP", prov="KH-12")
    err = _refused(store.record_value, s, **national, value="3")
    assert (err.message, err.field) == (
        "LEAP-6.1 is a national figure: leave the province empty.",
        "province",
    )
    monthly = where("AHTJP-05", organisation="AHTJP")
    err = _refused(store.record_value, s, **monthly, value="1")
    assert (err.message, err.field) == (
        "AHTJP-05 is reported monthly; 2026Q4 is not such a period.",
        "period",
    )
    err = _refused(store.record_value, s, **{**cases, "organisation": org("UK-EMB")}, value="3")
    assert (err.message, err.field) == (
        "UK-EMB is not assigned to report AHTJP-01.",
        "organisation",
    )
    err = _refused(store.record_value, s, **cases, value="3", disagg="sex:F")
    assert err.field == "disagg"
    err = _refused(store.record_value, s, **cases, value="-3")
    assert err.field == "value"
    assert s.scalar(sa.select(sa.func.count(DataValue.id))) == 0


def test_locked_period_and_retired_indicator_messages(s, where):
    args = where("AHTJP-01")
    services.change_status(s, args["period"], "lock")
    err = _refused(store.record_value, s, **args, value="1")
    assert (err.message, err.field) == (
        "Period 2026Q4 is locked: it takes no new values.",
        "period",
    )
    services.change_status(s, args["period"], "unlock", reason="test")
    args["period"].status = "open"
    services.retire_indicator(s, args["indicator"])
    err = _refused(store.record_value, s, **args, value="1")
    assert (err.message, err.field) == ("AHTJP-01 is retired: it takes no new values.", "indicator")
    assert s.scalar(sa.select(sa.func.count(DataValue.id))) == 0


def test_an_indicator_without_assigned_reporters_takes_any_organisation(s, where):
    args = where("LEAP-6.1", organisation="UK-EMB", prov=None)
    args["indicator"].reporters.clear()
    s.flush()
    row = store.record_value(s, **args, value="2")
    assert (row.organisation.code, row.value) == ("UK-EMB", Decimal(2))


def test_unreadable_numbers_name_their_field(s):
    number = _ind(s, "AHTJP-01").current
    share = _ind(s, "LEAP-5.1").current
    assert _refused(store.clean_value, number, "twelve").field == "value"
    assert _refused(store.clean_value, share, numerator="abc", denominator="8").field == (
        "numerator"
    )
    assert _refused(store.clean_value, share, numerator="3", denominator="abc").field == (
        "denominator"
    )


def test_only_the_first_colon_splits_a_part(s):
    version = _ind(s, "AHTJP-02").current
    err = _refused(store.check_disagg, version, "sex:F:x")
    assert (err.message, err.field) == ("“F:x” is not an option of sex.", "disagg")
