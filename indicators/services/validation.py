"""Every check of METHOD.md §1 and §4, as pure functions over plain values (no session).

Hard errors block a submission: wrong type, out of range, a percentage outside 0–100, a
numerator above its denominator for a percentage, a zero denominator, a row not owed.
Warnings need an explanation before the submission can go: a total that is not the sum
of its parts, an outlier (median ± 3 × MAD of the series' previous eight periods), a
change of more than 100 % from the previous period, a value in red or above the
"exceeded" threshold against its target, a ratio's numerator above its denominator, and
a broken cross-check rule. Messages are translated in the current locale.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from statistics import median
from typing import Any

from flask_babel import gettext as _

from indicators.models.enums import Measure
from indicators.services.common import ValidationError, plain, quantize
from leap_me import numbers

YES = {"1", "yes", "y", "true", "មាន", "បាទ", "ចាស", "១"}
NO = {"0", "no", "n", "false", "គ្មាន", "ទេ", "០"}
MAX_TEXT = 4000
MAX_RAW = 100
#: A number this large is a typing error.
LIMIT = Decimal(10) ** 14
#: MAD multiplier and the length of the history the outlier rule looks at.
MAD_K = Decimal(3)
MAD_PERIODS = 8
#: The outlier rule needs at least this many previous values to say anything.
MAD_MIN_HISTORY = 3


@dataclass
class Message:
    code: str
    text: str
    field: str = "value"
    severity: str = "error"  # or "warning"
    detail: dict = dataclasses.field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "message": self.text,
            "field": self.field,
            "severity": self.severity,
            "detail": self.detail,
        }

    def __str__(self) -> str:
        return self.text


# --- numbers ----------------------------------------------------------------------


def parse_number(raw: Any, field_name: str, locale: str | None = None) -> Decimal | None:
    """One number as typed: Khmer digits, the locale's separators; None when empty.

    Uses the project's one number parser (``leap_me.numbers``) when present; raises
    :class:`ValidationError` with a translated message (``.code`` when the parser gives
    one, e.g. "ambiguous")."""
    if raw is None:
        return None
    if type(raw) is str and raw.isascii() and raw.isdigit() and len(raw) < 15:
        # the common case, plain ASCII digits ("120"): what the parser gives, without it
        return Decimal(raw)
    if isinstance(raw, Decimal | int) and not isinstance(raw, bool):
        value = Decimal(raw)
    else:
        text = str(raw).strip()
        if not text:
            return None
        try:
            value = numbers.parse_decimal(text, locale=locale, allow_negative=True)
        except numbers.NumberError as exc:
            err = ValidationError(exc.message, field_name)
            err.code = exc.code  # type: ignore[attr-defined]
            raise err from exc
        if value is None:
            return None
    if not value.is_finite():
        raise ValidationError(_("“%(text)s” is not a number.", text=raw), field_name)
    if abs(value) >= LIMIT:
        raise ValidationError(_("%(value)s is too large.", value=raw), field_name)
    return value


def _err(code: str, text: str, field_name: str = "value", **detail) -> Message:
    return Message(code, text, field_name, "error", {k: _s(v) for k, v in detail.items()})


def _warn(code: str, text: str, field_name: str = "value", **detail) -> Message:
    return Message(code, text, field_name, "warning", {k: _s(v) for k, v in detail.items()})


def _s(v: Any) -> Any:
    return plain(v) if isinstance(v, Decimal) else v


def check_cell(
    measure: str,
    *,
    value: Any = None,
    numerator: Any = None,
    denominator: Any = None,
    text: Any = None,
    locale: str | None = None,
) -> tuple[dict[str, Any] | None, list[Message]]:
    """(stored fields, hard errors) for one cell; fields is None when the cell is empty.

    The stored fields are value, numerator, denominator, text_value. When there are
    errors the fields are None (the raw input is kept by the caller)."""
    if measure == Measure.TEXT:
        raw = text if text not in (None, "") else value
        answer = str(raw).strip() if raw is not None else ""
        if not answer:
            return None, []
        if len(answer) > MAX_TEXT:
            return None, [_err("too_long", _("The answer is longer than 4000 characters."), "text")]
        return {"value": None, "numerator": None, "denominator": None, "text_value": answer}, []
    if measure == Measure.YESNO:
        raw = "" if value is None else str(value).strip().lower()
        if not raw:
            return None, []
        if raw in YES:
            number = Decimal(1)
        elif raw in NO:
            number = Decimal(0)
        else:
            return None, [_err("type", _("Answer yes (1) or no (0)."))]
        return {"value": number, "numerator": None, "denominator": None, "text_value": None}, []
    if measure in (Measure.PERCENTAGE, Measure.RATIO):
        return _check_fraction(measure, numerator, denominator, locale)
    try:
        number = parse_number(value, "value", locale)
    except ValidationError as exc:
        return None, [_err(getattr(exc, "code", "type"), exc.message, exc.field)]
    if number is None:
        return None, []
    if number < 0:
        return None, [_err("range", _("A value cannot be negative."))]
    return {"value": number, "numerator": None, "denominator": None, "text_value": None}, []


def cell_checker(measure: str):
    """:func:`check_cell` for one measure, made once per indicator rather than per cell:
    ``checker(value, numerator, denominator, text, locale)``. A number typed as plain
    digits, the common case, is read on the spot (the same fields check_cell gives)."""
    if measure in (Measure.TEXT, Measure.YESNO, Measure.PERCENTAGE, Measure.RATIO):

        def checker(value=None, numerator=None, denominator=None, text=None, locale=None):
            return check_cell(
                measure,
                value=value,
                numerator=numerator,
                denominator=denominator,
                text=text,
                locale=locale,
            )

        return checker

    def number_checker(value=None, numerator=None, denominator=None, text=None, locale=None):
        if type(value) is str and value.isascii() and value.isdigit() and len(value) < 15:
            return {
                "value": Decimal(value),
                "numerator": None,
                "denominator": None,
                "text_value": None,
            }, []
        return check_cell(
            measure,
            value=value,
            numerator=numerator,
            denominator=denominator,
            text=text,
            locale=locale,
        )

    return number_checker


def _check_fraction(measure, raw_num, raw_den, locale):
    errors: list[Message] = []
    parsed = {}
    for name, raw in (("numerator", raw_num), ("denominator", raw_den)):
        try:
            parsed[name] = parse_number(raw, name, locale)
        except ValidationError as exc:
            errors.append(_err(getattr(exc, "code", "type"), exc.message, exc.field))
    if errors:
        return None, errors
    num, den = parsed["numerator"], parsed["denominator"]
    if num is None and den is None:
        return None, []
    if num is None or den is None:
        missing = "numerator" if num is None else "denominator"
        return None, [_err("missing", _("Give both the numerator and the denominator."), missing)]
    if den == 0:
        return None, [
            _err(
                "zero_denominator",
                _("The denominator is 0: nothing can be divided by 0."),
                "denominator",
            )
        ]
    if num < 0 or den < 0:
        return None, [
            _err("range", _("The numerator and denominator cannot be negative."), "numerator")
        ]
    if measure == Measure.PERCENTAGE and num > den:
        return None, [
            _err(
                "percentage_range",
                _(
                    "The numerator (%(num)s) is larger than the denominator (%(den)s): a "
                    "percentage cannot be over 100.",
                    num=plain(num),
                    den=plain(den),
                ),
                "numerator",
                numerator=num,
                denominator=den,
            )
        ]
    value = num / den * (100 if measure == Measure.PERCENTAGE else 1)
    if abs(value) >= LIMIT:
        return None, [
            _err(
                "range",
                _("The numerator divided by the denominator is too large; check the denominator."),
                "denominator",
            )
        ]
    return {"value": quantize(value), "numerator": num, "denominator": den, "text_value": None}, []


def not_owed() -> Message:
    return _err(
        "not_owed",
        _("This row is not one your organisation reports for this period."),
        "row",
    )


# --- warnings ---------------------------------------------------------------------


def ratio_above_one(numerator: Decimal | None, denominator: Decimal | None) -> Message | None:
    """A ratio's numerator above its denominator: possible, but worth a word."""
    if numerator is None or denominator is None or numerator <= denominator:
        return None
    return _warn(
        "numerator_gt_denominator",
        _(
            "The numerator (%(num)s) is larger than the denominator (%(den)s). Explain why, "
            "or correct it.",
            num=plain(numerator),
            den=plain(denominator),
        ),
        "numerator",
        numerator=numerator,
        denominator=denominator,
    )


