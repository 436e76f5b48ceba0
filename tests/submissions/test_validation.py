"""Every validation rule of METHOD §1/§4, each with a value that triggers it and one that
does not (pure functions; messages in the current language)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from flask_babel import force_locale

from indicators.services import validation as v


@pytest.fixture(autouse=True)
def _ctx(app):
    with app.test_request_context():
        yield


# --- hard errors ----------------------------------------------------------------------


def test_number_type_and_range():
    fields, errors = v.check_cell("number", value="12")
    assert fields["value"] == 12 and errors == []
    _f, errors = v.check_cell("number", value="twelve")
    assert [e.code for e in errors] == ["not_a_number"] and errors[0].field == "value"
    _f, errors = v.check_cell("number", value="-1")
    assert [e.code for e in errors] == ["range"]
    _f, errors = v.check_cell("number", value="1" + "0" * 15)
    assert errors and errors[0].severity == "error"
    assert v.check_cell("number", value="  ") == (None, [])


def test_khmer_digits_are_numbers():
    fields, errors = v.check_cell("number", value="១២៥")
    assert errors == [] and fields["value"] == 125


def test_yes_no():
    assert v.check_cell("yesno", value="yes")[0]["value"] == 1
    assert v.check_cell("yesno", value="គ្មាន")[0]["value"] == 0
    assert [e.code for e in v.check_cell("yesno", value="maybe")[1]] == ["type"]


def test_text_length():
    assert v.check_cell("text", text="All good")[0]["text_value"] == "All good"
    assert [e.code for e in v.check_cell("text", text="x" * 4001)[1]] == ["too_long"]


def test_percentage_numerator_above_denominator_is_an_error():
    fields, errors = v.check_cell("percentage", numerator="3", denominator="8")
    assert errors == [] and fields["value"] == D("37.5")
    _f, errors = v.check_cell("percentage", numerator="9", denominator="8")
    assert [e.code for e in errors] == ["percentage_range"] and errors[0].field == "numerator"
    # the limit itself is 100 %, allowed
    assert v.check_cell("percentage", numerator="8", denominator="8")[0]["value"] == 100


def test_zero_denominator_and_missing_half():
    _f, errors = v.check_cell("ratio", numerator="3", denominator="0")
    assert [e.code for e in errors] == ["zero_denominator"] and errors[0].field == "denominator"
    _f, errors = v.check_cell("ratio", numerator="3", denominator="")
    assert [e.code for e in errors] == ["missing"]
    assert v.check_cell("ratio", numerator="3", denominator="4")[1] == []


def test_messages_in_khmer(app):
    with force_locale("km"):
        _f, errors = v.check_cell("ratio", numerator="3", denominator="0")
    assert errors[0].text != "The denominator is 0: nothing can be divided by 0."
    assert any("\u1780" <= ch <= "\u17ff" for ch in errors[0].text)


# --- warnings -------------------------------------------------------------------------


def test_ratio_numerator_above_denominator_is_a_warning():
    assert v.ratio_above_one(D(5), D(4)).code == "numerator_gt_denominator"
    assert v.ratio_above_one(D(4), D(4)) is None


def test_total_vs_parts():
    msg = v.total_vs_parts(D(30), [D(12), D(17)])
    assert msg.code == "total_parts" and msg.severity == "warning"
    assert msg.detail == {"total": "30", "sum": "29"}
    assert v.total_vs_parts(D(30), [D(12), D(18)]) is None
    assert v.total_vs_parts(D(30), []) is None  # no parts given: nothing to compare
    assert v.total_vs_parts(None, [D(3)]) is None


def test_mad_outlier_hand_computed():
    # previous eight periods: sorted 10 11 11 12 12 12 13 14 → median 12;
    # |x − 12| = 2 0 1 1 0 2 1 0 → sorted 0 0 0 1 1 1 2 2 → MAD 1; bounds 12 ± 3 = 9..15
    history = [D(x) for x in (10, 12, 11, 13, 12, 14, 11, 12)]
    bounds = v.mad_bounds(history)
    assert (bounds.median, bounds.mad, bounds.low, bounds.high) == (12, 1, 9, 15)
    assert v.outlier(D(15), history) is None
    assert v.outlier(D(9), history) is None
    msg = v.outlier(D(16), history)
    assert msg.code == "outlier" and msg.detail["low"] == "9" and msg.detail["high"] == "15"
    assert v.outlier(D("8.9"), history).code == "outlier"
    # only the last eight periods count: a ninth, older value changes nothing
    assert v.mad_bounds([D(100), *history]) == bounds
    # too short a history, or a flat one, says nothing
    assert v.mad_bounds([D(1), D(2)]) is None
    assert v.outlier(D(50), [D(5)] * 8) is None


def test_jump_over_100_percent():
    assert v.jump(D(21), D(10)).code == "jump"  # +110 %
    assert v.jump(D(20), D(10)) is None  # +100 % exactly is not over
    assert v.jump(D(0), D(10)) is None  # −100 %
    assert v.jump(D(5), D(0)) is None  # from 0 no percentage


def test_red_and_exceeded_against_target():
    kw = dict(baseline=None, direction="up")
    assert v.against_target(D(50), D(100), **kw).code == "red"  # 50 %
    assert v.against_target(D(60), D(100), **kw) is None  # amber
    assert v.against_target(D(95), D(100), **kw) is None  # green
    assert v.against_target(D(121), D(100), **kw).code == "exceeded"
    assert v.against_target(D(120), D(100), **kw) is None
    # with a baseline: progress = (a − b) / (t − b)
    assert v.against_target(D(70), D(100), baseline=D(50), direction="up").code == "red"  # 40 %
    # a "keep" indicator: met within the tolerance
    assert v.against_target(D(9), D(8), baseline=None, direction="keep", tolerance=D(2)) is None
    assert (
        v.against_target(D(11), D(8), baseline=None, direction="keep", tolerance=D(2)).code
        == "red"
    )
    # a "down" indicator without baseline: met / not met only
    assert v.against_target(D(5), D(4), baseline=None, direction="down").code == "red"
    assert v.against_target(D(3), D(4), baseline=None, direction="down") is None
    assert v.against_target(D(3), None, **kw) is None


@pytest.mark.parametrize(
    ("left", "op", "right", "tol", "broken"),
    [
        (D(10), "eq", D(10), None, False),
        (D(10), "eq", D(11), None, True),
        (D(10), "le", D(10), None, False),
        (D(11), "le", D(10), None, True),
        (D(10), "ge", D(10), None, False),
        (D(9), "ge", D(10), None, True),
        (D(100), "within", D(90), D(10), False),  # 10 apart, 10 % of 100
        (D(100), "within", D(89), D(10), True),  # 11 apart
        (D(90), "within", D(100), D(10), False),  # symmetric
    ],
)
def test_crosscheck_operators(left, op, right, tol, broken):
    assert v.crosscheck_broken(left, op, right, tol) is broken


def test_crosscheck_message_names_both_sides():
    msg = v.crosscheck_message("Police vs courts", D(40), "within", D(30), D(10))
    assert msg.code == "crosscheck" and "40" in msg.text and "30" in msg.text


def test_numbers_go_through_the_one_parser():
    # thousands separators written the way the language writes them
    assert v.check_cell("number", value="12,500,000", locale="en")[0]["value"] == 12500000
    # a decimal comma is never read as a thousands separator: the cell says so
    _f, errors = v.check_cell("number", value="1,5", locale="en")
    assert [e.code for e in errors] == ["ambiguous"] and "1,5" in errors[0].text
    # Khmer digits with a separator
    assert v.check_cell("number", value="១២,៥០០,០០០", locale="km")[0]["value"] == 12500000
    _f, errors = v.check_cell("ratio", numerator="1,5", denominator="3", locale="en")
    assert errors[0].code == "ambiguous" and errors[0].field == "numerator"
