"""Validation (indicators/services/validation.py) pinned message by message: for every rule
a hand-made value that triggers it and one at the edge that does not, with the message's
code, severity, field, details and English text checked exactly, so that a changed
comparison, constant or field name fails a test (issue 8 item 29; `make mutation` runs
this file against the module's mutants). Pure functions: one app, no database."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from indicators.services import validation as v
from indicators.services.common import ValidationError

_APP: list = []


@pytest.fixture(scope="module")
def _app():
    """One app per process: mutation testing runs this file once per mutant, in processes
    forked after a first full run, which then reuse it."""
    if not _APP:
        from leap_me import create_app
        from tests.conftest import make_config

        _APP.append(create_app(make_config("sqlite://")))
    return _APP[0]


@pytest.fixture(autouse=True)
def _ctx(_app):
    with _app.test_request_context():
        yield


def one(errors):
    assert len(errors) == 1, errors
    return errors[0].as_dict()


def err(code, message, field="value", detail=None):
    return {
        "code": code,
        "message": message,
        "field": field,
        "severity": "error",
        "detail": detail or {},
    }


def warn(code, message, field="value", detail=None):
    return {**err(code, message, field, detail), "severity": "warning"}


def fields(value=None, numerator=None, denominator=None, text_value=None):
    return {
        "value": value,
        "numerator": numerator,
        "denominator": denominator,
        "text_value": text_value,
    }


# --- the message itself -----------------------------------------------------------------


def test_message_defaults_and_dict():
    m = v.Message("c", "Some text")
    assert (m.field, m.severity, m.detail) == ("value", "error", {})
    assert str(m) == "Some text"
    assert m.as_dict() == err("c", "Some text")
    # a fresh detail per message
    m.detail["x"] = 1
    assert v.Message("d", "t").detail == {}


# --- parse_number ------------------------------------------------------------------------


def test_parse_number_empty_and_plain():
    assert v.parse_number(None, "f") is None
    assert v.parse_number("", "f") is None
    assert v.parse_number("   ", "f") is None
    assert v.parse_number(" 12.5 ", "f") == D("12.5")
    assert v.parse_number("-3", "f") == D(-3)  # negatives are allowed here
    assert v.parse_number(7, "f") == D(7)
    assert v.parse_number(D("2.25"), "f") == D("2.25")
    assert v.parse_number("១២៥", "f") == D(125)


def test_parse_number_refusals_keep_field_and_code():
    with pytest.raises(ValidationError) as info:
        v.parse_number("twelve", "numerator")
    assert info.value.field == "numerator"
    assert info.value.code == "not_a_number"
    assert info.value.message == NOT_A_NUMBER % "twelve"
    with pytest.raises(ValidationError) as info:
        v.parse_number(True, "denominator")  # a bool is not the number 1
    assert (info.value.field, info.value.code) == ("denominator", "not_a_number")
    # fifteen digits are too many, typed or with leading zeros; fourteen are a number
    with pytest.raises(ValidationError) as info:
        v.parse_number("100000000000000", "value")
    assert (info.value.field, info.value.code) == ("value", "too_large")
    assert info.value.message == (
        "“100000000000000” is too large: at most 14 digits before the decimal point."
    )
    assert v.parse_number("99999999999999", "f") == D("99999999999999")
    assert v.parse_number("000000000000001", "f") == D(1)
    assert v.parse_number("0", "f") == D(0)
    # digits other than ASCII and Khmer are refused, never a crash
    for raw in ("²", "①", "٣"):
        with pytest.raises(ValidationError) as info:
            v.parse_number(raw, "f")
        assert (info.value.field, info.value.code) == ("f", "not_a_number")


def test_parse_number_not_finite_and_limit():
    for raw in (D("NaN"), D("Infinity"), D("-Infinity")):
        with pytest.raises(ValidationError) as info:
            v.parse_number(raw, "f")
        assert info.value.field == "f"
        assert info.value.message == f"“{raw}” is not a number."
        assert not hasattr(info.value, "code")
    # the limit itself (10^14) is refused, either sign; just below it is a number
    for raw in (10**14, -(10**14), D(10) ** 14, D("1E+15")):
        with pytest.raises(ValidationError) as info:
            v.parse_number(raw, "f")
        assert info.value.field == "f"
        assert info.value.message == f"{raw} is too large."
    assert v.parse_number(10**14 - 1, "f") == D(10**14 - 1)
    assert v.parse_number(-(10**14) + 1, "f") == D(-(10**14) + 1)
    assert v.parse_number(D("99999999999999.99"), "f") == D("99999999999999.99")


# --- check_cell: text --------------------------------------------------------------------


def test_text_answers():
    assert v.check_cell("text", text="  All good  ") == (fields(text_value="All good"), [])
    # the text wins over a value; an empty text falls back to the value
    assert v.check_cell("text", text="words", value="other") == (fields(text_value="words"), [])
    assert v.check_cell("text", text="", value="from value") == (
        fields(text_value="from value"),
        [],
    )
    assert v.check_cell("text", text=None, value=12) == (fields(text_value="12"), [])
    assert v.check_cell("text") == (None, [])
    assert v.check_cell("text", text="   ") == (None, [])
    assert v.check_cell("text", text="", value="") == (None, [])
    # 4000 characters is the limit, allowed; one more is refused
    assert v.check_cell("text", text="x" * 4000) == (fields(text_value="x" * 4000), [])
    f, errors = v.check_cell("text", text="y" * 4001)
    assert f is None
    assert one(errors) == err("too_long", "The answer is longer than 4000 characters.", "text")
    # spaces around do not count towards the limit
    assert v.check_cell("text", text=" " + "z" * 4000 + " ")[1] == []


# --- check_cell: yes/no ------------------------------------------------------------------


@pytest.mark.parametrize("raw", sorted(v.YES) + [" YES ", "True", "Y", 1])
def test_yes(raw):
    assert v.check_cell("yesno", value=raw) == (fields(value=D(1)), [])


@pytest.mark.parametrize("raw", sorted(v.NO) + [" No ", "FALSE", "N", 0])
def test_no(raw):
    got = v.check_cell("yesno", value=raw)
    assert got == (fields(value=D(0)), [])
    assert got[0]["value"] is not None


def test_yes_no_sets_exactly():
    assert {"1", "yes", "y", "true", "មាន", "បាទ", "ចាស", "១"} == v.YES
    assert {"0", "no", "n", "false", "គ្មាន", "ទេ", "០"} == v.NO


@pytest.mark.parametrize("raw", ["maybe", "2", "none", "yes!"])
def test_yes_no_refused(raw):
    f, errors = v.check_cell("yesno", value=raw)
    assert f is None
    assert one(errors) == err("type", "Answer yes (1) or no (0).")


def test_yes_no_empty():
    assert v.check_cell("yesno") == (None, [])
    assert v.check_cell("yesno", value="  ") == (None, [])


# --- check_cell: numbers -----------------------------------------------------------------


def test_number_accepted_edges():
    assert v.check_cell("number", value="12") == (fields(value=D(12)), [])
    assert v.check_cell("number", value="0") == (fields(value=D(0)), [])  # 0 is a value
    assert v.check_cell("number", value="12.5") == (fields(value=D("12.5")), [])
    assert v.check_cell("number", value=D("0.000001")) == (fields(value=D("0.000001")), [])
    assert v.check_cell("number", value="99999999999999") == (
        fields(value=D("99999999999999")),
        [],
    )
    assert v.check_cell("number") == (None, [])
    assert v.check_cell("number", value="  ") == (None, [])


def test_number_negative():
    f, errors = v.check_cell("number", value="-1")
    assert f is None
    assert one(errors) == err("range", "A value cannot be negative.")
    f, errors = v.check_cell("number", value=D("-0.000001"))
    assert one(errors)["code"] == "range"


def test_number_not_a_number():
    f, errors = v.check_cell("number", value="twelve")
    assert f is None
    assert one(errors) == err("not_a_number", NOT_A_NUMBER % "twelve")


def test_number_not_finite_and_too_large():
    f, errors = v.check_cell("number", value=D("NaN"))
    assert f is None
    assert one(errors) == err("type", "“NaN” is not a number.")
    f, errors = v.check_cell("number", value=10**14)
    assert one(errors) == err("type", "100000000000000 is too large.")


def test_number_locale_is_passed_on():
    # a language with a decimal comma reads "1,5" as 1.5, where English finds it ambiguous
    assert v.check_cell("number", value="1,5", locale="fr") == (fields(value=D("1.5")), [])
    assert v.check_cell("number", value="1.234,5", locale="de") == (fields(value=D("1234.5")), [])
    assert v.parse_number("1,5", "f", "fr") == D("1.5")
    assert v.check_cell("ratio", numerator="1,5", denominator="2,5", locale="fr") == (
        fields(value=D("0.6"), numerator=D("1.5"), denominator=D("2.5")),
        [],
    )
    assert v.check_cell("number", value="12,500,000", locale="en") == (
        fields(value=D(12500000)),
        [],
    )
    f, errors = v.check_cell("number", value="1,5", locale="en")
    assert one(errors)["code"] == "ambiguous"


# --- check_cell: percentages and ratios --------------------------------------------------


def test_fraction_values():
    assert v.check_cell("percentage", numerator="3", denominator="8") == (
        fields(value=D("37.500000"), numerator=D(3), denominator=D(8)),
        [],
    )
    # one third: quantized to six places
    assert v.check_cell("percentage", numerator="1", denominator="3")[0]["value"] == D("33.333333")
    assert v.check_cell("ratio", numerator="1", denominator="3")[0] == fields(
        value=D("0.333333"), numerator=D(1), denominator=D(3)
    )
    assert v.check_cell("ratio", numerator="2", denominator="3")[0]["value"] == D("0.666667")
    # 0/8 and 8/8 are the edges of a percentage, both allowed
    assert v.check_cell("percentage", numerator="0", denominator="8") == (
        fields(value=D(0), numerator=D(0), denominator=D(8)),
        [],
    )
    assert v.check_cell("percentage", numerator="8", denominator="8") == (
        fields(value=D(100), numerator=D(8), denominator=D(8)),
        [],
    )
    # a ratio may be above 1 (a warning elsewhere, not an error)
    assert v.check_cell("ratio", numerator="5", denominator="4") == (
        fields(value=D("1.25"), numerator=D(5), denominator=D(4)),
        [],
    )


def test_fraction_empty_and_missing_half():
    assert v.check_cell("ratio") == (None, [])
    assert v.check_cell("percentage", numerator="", denominator="  ") == (None, [])
    missing = "Give both the numerator and the denominator."
    f, errors = v.check_cell("ratio", numerator="3", denominator="")
    assert f is None
    assert one(errors) == err("missing", missing, "denominator")
    f, errors = v.check_cell("percentage", numerator=None, denominator="4")
    assert one(errors) == err("missing", missing, "numerator")


def test_fraction_unreadable_halves_each_say_so():
    f, errors = v.check_cell("ratio", numerator="abc", denominator="def")
    assert f is None
    assert [e.as_dict() for e in errors] == [
        err("not_a_number", NOT_A_NUMBER % "abc", "numerator"),
        err("not_a_number", NOT_A_NUMBER % "def", "denominator"),
    ]
    f, errors = v.check_cell("ratio", numerator="4", denominator="x")
    assert one(errors) == err("not_a_number", NOT_A_NUMBER % "x", "denominator")
    f, errors = v.check_cell("ratio", numerator=D("NaN"), denominator="2")
    assert one(errors) == err("type", "“NaN” is not a number.", "numerator")
    f, errors = v.check_cell("ratio", numerator="1,5", denominator="3", locale="en")
    assert one(errors)["code"] == "ambiguous"


def test_zero_denominator():
    zero = "The denominator is 0: nothing can be divided by 0."
    for num in ("3", "0"):
        f, errors = v.check_cell("ratio", numerator=num, denominator="0")
        assert f is None
        assert one(errors) == err("zero_denominator", zero, "denominator")
    f, errors = v.check_cell("percentage", numerator="0", denominator="0.000")
    assert one(errors)["code"] == "zero_denominator"


def test_negative_halves():
    text = "The numerator and denominator cannot be negative."
    for num, den in (("-1", "2"), ("1", "-2"), ("-1", "-2")):
        f, errors = v.check_cell("ratio", numerator=num, denominator=den)
        assert f is None
        assert one(errors) == err("range", text, "numerator")


def test_percentage_above_100():
    f, errors = v.check_cell("percentage", numerator="9", denominator="8")
    assert f is None
    assert one(errors) == err(
        "percentage_range",
        "The numerator (9) is larger than the denominator (8): a percentage cannot be over 100.",
        "numerator",
        {"numerator": "9", "denominator": "8"},
    )
    f, errors = v.check_cell("percentage", numerator="8.5", denominator="8.25")
    assert one(errors)["detail"] == {"numerator": "8.5", "denominator": "8.25"}


def test_ratio_too_large():
    text = "The numerator divided by the denominator is too large; check the denominator."
    # 10^13 / 0.1 is exactly the limit, refused
    f, errors = v.check_cell("ratio", numerator="10000000000000", denominator="0.1")
    assert f is None
    assert one(errors) == err("range", text, "denominator")
    assert v.check_cell("ratio", numerator="99999999999999", denominator="1") == (
        fields(value=D("99999999999999"), numerator=D("99999999999999"), denominator=D(1)),
        [],
    )
    assert v.check_cell("ratio", numerator="9999999999999", denominator="0.1")[1] == []


def test_not_owed():
    assert v.not_owed().as_dict() == err(
        "not_owed", "This row is not one your organisation reports for this period.", "row"
    )


def test_explanation_needed():
    assert v.explanation_needed().as_dict() == err(
        "explanation_missing",
        "This value has a warning: explain it before you submit.",
        "explanation",
    )


# --- warnings: ratio above one, total vs parts --------------------------------------------


def test_ratio_above_one():
    assert v.ratio_above_one(D(5), D(4)).as_dict() == warn(
        "numerator_gt_denominator",
        "The numerator (5) is larger than the denominator (4). Explain why, or correct it.",
        "numerator",
        {"numerator": "5", "denominator": "4"},
    )
    assert v.ratio_above_one(D("4.01"), D(4)).detail == {"numerator": "4.01", "denominator": "4"}
    assert v.ratio_above_one(D(4), D(4)) is None
    assert v.ratio_above_one(D(3), D(4)) is None
    assert v.ratio_above_one(None, D(4)) is None
    assert v.ratio_above_one(D(5), None) is None


def test_total_vs_parts():
    assert v.total_vs_parts(D(30), [D(12), D(17)]).as_dict() == warn(
        "total_parts",
        "The total (30) is not the sum of its parts (29).",
        detail={"total": "30", "sum": "29"},
    )
    assert v.total_vs_parts(D(30), [D(12), None, D(18)]) is None  # a missing part is not 0
    assert v.total_vs_parts(D(30), [D(12), None]).detail == {"total": "30", "sum": "12"}
    assert v.total_vs_parts(D(0), [D(0), D(0)]) is None
    assert v.total_vs_parts(D(1), [D(0)]).detail == {"total": "1", "sum": "0"}
    assert v.total_vs_parts(D(30), [None, None]) is None
    assert v.total_vs_parts(D(30), []) is None
    assert v.total_vs_parts(None, [D(3)]) is None


# --- warnings: outliers (median ± 3 × MAD of the last eight) -------------------------------


def test_mad_bounds_hand_computed():
    # 1..8: median 4.5; |x − 4.5| = 3.5 2.5 1.5 .5 .5 1.5 2.5 3.5 → MAD 2; 4.5 ± 6
    history = [D(x) for x in range(1, 9)]
    assert v.mad_bounds(history) == v.MadBounds(D("4.5"), D(2), D("-1.5"), D("10.5"))
    # only the last eight count: an older, ninth value changes nothing
    assert v.mad_bounds([D(100), *history]) == v.mad_bounds(history)
    # seven values: 2..8, median 5, MAD 2 → 5 ± 6
    assert v.mad_bounds(history[1:]) == v.MadBounds(D(5), D(2), D(-1), D(11))
    # three values are enough, two are not; missing values do not count
    assert v.mad_bounds([D(1), D(2), D(4)]) == v.MadBounds(D(2), D(1), D(-1), D(5))
    assert v.mad_bounds([D(1), None, D(2), D(4)]) == v.MadBounds(D(2), D(1), D(-1), D(5))
    assert v.mad_bounds([D(1), D(2)]) is None
    assert v.mad_bounds([D(1), None, D(2)]) is None
    assert v.mad_bounds([]) is None
    # a flat series (MAD 0) says nothing
    assert v.mad_bounds([D(5), D(5), D(5), D(6)]) is None


def test_mad_constants():
    assert (v.MAD_K, v.MAD_PERIODS, v.MAD_MIN_HISTORY) == (3, 8, 3)


def test_outlier():
    history = [D("1.001"), D("2.004"), D("3.009")]
    # median 2.004; deviations 1.003 0 1.005 → MAD 1.003; bounds −1.005 .. 5.013
    assert v.outlier(D("5.013"), history) is None  # the edges are inside
    assert v.outlier(D("-1.005"), history) is None
    assert v.outlier(D("2"), history) is None
    msg = v.outlier(D("5.014"), history)
    assert msg.as_dict() == warn(
        "outlier",
        "5.014 is outside the usual range of this series (-1.01 to 5.01: the median of the "
        "last periods, 2, ± 3 × MAD 1).",
        detail={
            "value": "5.014",
            "median": "2.004",
            "mad": "1.003",
            "low": "-1.005",
            "high": "5.013",
        },
    )
    assert v.outlier(D("-1.006"), history).detail["value"] == "-1.006"
    assert v.outlier(None, history) is None
    assert v.outlier(D(50), [D(5)] * 8) is None  # flat
    assert v.outlier(D(50), [D(5), D(6)]) is None  # too short
    # the rounded figures of the message
    msg = v.outlier(D(20), [D("1.236"), D("2.5"), D("3.764")])
    # median 2.5, MAD 1.264 → 2.5 ± 3.792 = −1.292 .. 6.292
    assert msg.text == (
        "20 is outside the usual range of this series (-1.29 to 6.29: the median of the "
        "last periods, 2.5, ± 3 × MAD 1.26)."
    )


# --- warnings: jumps --------------------------------------------------------------------


def test_jump():
    assert v.jump(D(21), D(10)).as_dict() == warn(
        "jump",
        "21 is a change of +110 % from the previous period (10).",
        detail={"value": "21", "previous": "10", "change_pct": "110"},
    )
    # 10 from 3: +233.33… %; rounded to a whole percent in the text, 0.1 in the detail
    msg = v.jump(D(10), D(3))
    assert msg.text == "10 is a change of +233 % from the previous period (3)."
    assert msg.detail["change_pct"] == "233.3"
    # a fall of more than 100 % (to a negative figure) has no plus sign
    msg = v.jump(D(-25), D(10))
    assert msg.text == "-25 is a change of -350 % from the previous period (10)."
    assert msg.detail["change_pct"] == "-350"
    # from a negative figure the change is measured against its size
    msg = v.jump(D(5), D(-2))
    assert msg.text == "5 is a change of +350 % from the previous period (-2)."
    # the rounding of the text: 2.0065 from 1 is +100.65 %, shown as +101
    assert v.jump(D("2.0065"), D(1)).text == (
        "2.0065 is a change of +101 % from the previous period (1)."
    )
    assert v.jump(D("2.0065"), D(1)).detail["change_pct"] == "100.7"
    assert v.jump(D(20), D(10)) is None  # +100 % exactly is not over
    assert v.jump(D(0), D(10)) is None  # −100 %
    assert v.jump(D("20.001"), D(10)).code == "jump"
    assert v.jump(D("-0.001"), D(10)).code == "jump"
    assert v.jump(D(5), D(0)) is None
    assert v.jump(None, D(10)) is None
    assert v.jump(D(10), None) is None


# --- progress status ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actual", "status"),
    [
        ("121", "exceeded"),
        ("120.01", "exceeded"),
        ("120", "green"),
        ("90", "green"),
        ("89.99", "amber"),
        ("60", "amber"),
        ("59.99", "red"),
        ("0", "red"),
    ],
)
def test_progress_status_default_thresholds(actual, status):
    got = v.progress_status(D(actual), D(100), baseline=None, direction="up")
    assert got == (status, D(actual))


def test_progress_status_with_baseline_and_thresholds():
    # (70 − 50) / (100 − 50) = 40 %
    assert v.progress_status(D(70), D(100), baseline=D(50), direction="up") == ("red", D(40))
    # going down from 100 to 50: 75 is half way
    assert v.progress_status(D(75), D(50), baseline=D(100), direction="down") == ("red", D(50))
    assert v.progress_status(D(55), D(50), baseline=D(100), direction="down") == (
        "green",
        D(90),
    )
    kw = dict(baseline=None, direction="up", green=80, amber=50, exceeded=150)
    assert v.progress_status(D(80), D(100), **kw) == ("green", D(80))
    assert v.progress_status(D(79), D(100), **kw) == ("amber", D(79))
    assert v.progress_status(D(50), D(100), **kw) == ("amber", D(50))
    assert v.progress_status(D(49), D(100), **kw) == ("red", D(49))
    assert v.progress_status(D(150), D(100), **kw) == ("green", D(150))
    assert v.progress_status(D(151), D(100), **kw) == ("exceeded", D(151))
    # a target equal to its baseline: no progress can be measured
    assert v.progress_status(D(5), D(50), baseline=D(50), direction="up") == ("undefined", None)
    assert v.progress_status(D(5), D(0), baseline=None, direction="up") == ("undefined", None)


def test_progress_status_keep_and_down_without_baseline():
    # keep: within 5 % of the target by default (of its size)
    keep = dict(baseline=None, direction="keep")
    assert v.progress_status(D(105), D(100), **keep) == ("met", None)
    assert v.progress_status(D(95), D(100), **keep) == ("met", None)
    assert v.progress_status(D("105.01"), D(100), **keep) == ("not_met", None)
    assert v.progress_status(D("94.99"), D(100), **keep) == ("not_met", None)
    assert v.progress_status(D(-105), D(-100), **keep) == ("met", None)
    assert v.progress_status(D(10), D(8), **keep, tolerance=D(2)) == ("met", None)
    assert v.progress_status(D("10.01"), D(8), **keep, tolerance=D(2)) == ("not_met", None)
    assert v.progress_status(D(1), D(0), **keep, tolerance=D(0)) == ("not_met", None)
    # keep ignores a baseline
    assert v.progress_status(D(100), D(100), baseline=D(100), direction="keep") == ("met", None)
    # down without a baseline: met when at or below the target
    down = dict(baseline=None, direction="down")
    assert v.progress_status(D(4), D(4), **down) == ("met", None)
    assert v.progress_status(D(3), D(4), **down) == ("met", None)
    assert v.progress_status(D("4.01"), D(4), **down) == ("not_met", None)


# --- against target ---------------------------------------------------------------------


def test_against_target_red():
    up = dict(baseline=None, direction="up")
    assert v.against_target(D("50.5"), D(100), **up).as_dict() == warn(
        "red",
        "50.5 is only 51 % of the way to the target (100): red.",
        detail={"value": "50.5", "target": "100", "progress": "50.5"},
    )
    assert v.against_target(D("59.99"), D(100), **up).code == "red"
    assert v.against_target(D(60), D(100), **up) is None  # amber
    assert v.against_target(D(95), D(100), **up) is None  # green
    assert v.against_target(D(120), D(100), **up) is None
    assert v.against_target(D(0), D(100), **up).detail["progress"] == "0"


def test_against_target_exceeded():
    up = dict(baseline=None, direction="up")
    assert v.against_target(D("120.5"), D(100), **up).as_dict() == warn(
        "exceeded",
        "120.5 is 121 % of the way to the target (100): above 120 %. Is the target too low, "
        "or the value wrong?",
        detail={"value": "120.5", "target": "100", "progress": "120.5"},
    )
    custom = dict(baseline=None, direction="up", green=80, amber=50, exceeded=150)
    assert v.against_target(D(150), D(100), **custom) is None
    assert v.against_target(D(151), D(100), **custom).text == (
        "151 is 151 % of the way to the target (100): above 150 %. Is the target too low, "
        "or the value wrong?"
    )
    assert v.against_target(D(50), D(100), **custom) is None  # amber at 50
    assert v.against_target(D(49), D(100), **custom).code == "red"


def test_against_target_not_met_and_baseline():
    msg = v.against_target(D(5), D(4), baseline=None, direction="down")
    assert msg.as_dict() == warn(
        "red",
        "5 does not meet the target (4).",
        detail={"value": "5", "target": "4", "progress": None},
    )
    assert v.against_target(D(4), D(4), baseline=None, direction="down") is None
    keep = dict(baseline=None, direction="keep", tolerance=D(2))
    assert v.against_target(D(10), D(8), **keep) is None
    assert v.against_target(D(11), D(8), **keep).text == "11 does not meet the target (8)."
    # with a baseline the progress is measured from it: (70 − 50) / (100 − 50) = 40 %
    msg = v.against_target(D(70), D(100), baseline=D(50), direction="up")
    assert msg.text == "70 is only 40 % of the way to the target (100): red."
    assert v.against_target(D(80), D(100), baseline=D(50), direction="up") is None  # 60 %
    # target equal to baseline: nothing to say
    assert v.against_target(D(1), D(50), baseline=D(50), direction="up") is None
    assert v.against_target(None, D(4), baseline=None, direction="up") is None
    assert v.against_target(D(3), None, baseline=None, direction="up") is None


# --- cross-checks -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("left", "op", "right", "tol", "broken"),
    [
        (D(10), "eq", D(10), None, False),
        (D(10), "eq", D(11), None, True),
        (D(10), "le", D(10), None, False),
        (D(9), "le", D(10), None, False),
        (D(11), "le", D(10), None, True),
        (D(10), "ge", D(10), None, False),
        (D(11), "ge", D(10), None, False),
        (D(9), "ge", D(10), None, True),
        (D(100), "within", D(90), D(10), False),  # 10 apart, 10 % of 100
        (D(100), "within", D(89), D(10), True),  # 11 apart
        (D(90), "within", D(100), D(10), False),  # of the larger one, either side
        (D(89), "within", D(100), D(10), True),
        (D(-100), "within", D(-90), D(10), False),  # of the larger size
        (D(5), "within", D(5), None, False),  # no tolerance: equal only
        (D(5), "within", D("5.01"), None, True),
    ],
)
def test_crosscheck_operators(left, op, right, tol, broken):
    assert v.crosscheck_broken(left, op, right, tol) is broken


def test_crosscheck_unknown_operator():
    with pytest.raises(ValueError, match="^lt$"):
        v.crosscheck_broken(D(1), "lt", D(2))


@pytest.mark.parametrize(("op", "sign"), [("eq", "="), ("le", "≤"), ("ge", "≥")])
def test_crosscheck_message_signs(op, sign):
    assert v.crosscheck_message("Police vs courts", D(40), op, D("30.5"), None).as_dict() == warn(
        "crosscheck",
        f"Cross-check “Police vs courts” is broken: 40 should be {sign} 30.5.",
        detail={"left": "40", "right": "30.5", "op": op, "tolerance_pct": None},
    )


def test_crosscheck_message_within():
    assert v.crosscheck_message("A vs B", D(40), "within", D(30), D("10.5")).as_dict() == warn(
        "crosscheck",
        "Cross-check “A vs B” is broken: 40 and 30 should be within 10.5 % of each other.",
        detail={"left": "40", "right": "30", "op": "within", "tolerance_pct": "10.5"},
    )


NOT_A_NUMBER = "“%s” is not a number. Type digits, e.g. 125 or 12.5."