def total_vs_parts(total: Decimal | None, parts: Sequence[Decimal | None]) -> Message | None:
    """A total given beside its parts must equal their sum (METHOD §1). Checked once at
    least one part is given."""
    given = [p for p in parts if p is not None]
    if total is None or not given:
        return None
    parts_sum = sum(given, Decimal(0))
    if parts_sum == total:
        return None
    return _warn(
        "total_parts",
        _(
            "The total (%(total)s) is not the sum of its parts (%(sum)s).",
            total=plain(total),
            sum=plain(parts_sum),
        ),
        total=total,
        sum=parts_sum,
    )


@dataclass(frozen=True)
class MadBounds:
    median: Decimal
    mad: Decimal
    low: Decimal
    high: Decimal


def mad_bounds(history: Sequence[Decimal]) -> MadBounds | None:
    """median ± 3 × MAD of the last eight values of the series (oldest first).

    MAD is the median of the absolute deviations from the median. None when there are
    fewer than three values, or when MAD is 0 (a flat series: the jump rule covers it).
    """
    values = [Decimal(v) for v in list(history)[-MAD_PERIODS:] if v is not None]
    if len(values) < MAD_MIN_HISTORY:
        return None
    med = Decimal(median(values))
    mad = Decimal(median([abs(v - med) for v in values]))
    if mad == 0:
        return None
    return MadBounds(med, mad, med - MAD_K * mad, med + MAD_K * mad)


