"""The submission workbook: one per organisation and period, in English or Khmer.

Three sheets:

* **Instructions** — how to fill it, what each column means, the deadline, who to ask;
* **Data** — exactly the rows the organisation owes (``owed_rows``, the function the grid
  uses), with codes and names, unit, the previous period's value and the target for
  reference, and the draft's current values, comments and explanations. Only the value,
  numerator, denominator, explanation and comment cells are unlocked (sheet protection);
  yes/no rows have a drop-down, number cells a number-only validation;
* **_leap_id** — hidden and protected: the format version, the organisation, the period,
  the row keys and an HMAC (the app's ``SECRET_KEY``) over all of them, so that a workbook
  can never be applied to another organisation or period, and a changed identification
  sheet is noticed (:func:`verify`).

Written with XlsxWriter in ``constant_memory`` mode (rows streamed in order), so a
template of 100,000 rows costs little memory.
"""

from __future__ import annotations

import hashlib
import hmac
import io
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

#: Bump when the columns or the identification sheet change; older versions are refused.
FORMAT_VERSION = 2
SUPPORTED_VERSIONS = {FORMAT_VERSION}
ID_SHEET = "_leap_id"
MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KHMER_FONT = "Khmer OS"
LATIN_FONT = "Calibri"

# The data sheet's columns (0-based), fixed by the format version.
COL_KEY, COL_CODE, COL_NAME, COL_PROVINCE, COL_DISAGG, COL_UNIT, COL_TYPE = range(7)
COL_PREVIOUS, COL_TARGET, COL_VALUE, COL_NUM, COL_DEN, COL_EXPLAIN, COL_COMMENT = range(7, 14)
COLUMNS = 14
HEADER_ROWS = 1  # data starts on Excel row 2
FIELD_COLUMN = {
    "value": COL_VALUE,
    "text": COL_VALUE,
    "numerator": COL_NUM,
    "denominator": COL_DEN,
    "explanation": COL_EXPLAIN,
    "comment": COL_COMMENT,
    "row": COL_KEY,
}


def _headers() -> list[tuple[str, str]]:
    """(header, what the column means), in the current language."""
    return [
        (_("Row key"), _("Identifies the row for LEAP M&E. Do not change it.")),
        (_("Indicator code"), _("The indicator's code in the LEAP registry.")),
        (_("Indicator"), _("The indicator's name.")),
        (_("Province"), _("The province the value is for; empty for a national value.")),
        (
            _("Disaggregation"),
            _("The group the value counts (for example Female · Under 12); “Total” for all."),
        ),
        (_("Unit"), _("What the value counts.")),
        (_("Type"), _("Number, percentage, ratio, yes/no or text: says which cells to fill.")),
        (_("Previous period"), _("Your value for the previous period, for reference.")),
        (_("Target"), _("The target for this period, for reference.")),
        (
            _("Value"),
            _("Type the number here (or choose yes/no, or write the answer for a text row)."),
        ),
        (_("Numerator"), _("For a percentage or a ratio: the number counted.")),
        (_("Denominator"), _("For a percentage or a ratio: the number it is divided by.")),
        (
            _("Explanation"),
            _(
                "Explain a value that raises a warning (a big change from the previous period, "
                "far from the target, a total that is not the sum of its parts)."
            ),
        ),
        (_("Comment"), _("Anything the reviewer should know about this value.")),
    ]


def sheet_names(lang: str) -> tuple[str, str]:
    """(instructions, data) sheet names in ``lang``."""
    with force_locale(lang):
        return _("Instructions"), _("Data")


def yes_no(lang: str) -> tuple[str, str]:
    with force_locale(lang):
        return _("Yes"), _("No")


def row_key(indicator_code: str, province_code: str | None, disagg_key: str) -> str:
    return f"{indicator_code}|{province_code or ''}|{disagg_key or ''}"


def checksum(
    version: int, org: str, period: str, keys: list[str], secret: str | None = None
) -> str:
    """HMAC-SHA256 over the format version, the organisation, the period and every row key."""
    secret = secret if secret is not None else current_app.config["SECRET_KEY"]
    body = hashlib.sha256("\n".join(keys).encode()).hexdigest()
    msg = f"leap-me-template\n{version}\n{org}\n{period}\n{body}".encode()
    return hmac.new(str(secret).encode(), msg, hashlib.sha256).hexdigest()


def verify(version: int, org: str, period: str, keys: list[str], given: str) -> bool:
    return hmac.compare_digest(checksum(version, org, period, keys), given or "")


# --- what goes in ---------------------------------------------------------------------


@dataclass
class TemplateRow:
    key: str
    code: str
    name: str
    province: str
    disagg: str
    unit: str
    measure: str
    measure_title: str
    previous: Any
    target: Any
    value: Any
    numerator: Any
    denominator: Any
    explanation: str
    comment: str


def _num(x: Any) -> Any:
    """A stored Decimal as a number Excel keeps (int when whole)."""
    if x is None:
        return None
    if isinstance(x, Decimal):
        return int(x) if x == x.to_integral_value() and abs(x) < 10**15 else float(x)
    return x


def _loc(en: str | None, km: str | None, lang: str) -> str:
    return ((km or en) if lang == "km" else (en or km)) or ""


def rows_for(session, organisation, period, lang: str) -> list[TemplateRow]:
    """The template's rows: owed rows, the draft's values, previous values and targets
    (a constant number of queries)."""
    from indicators.models import DataValue, Measure
    from indicators.services import quality
    from indicators.services.owed import owed_rows

    owed = owed_rows(session, organisation, period)
    ids = sorted({r.indicator.id for r in owed})
    values = {
        (v.indicator_id, v.province_id, v.disagg_key): v
        for v in session.scalars(
            sa.select(DataValue).where(
                DataValue.organisation_id == organisation.id, DataValue.period_id == period.id
            )
        )
    }
    probe = SimpleNamespace(organisation_id=organisation.id, period=period)
    previous = quality.previous_values(session, probe, ids) if ids else {}
    targets = quality.period_targets(session, period, ids) if ids else {}
    yes, no = yes_no(lang)
    with force_locale(lang):
        titles = {m.value: m.title for m in Measure}
        total = _("Total")
    out: list[TemplateRow] = []
    for r in owed:
        v = r.version
        stored = values.get(r.key)
        prev = previous.get(r.key)
        measure = v.measure

        def shown(dv, measure=measure):
            if dv is None:
                return None, None, None
            if measure == Measure.TEXT:
                return dv.text_value or dv.raw_value, None, None
            if measure in (Measure.PERCENTAGE, Measure.RATIO):
                return (
                    None,
                    _num(dv.numerator) if dv.numerator is not None else dv.raw_numerator,
                    _num(dv.denominator) if dv.denominator is not None else dv.raw_denominator,
                )
            if measure == Measure.YESNO and dv.value is not None:
                return (yes if dv.value == 1 else no), None, None
            return (_num(dv.value) if dv.value is not None else dv.raw_value), None, None

        value, num, den = shown(stored)
        if prev is None:
            prev_shown = None
        elif measure == Measure.TEXT:
            prev_shown = prev.text_value
        elif measure == Measure.YESNO and prev.value is not None:
            prev_shown = yes if prev.value == 1 else no
        else:
            prev_shown = _num(prev.value)
        target = targets.get((r.indicator.id, r.province_id)) if r.is_total else None
        province = (
            f"{r.province.code} {_loc(r.province.name_en, r.province.name_km, lang)}"
            if r.province
            else ""
        )
        out.append(
            TemplateRow(
                key=row_key(
                    r.indicator.code, r.province.code if r.province else None, r.disagg_key
                ),
                code=r.indicator.code,
                name=_loc(v.name_en, v.name_km, lang),
                province=province,
                disagg=total if r.is_total else _loc(r.label.get("en"), r.label.get("km"), lang),
                unit=_loc(v.unit_en, v.unit_km, lang),
                measure=measure,
                measure_title=titles.get(measure, measure),
                previous=prev_shown,
                target=_num(target),
                value=value,
                numerator=num,
                denominator=den,
                explanation=(stored.explanation or "") if stored else "",
                comment=(stored.comment or "") if stored else "",
            )
        )
    return out


def _contacts(session) -> list[str]:
    from leap_me.auth.models import User

    users = session.scalars(
        sa.select(User)
        .where(User.role == "reviewer", User.is_enabled.is_(True))
        .order_by(User.username)
        .limit(5)
    )
    out = []
    for u in users:
        name = u.full_name or u.username
        out.append(f"{name} <{u.email}>" if u.email else name)
    return out


def _text(value: Any) -> Any:
    """User text written so that a spreadsheet never runs it as a formula."""
    try:
        from leap_me.exchange.xlsx_safe import safe_text  # the donor branch's helper
    except ImportError:  # until it is merged: the same rule, privately
        safe_text = _safe_text
    return safe_text(value)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def _safe_text(value: Any) -> Any:
    if not isinstance(value, str) or not value:
        return value
    if value.lstrip(" ").startswith(_FORMULA_START) or value.startswith(_FORMULA_START):
        return "'" + value
    return value


# --- the workbook -----------------------------------------------------------------------