def outlier(value: Decimal | None, history: Sequence[Decimal]) -> Message | None:
    if value is None:
        return None
    bounds = mad_bounds(history)
    if bounds is None or bounds.low <= value <= bounds.high:
        return None
    return _warn(
        "outlier",
        _(
            "%(value)s is outside the usual range of this series (%(low)s to %(high)s: the "
            "median of the last periods, %(median)s, ± 3 × MAD %(mad)s).",
            value=plain(value),
            low=plain(quantize(bounds.low, 2)),
            high=plain(quantize(bounds.high, 2)),
            median=plain(quantize(bounds.median, 2)),
            mad=plain(quantize(bounds.mad, 2)),
        ),
        value=value,
        median=bounds.median,
        mad=bounds.mad,
        low=bounds.low,
        high=bounds.high,
    )


def jump(value: Decimal | None, previous: Decimal | None) -> Message | None:
    """A change of more than 100 % from the previous period (not computed from 0)."""
    if value is None or previous is None or previous == 0:
        return None
    change = (value - previous) / abs(previous)
    if abs(change) <= 1:
        return None
    return _warn(
        "jump",
        _(
            "%(value)s is a change of %(pct)s %% from the previous period (%(previous)s).",
            value=plain(value),
            pct=("+" if change > 0 else "") + plain(quantize(change * 100, 0)),
            previous=plain(previous),
        ),
        value=value,
        previous=previous,
        change_pct=quantize(change * 100, 1),
    )