def build(
    session, organisation, period, lang: str = "en", *, rows: list[TemplateRow] | None = None
) -> bytes:
    """The template as .xlsx bytes."""
    import xlsxwriter

    from leap_me.i18n import format_date

    lang = "km" if lang == "km" else "en"
    if rows is None:
        rows = rows_for(session, organisation, period, lang)
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"constant_memory": True, "in_memory": True})
    font = KHMER_FONT if lang == "km" else LATIN_FONT
    base = {"font_name": font, "font_size": 11, "valign": "top"}
    f_title = wb.add_format({**base, "bold": True, "font_size": 14})
    f_bold = wb.add_format({**base, "bold": True})
    f_wrap = wb.add_format({**base, "text_wrap": True})
    f_head = wb.add_format(
        {
            **base,
            "bold": True,
            "bg_color": "#DCE6F1",
            "border": 1,
            "text_wrap": True,
            "locked": True,
        }
    )
    f_locked = wb.add_format(
        {**base, "locked": True, "font_color": "#333333", "bg_color": "#F2F2F2"}
    )
    f_ref = wb.add_format(
        {**base, "locked": True, "bg_color": "#F2F2F2", "num_format": "#,##0.######"}
    )
    f_input = wb.add_format(
        {
            **base,
            "locked": False,
            "bg_color": "#FFFFFF",
            "border": 1,
            "border_color": "#9BBB59",
            "num_format": "#,##0.######",
        }
    )
    f_input_text = wb.add_format(
        {
            **base,
            "locked": False,
            "bg_color": "#FFFFFF",
            "border": 1,
            "border_color": "#9BBB59",
            "text_wrap": True,
        }
    )
    f_na = wb.add_format({**base, "locked": True, "bg_color": "#D9D9D9"})
    instructions_name, data_name = sheet_names(lang)
    yes, no = yes_no(lang)
    with force_locale(lang):
        headers = _headers()
        org_name = _loc(organisation.name_en, organisation.name_km, lang)
        deadline = format_date(period.deadline)
        contacts = _contacts(session)
        # 1. instructions
        ws = wb.add_worksheet(instructions_name)
        ws.set_column(0, 0, 28)
        ws.set_column(1, 1, 90)
        ws.write(
            0,
            0,
            _text(
                _("LEAP M&E: values of %(org)s for %(period)s", org=org_name, period=period.code)
            ),
            f_title,
        )
        lines = [
            (_("Organisation"), f"{organisation.code} · {org_name}"),
            (_("Period"), period.code),
            (_("Deadline"), deadline),
            (_("Rows"), str(len(rows))),
            (
                _("Who to ask"),
                (
                    ", ".join(contacts)
                    if contacts
                    else _("The LEAP M&E reviewer at the Ministry of Interior.")
                ),
            ),
        ]
        r = 2
        for label, text in lines:
            ws.write(r, 0, label, f_bold)
            ws.write(r, 1, _text(text), f_wrap)
            r += 1
        r += 1
        ws.write(r, 0, _("How to fill it"), f_bold)
        r += 1
        steps = [
            _(
                "Fill the white cells of the sheet “%(sheet)s”: one row per value you owe.",
                sheet=data_name,
            ),
            _(
                "Grey cells are locked: they say which value the row is for. Do not add, move or "
                "delete rows."
            ),
            _(
                "Type numbers as you usually write them, in Khmer or Western digits; a thousands "
                "separator is fine (1,234,567.5)."
            ),
            _("For a percentage or a ratio fill the numerator and the denominator, not the value."),
            _("For a yes/no row choose %(yes)s or %(no)s in the drop-down.", yes=yes, no=no),
            _(
                "A value that raises a warning needs a short explanation in the Explanation "
                "column before you can submit."
            ),
            _(
                "Leave a cell empty when you have no value yet. Values already in your draft are "
                "filled in: change them or leave them."
            ),
            _(
                "Save the file as .xlsx (not .xls, not macro-enabled) and upload it on the "
                "submission's page, “Offline workbook”. You first see every problem and every "
                "change; nothing is saved until you confirm."
            ),
            _(
                "This workbook is only for %(org)s and %(period)s; it cannot be used for another "
                "organisation or period.",
                org=organisation.code,
                period=period.code,
            ),
        ]
        for i, step in enumerate(steps, 1):
            ws.write(r, 0, str(i), f_bold)
            ws.write(r, 1, step, f_wrap)
            r += 1
        r += 1
        ws.write(r, 0, _("The columns"), f_bold)
        r += 1
        for head, meaning in headers:
            ws.write(r, 0, head, f_bold)
            ws.write(r, 1, meaning, f_wrap)
            r += 1
        ws.protect("", {"select_locked_cells": True, "select_unlocked_cells": True})
        ws.activate()

        # 2. data
        ds = wb.add_worksheet(data_name)
        widths = [14, 14, 50, 22, 26, 14, 12, 14, 14, 16, 14, 14, 40, 30]
        for c, w in enumerate(widths):
            ds.set_column(c, c, w)
        ds.set_column(COL_KEY, COL_KEY, widths[0], None, {"hidden": True})
        ds.freeze_panes(HEADER_ROWS, COL_NAME + 1)
        ds.set_row(0, 32)
        for c, (head, _meaning) in enumerate(headers):
            ds.write_string(0, c, head, f_head)
        from indicators.models import Measure

        runs: dict[str, list[list[int]]] = {}
        for i, row in enumerate(rows):
            x = i + HEADER_ROWS
            ds.write_string(x, COL_KEY, row.key, f_locked)
            ds.write_string(x, COL_CODE, row.code, f_locked)
            ds.write_string(x, COL_NAME, _text(row.name), f_locked)
            ds.write_string(x, COL_PROVINCE, _text(row.province), f_locked)
            ds.write_string(x, COL_DISAGG, _text(row.disagg), f_locked)
            ds.write_string(x, COL_UNIT, _text(row.unit), f_locked)
            ds.write_string(x, COL_TYPE, row.measure_title, f_locked)
            _write(ds, x, COL_PREVIOUS, row.previous, f_ref)
            _write(ds, x, COL_TARGET, row.target, f_ref)
            fraction = row.measure in (Measure.PERCENTAGE, Measure.RATIO)
            if fraction:
                ds.write_blank(x, COL_VALUE, None, f_na)
                _write(ds, x, COL_NUM, row.numerator, f_input)
                _write(ds, x, COL_DEN, row.denominator, f_input)
            else:
                fmt = f_input_text if row.measure in (Measure.TEXT, Measure.YESNO) else f_input
                _write(
                    ds,
                    x,
                    COL_VALUE,
                    _text(row.value) if row.measure == Measure.TEXT else row.value,
                    fmt,
                )
                ds.write_blank(x, COL_NUM, None, f_na)
                ds.write_blank(x, COL_DEN, None, f_na)
            ds.write_string(x, COL_EXPLAIN, _text(row.explanation), f_input_text)
            ds.write_string(x, COL_COMMENT, _text(row.comment), f_input_text)
            kind = "fraction" if fraction else row.measure
            spans = runs.setdefault(kind, [])
            if spans and spans[-1][1] == x - 1:
                spans[-1][1] = x
            else:
                spans.append([x, x])
        number_rule = {
            "validate": "decimal",
            "criteria": "between",
            "minimum": 0,
            "maximum": 99999999999999,
            "error_type": "warning",
            "error_title": _("A number"),
            "error_message": _("Type a number (0 or more) in this cell."),
            "input_title": _("A number"),
            "input_message": _("Type a number (0 or more)."),
        }
        for kind, spans in runs.items():
            for first, last in spans:
                if kind == Measure.NUMBER:
                    ds.data_validation(first, COL_VALUE, last, COL_VALUE, number_rule)
                elif kind == "fraction":
                    ds.data_validation(first, COL_NUM, last, COL_DEN, number_rule)
                elif kind == Measure.YESNO:
                    ds.data_validation(
                        first,
                        COL_VALUE,
                        last,
                        COL_VALUE,
                        {
                            "validate": "list",
                            "source": [yes, no],
                            "error_type": "stop",
                            "error_title": _("Yes or no"),
                            "error_message": _("Choose %(yes)s or %(no)s.", yes=yes, no=no),
                        },
                    )
        if rows:
            ds.autofilter(0, 0, len(rows), COLUMNS - 1)
        ds.protect(
            "",
            {
                "select_locked_cells": True,
                "select_unlocked_cells": True,
                "autofilter": True,
                "sort": False,
                "format_columns": True,
            },
        )

        # 3. identification (hidden, protected)
        keys = [row.key for row in rows]
        ids = wb.add_worksheet(ID_SHEET)
        fields = [
            ("format", str(FORMAT_VERSION)),
            ("organisation", organisation.code),
            ("period", period.code),
            ("lang", lang),
            ("data_sheet", data_name),
            ("rows", str(len(keys))),
            ("checksum", checksum(FORMAT_VERSION, organisation.code, period.code, keys)),
        ]
        for i, (name, value) in enumerate(fields):
            ids.write_string(i, 0, name)
            ids.write_string(i, 1, value)
        ids.write_string(len(fields), 0, "keys")
        for i, key in enumerate(keys):
            ids.write_string(len(fields) + 1 + i, 0, key)
        ids.protect("")
        ids.hide()
    wb.close()
    return buf.getvalue()


def _write(ws, row: int, col: int, value: Any, fmt) -> None:
    if value is None or value == "":
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        ws.write_string(row, col, str(value), fmt)
    elif isinstance(value, int | float):
        ws.write_number(row, col, value, fmt)
    else:
        ws.write_string(row, col, str(value), fmt)


def filename(organisation, period, lang: str) -> str:
    return f"leap-{organisation.code}-{period.code}-{lang}.xlsx"