def progress_status(
    actual: Decimal,
    target: Decimal,
    *,
    baseline: Decimal | None,
    direction: str,
    tolerance: Decimal | None = None,
    green: int = 90,
    amber: int = 60,
    exceeded: int = 120,
) -> tuple[str, Decimal | None]:
    """(status, progress %) per METHOD §3: green/amber/red/exceeded, or met/not_met for
    "keep" indicators and for "down" ones without a baseline; "undefined" when t = b."""
    if direction == "keep":
        tol = tolerance if tolerance is not None else abs(target) * Decimal("0.05")
        return ("met" if abs(actual - target) <= tol else "not_met"), None
    if baseline is None:
        if direction == "down":
            return ("met" if actual <= target else "not_met"), None
        baseline = Decimal(0)
    if target == baseline:
        return "undefined", None
    progress = (actual - baseline) / (target - baseline) * 100
    if progress > exceeded:
        return "exceeded", progress
    if progress >= green:
        return "green", progress
    if progress >= amber:
        return "amber", progress
    return "red", progress


def against_target(
    actual: Decimal | None,
    target: Decimal | None,
    *,
    baseline: Decimal | None,
    direction: str,
    tolerance: Decimal | None = None,
    green: int = 90,
    amber: int = 60,
    exceeded: int = 120,
) -> Message | None:
    """A warning when the value puts the indicator in red (or not met) or exceeded."""
    if actual is None or target is None:
        return None
    status, progress = progress_status(
        actual,
        target,
        baseline=baseline,
        direction=direction,
        tolerance=tolerance,
        green=green,
        amber=amber,
        exceeded=exceeded,
    )
    if status == "exceeded":
        return _warn(
            "exceeded",
            _(
                "%(value)s is %(pct)s %% of the way to the target (%(target)s): above "
                "%(limit)s %%. Is the target too low, or the value wrong?",
                value=plain(actual),
                pct=plain(quantize(progress, 0)),
                target=plain(target),
                limit=exceeded,
            ),
            value=actual,
            target=target,
            progress=progress,
        )
    if status in ("red", "not_met"):
        if status == "red":
            text = _(
                "%(value)s is only %(pct)s %% of the way to the target (%(target)s): red.",
                value=plain(actual),
                pct=plain(quantize(progress, 0)),
                target=plain(target),
            )
        else:
            text = _(
                "%(value)s does not meet the target (%(target)s).",
                value=plain(actual),
                target=plain(target),
            )
        return _warn("red", text, value=actual, target=target, progress=progress)
    return None


def crosscheck_broken(
    left: Decimal, op: str, right: Decimal, tolerance_pct: Decimal | None = None
) -> bool:
    """True when ``left op right`` does not hold. "within x %": the two sides differ by
    at most x % of the larger one."""
    if op == "eq":
        return left != right
    if op == "le":
        return not left <= right
    if op == "ge":
        return not left >= right
    if op == "within":
        tol = Decimal(tolerance_pct or 0)
        scale = max(abs(left), abs(right))
        return abs(left - right) > scale * tol / 100
    raise ValueError(op)


def crosscheck_message(
    name: str, left: Decimal, op: str, right: Decimal, tolerance_pct: Decimal | None
) -> Message:
    sign = {"eq": "=", "le": "≤", "ge": "≥"}.get(op)
    if sign:
        text = _(
            "Cross-check “%(name)s” is broken: %(left)s should be %(sign)s %(right)s.",
            name=name,
            left=plain(left),
            sign=sign,
            right=plain(right),
        )
    else:
        text = _(
            "Cross-check “%(name)s” is broken: %(left)s and %(right)s should be within "
            "%(pct)s %% of each other.",
            name=name,
            left=plain(left),
            right=plain(right),
            pct=plain(tolerance_pct),
        )
    return _warn("crosscheck", text, left=left, right=right, op=op, tolerance_pct=tolerance_pct)


def explanation_needed() -> Message:
    return _err(
        "explanation_missing",
        _("This value has a warning: explain it before you submit."),
        "explanation",
    )
