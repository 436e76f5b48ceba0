"""Import of a filled submission workbook (see template.py for its shape).

The order never changes:

1. the guard (``guards.check_workbook``): size, type, zip bombs, huge ranges, macros —
   before any cell is loaded, with bounded memory;
2. the identification sheet: the format version, the organisation, the period and the
   HMAC over them and the row keys; another organisation's or period's template, an old
   format and a changed identification sheet are refused;
3. the data sheet, read with python-calamine: one :class:`CellInput` per row (duplicate
   keys are errors; the owed rows are looked up once by row key);
4. one pass of ``submissions.save(..., source="workbook")`` — the grid's own rules and
   warnings: ``dry_run=True`` for a dry run or when our own reading found a problem,
   otherwise ``only_if_clean=True``, which writes every cell in the caller's transaction,
   as the organisation's draft, only when no cell has an error (else nothing, and its
   result is the report).

The :class:`Report` lists every problem at once, each with sheet, row and Excel cell
(``J17``) and a message in the user's language, every warning (and whether it has an
explanation) and, per value, what would change.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from leap_me.exchange import template as tpl
from leap_me.exchange.guards import Limits, WorkbookError, check_workbook, col_letter

#: A submission workbook may be long (an organisation reporting for 25 provinces with
#: disaggregations), never wide.
LIMITS = Limits(
    max_bytes=50 * 1024 * 1024,
    max_rows=200_001,
    max_columns=64,
    max_cells=200_001 * 16,
    max_shared_strings=2_500_000,  # `count` is every string cell, not the unique ones
    max_uncompressed=400 * 1024 * 1024,
    max_part=4 * 1024 * 1024,
)
MAX_TEXT = 4000


class ImportRefused(ValueError):
    """The whole file is refused before any row is looked at (translated message)."""

    def __init__(
        self, message: str, *, status: int = 422, code: str = "refused", cell=None, sheet=None
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.cell = cell
        self.sheet = sheet

    def as_dict(self) -> dict:
        return {"sheet": self.sheet, "cell": self.cell, "message": self.message}


@dataclass(slots=True)
class Problem:
    sheet: str
    row: int
    cell: str
    message: str
    severity: str = "error"  # error | warning | refused
    code: str = ""
    explained: bool | None = None

    def as_dict(self) -> dict:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "cell": self.cell,
            "column": "".join(ch for ch in self.cell if ch.isalpha()),
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            **({"explained": self.explained} if self.explained is not None else {}),
        }


@dataclass(slots=True)
class Change:
    row: int
    key: str
    indicator: str
    province: str
    disagg: str
    status: str  # new | changed | unchanged | refused | invalid
    old: str
    new: str

    def as_dict(self) -> dict:
        return {
            "row": self.row,
            "key": self.key,
            "indicator": self.indicator,
            "province": self.province,
            "disaggregation": self.disagg,
            "status": self.status,
            "old": self.old,
            "new": self.new,
        }


@dataclass
class Report:
    organisation: str
    period: str
    sheet: str
    dry_run: bool
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    written: bool = False
    version: int | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity in ("error", "refused")]

    @property
    def clean(self) -> bool:
        return not self.errors

    @property
    def counts(self) -> dict[str, int]:
        out = {k: 0 for k in ("new", "changed", "unchanged", "refused", "invalid")}
        for c in self.changes:
            out[c.status] = out.get(c.status, 0) + 1
        out["errors"] = len(self.errors)
        out["warnings"] = len(self.warnings)
        return out

    @property
    def changes_anything(self) -> bool:
        return any(c.status in ("new", "changed") for c in self.changes)

    def summary(self) -> str:
        c = self.counts
        if not self.clean:
            return _(
                "%(n)s problem(s) to fix: nothing was saved. Fix them in the workbook and upload "
                "it again.",
                n=c["errors"],
            )
        if not self.changes_anything:
            return _("The workbook changes nothing: every value is as already saved.")
        if self.written:
            return _(
                "Saved as your draft: %(new)s new and %(changed)s changed value(s).",
                new=c["new"],
                changed=c["changed"],
            )
        return _(
            "No problems. Saving would add %(new)s new and change %(changed)s value(s); "
            "%(same)s stay as they are.",
            new=c["new"],
            changed=c["changed"],
            same=c["unchanged"],
        )

    def as_dict(self) -> dict:
        return {
            "organisation": self.organisation,
            "period": self.period,
            "dryRun": self.dry_run,
            "clean": self.clean,
            "written": self.written,
            "version": self.version,
            "rows": self.rows,
            "counts": self.counts,
            "summary": self.summary(),
            "problems": [p.as_dict() for p in self.problems],
            "warnings": [w.as_dict() for w in self.warnings],
            "changes": [c.as_dict() for c in self.changes],
        }


# --- reading ----------------------------------------------------------------------------


@dataclass
class Identity:
    version: int
    organisation: str
    period: str
    lang: str
    data_sheet: str
    keys: list[str]


def _cell_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def read_identity(wb) -> Identity:
    tampered = ImportRefused(
        _(
            "The workbook's hidden identification sheet was changed, so it cannot be trusted. "
            "Download a new template from LEAP M&E and copy your values into it."
        ),
        code="tampered",
        sheet=tpl.ID_SHEET,
    )
    if tpl.ID_SHEET not in wb.sheet_names:
        raise ImportRefused(
            _(
                "This is not a LEAP M&E submission workbook (it has no identification sheet). "
                "Download the template from the submission's page and fill that one."
            ),
            code="not_template",
        )
    rows = wb.get_sheet_by_name(tpl.ID_SHEET).to_python(skip_empty_area=False)
    fields: dict[str, str] = {}
    keys: list[str] = []
    in_keys = False
    for row in rows:
        if not row:
            continue
        name = _cell_text(row[0])
        if in_keys:
            if name:
                keys.append(name)
            continue
        if name == "keys":
            in_keys = True
            continue
        fields[name] = _cell_text(row[1]) if len(row) > 1 else ""
    try:
        version = int(fields.get("format", ""))
    except ValueError:
        raise tampered from None
    ident = Identity(
        version,
        fields.get("organisation", ""),
        fields.get("period", ""),
        fields.get("lang", "en"),
        fields.get("data_sheet", ""),
        keys,
    )
    if not tpl.verify(version, ident.organisation, ident.period, keys, fields.get("checksum", "")):
        raise tampered
    if str(len(keys)) != fields.get("rows"):
        raise tampered
    if version not in tpl.SUPPORTED_VERSIONS:
        raise ImportRefused(
            _(
                "This workbook was made with an older template (format %(old)s; the current "
                "one is %(new)s). Download a new template and copy your values into it.",
                old=version,
                new=tpl.FORMAT_VERSION,
            ),
            code="old_format",
            sheet=tpl.ID_SHEET,
        )
    return ident


def open_workbook(
    data: bytes, checked: dict[str, set[str]] | None = None
) -> tuple[Any, Identity, dict[str, set[str]]]:
    """The guard, then calamine, then the identification sheet.

    ``checked``: the formula cells the guard found when these very bytes passed it
    before (an upload kept on the server, its hash compared): the guard is not run
    again."""
    formulas: dict[str, set[str]] = {}
    if checked is not None:
        formulas = {name: set(cells) for name, cells in checked.items()}
    else:
        try:
            check_workbook(data, LIMITS, formulas)
        except WorkbookError as exc:
            status = 413 if len(data) > LIMITS.max_bytes else 400
            raise ImportRefused(
                exc.message, status=status, code="bad_file", cell=exc.cell, sheet=exc.sheet
            ) from None
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        ident = read_identity(wb)
    except ImportRefused:
        raise
    except Exception:  # noqa: BLE001 - whatever calamine raises, the user hears one thing
        raise ImportRefused(
            _("The file is not a readable .xlsx workbook."), status=400, code="bad_file"
        ) from None
    return wb, ident, formulas


def identify(data: bytes) -> Identity:
    return open_workbook(data)[1]


def _as_input(
    raw: Any, measure: str, yes_words: set[str], no_words: set[str]
) -> tuple[str | None, str | None]:
    """(typed text for the service, an error of our own) for one cell as calamine gives it."""
    if raw is None or raw == "":
        return "", None
    kind = type(raw)
    if kind is float:
        if raw.is_integer() and 0 < abs(raw) < 1e14:
            return str(int(raw)), None  # what parse_decimal + plain give, without them
        from indicators.services.common import plain
        from leap_me import numbers

        try:
            return plain(numbers.parse_decimal(raw, allow_negative=True)), None
        except numbers.NumberError as exc:
            return None, exc.message
    if kind is str:
        text = raw.strip()
        if measure == "yesno":
            low = text.lower()
            if low in yes_words:
                return "1", None
            if low in no_words:
                return "0", None
        return text, None
    if isinstance(raw, bool):
        if measure == "yesno":
            return ("1" if raw else "0"), None
        return None, _("This cell holds TRUE/FALSE; type a number.")
    if isinstance(raw, int):
        return str(raw), None
    if isinstance(raw, float):
        return _as_input(float(raw), measure, yes_words, no_words)
    if hasattr(raw, "isoformat"):  # a date or a time: Excel turned the number into one
        return None, _(
            "This cell holds a date (%(date)s), not a number. Format the cell as a number "
            "and type the value again.",
            date=raw.isoformat(),
        )
    return _as_input(str(raw), measure, yes_words, no_words)


def _restore(text: str) -> str:
    """Undo the template's formula guard on user text ('=x written as \'=x), so that a
    comment that begins with = comes back as it was typed."""
    if len(text) > 1 and tpl._text(text[1:]) == text:
        return text[1:]
    return text


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "…"


def run(
    session,
    data: bytes,
    *,
    user,
    dry_run: bool = True,
    locale: str = "en",
    expect_org: str | None = None,
    expect_period: str | None = None,
    progress=None,
    checked: dict[str, set[str]] | None = None,
) -> Report:
    """Check (and unless ``dry_run``, write) a filled workbook. The caller commits.

    ``checked``: see :func:`open_workbook` (a stored upload whose hash was compared).
    Raises :class:`ImportRefused` when the file as a whole is refused (guard, identity,
    permission, a period or submission that takes no values)."""
    with force_locale(locale):
        return _run(
            session, data, user, dry_run, locale, expect_org, expect_period, progress, checked
        )


def _find(session, ident: Identity):
    from indicators.models import ReportingPeriod
    from stakeholders.models import Organisation

    org = session.scalar(
        sa.select(Organisation).where(Organisation.code == ident.organisation[:20])
    )
    period = session.scalar(
        sa.select(ReportingPeriod).where(ReportingPeriod.code == ident.period[:10])
    )
    return org, period


def check_permission(user, org) -> None:
    """A partner imports for their own organisation only (everyone else: never)."""
    if getattr(user, "role", None) != "partner" or user.organisation_id != org.id:
        raise ImportRefused(
            _(
                "This workbook is for %(org)s: you can upload values only for your own "
                "organisation.",
                org=org.code,
            ),
            status=403,
            code="forbidden",
        )


def check_target(ident: Identity, expect_org: str | None, expect_period: str | None) -> None:
    """Refuse a template made for another organisation or period than the page's."""
    if expect_org is not None and ident.organisation != expect_org:
        raise ImportRefused(
            _(
                "This workbook is for the organisation %(theirs)s, not %(mine)s. Download the "
                "template of %(mine)s and fill that one.",
                theirs=ident.organisation,
                mine=expect_org,
            ),
            code="other_organisation",
        )
    if expect_period is not None and ident.period != expect_period:
        raise ImportRefused(
            _(
                "This workbook is for the period %(theirs)s, not %(mine)s. Download the "
                "template of %(mine)s and fill that one.",
                theirs=ident.period,
                mine=expect_period,
            ),
            code="other_period",
        )


def _run(session, data, user, dry_run, locale, expect_org, expect_period, progress,
         formulas=None):  # fmt: skip
    from indicators.services import submissions as subs
    from indicators.services.owed import owed_rows

    wb, ident, formulas = open_workbook(data, formulas)
    check_target(ident, expect_org, expect_period)
    org, period = _find(session, ident)
    if org is None or period is None:
        raise ImportRefused(
            _("The organisation or the period this workbook is for no longer exists."),
            code="unknown",
        )
    check_permission(user, org)
    sheet = ident.data_sheet
    del ident  # the row keys of the identification sheet: checked, no longer needed
    if sheet not in wb.sheet_names:
        raise ImportRefused(
            _("The workbook has no sheet named %(name)s.", name=sheet), code="no_sheet", sheet=sheet
        )
    try:
        ws = wb.get_sheet_by_name(sheet)
        first_row, first_col = ws.start or (0, 0)
        height = ws.total_height
        rows = ws.iter_rows()  # streamed: the sheet is never one big list in memory
    except Exception:  # noqa: BLE001
        raise ImportRefused(_("The file is not a readable .xlsx workbook."), status=400) from None
    del wb
    report = Report(org.code, period.code, sheet, dry_run)
    sub = subs.find(session, org.code, period.code)
    if sub is None:
        from indicators.services.values import period_refusal

        refusal = period_refusal(period)
        if refusal:
            raise ImportRefused(refusal, code="period")
        sub = subs.get_or_create(session, org, period, user)
    owed = owed_rows(session, org, period)
    lookup = _owed_lookup(owed)
    cells, about = _read_rows(
        report, rows, lookup, first_row, first_col, height, formulas.get(sheet, set()), progress
    )
    del rows, ws, lookup
    total = max(0, height - tpl.HEADER_ROWS)
    # One pass of the service: when our own reading found nothing wrong and this is not a
    # dry run, the service checks and writes in the same pass, unless it finds a problem
    # (then it writes nothing and its result is the dry run's report).
    write = not dry_run and report.clean
    try:
        result = subs.save(
            session, sub, cells, user=user, expected_version=None, source="workbook",
            dry_run=not write, locale=locale, only_if_clean=write, owed=owed,
        )  # fmt: skip
    except subs.SaveRefused as exc:
        raise ImportRefused(exc.message, code="locked") from None
    del cells, owed
    _collect(report, result, sheet, about)
    report.problems.sort(key=lambda p: (p.row, p.cell))
    report.warnings.sort(key=lambda p: (p.row, p.cell))
    report.version = result.version
    if write and not result.dry_run and report.clean and report.changes_anything:
        report.written = True
        if progress is not None:
            progress(total, total)
    return report


@dataclass(slots=True, frozen=True)
class _Owed:
    """What one owed row of the data sheet needs, read once from the owed rows."""

    indicator_id: int
    province_id: int | None
    disagg: str
    measure: str
    code: str
    province: str


def _owed_lookup(owed) -> dict[str, _Owed]:
    """{row key of the template: the owed row}, made once per import (each indicator's and
    province's attributes read once, not once per row)."""
    out = {}
    indicators: dict[int, tuple] = {}
    provinces: dict[int, str] = {}
    for r in owed:
        ind = indicators.get(id(r.indicator))
        if ind is None:
            i = r.indicator
            ind = indicators[id(i)] = (i.id, i.code, str(r.version.measure), i)
        prov_obj = r.province
        if prov_obj is None:
            province = ""
        else:
            province = provinces.get(id(prov_obj))
            if province is None:
                province = provinces[id(prov_obj)] = prov_obj.code
        ind_id, code, measure, _obj = ind
        province_id, disagg = r.key[1], r.disagg_key
        out[f"{code}|{province}|{disagg or ''}"] = _Owed(
            ind_id, province_id, disagg, measure, code, province
        )
    return out


def _text_or_empty(v: Any) -> str:
    return "" if v is None else _cell_text(v)


def _read_rows(report, rows, lookup, first_row, first_col, height, sheet_formulas, progress):
    """The data sheet's rows → the cells for the service, and for each cell what the
    report needs (Excel row, row key, codes, measure, whether it was explained). The
    rows arrive as calamine's lists; nothing is kept per row but the cell."""
    from indicators.services import submissions as subs

    sheet = report.sheet
    problems = report.problems
    warnings = report.warnings
    yes_words = {w.lower() for w in (*tpl.yes_no("en")[:1], *tpl.yes_no("km")[:1], "yes", "y", "1")}
    no_words = {w.lower() for w in (*tpl.yes_no("en")[1:], *tpl.yes_no("km")[1:], "no", "n", "0")}
    col_key, col_value, col_num, col_den = tpl.COL_KEY, tpl.COL_VALUE, tpl.COL_NUM, tpl.COL_DEN
    col_explain, col_comment, width = tpl.COL_EXPLAIN, tpl.COL_COMMENT, tpl.COLUMNS
    letter = {c: col_letter(c) for c in range(width)}
    value_only = (col_value,)
    fraction_cols = (col_num, col_den)
    cells: list[subs.CellInput] = []
    about: dict[tuple, tuple] = {}
    seen: dict[str, int] = {}
    total = max(0, height - tpl.HEADER_ROWS)
    pad = [None] * first_col
    CellInput = subs.CellInput
    for offset, raw_row in enumerate(rows):
        index = first_row + offset
        if index < tpl.HEADER_ROWS:
            continue
        if progress is not None and index % 1000 == 0:
            progress(index, total)
        excel_row = index + 1
        row = pad + raw_row if first_col else raw_row
        if len(row) < width:
            row = row + [None] * (width - len(row))
        k = row[col_key]
        key = k.strip() if type(k) is str else _text_or_empty(k)
        if not key and not any(_text_or_empty(v) for v in row[col_value:width]):
            continue  # an empty line
        report.rows += 1
        if not key:
            problems.append(
                Problem(
                    sheet,
                    excel_row,
                    f"{letter[col_key]}{excel_row}",
                    _("This row has no row key: it does not come from the template."),
                    code="no_key",
                )
            )
            continue
        first = seen.get(key)
        if first is not None:
            problems.append(
                Problem(
                    sheet,
                    excel_row,
                    f"{letter[col_key]}{excel_row}",
                    _(
                        "This row is a second copy of row %(first)s (the same value twice). "
                        "Keep one of them.",
                        first=first,
                    ),
                    code="duplicate",
                )
            )
            continue
        seen[key] = excel_row
        owed = lookup.get(key)
        if owed is None:
            problems.append(
                Problem(
                    sheet,
                    excel_row,
                    f"{letter[col_key]}{excel_row}",
                    _(
                        "This row (%(key)s) is not one your organisation reports for this period.",
                        key=_short(key),
                    ),
                    code="not_owed",
                )
            )
            continue
        measure = owed.measure
        fraction = measure in ("percentage", "ratio")
        is_text = measure == "text"
        typed: list[str | None] = []
        bad = False
        for col in fraction_cols if fraction else value_only:
            raw = row[col]
            if is_text:
                text = "" if raw is None else (raw.strip() if type(raw) is str else _cell_text(raw))
                got, err = _restore(text), None
            elif type(raw) is float and raw.is_integer() and 0 < abs(raw) < 1e14:
                got, err = str(int(raw)), None  # the common case, as _as_input reads it
            else:
                got, err = _as_input(raw, measure, yes_words, no_words)
            typed.append(got)
            if err:
                problems.append(
                    Problem(sheet, excel_row, f"{letter[col]}{excel_row}", err, code="type")
                )
                bad = True
            elif sheet_formulas and f"{letter[col]}{excel_row}" in sheet_formulas:
                warnings.append(
                    Problem(
                        sheet,
                        excel_row,
                        f"{letter[col]}{excel_row}",
                        _(
                            "This cell holds a formula: its saved value %(value)s is used. "
                            "Type the number itself to be sure.",
                            value=got or "—",
                        ),
                        severity="warning",
                        code="formula",
                    )
                )
        if not fraction:
            for col in (col_num, col_den):
                v = row[col]
                if v is not None and _cell_text(v):
                    problems.append(
                        Problem(
                            sheet,
                            excel_row,
                            f"{letter[col]}{excel_row}",
                            _(
                                "This row takes a value, not a numerator and denominator: leave "
                                "this cell empty."
                            ),
                            code="not_fraction",
                        )
                    )
                    bad = True
        elif _text_or_empty(row[col_value]):
            problems.append(
                Problem(
                    sheet,
                    excel_row,
                    f"{letter[col_value]}{excel_row}",
                    _(
                        "For a percentage or a ratio fill the numerator and the denominator; "
                        "leave the value empty."
                    ),
                    code="fraction",
                )
            )
            bad = True
        if bad:
            continue
        v = row[col_explain]
        explanation = "" if v is None else _restore(_cell_text(v))[:MAX_TEXT]
        v = row[col_comment]
        comment = "" if v is None else _restore(_cell_text(v))[:MAX_TEXT]
        if fraction:
            cell = CellInput(
                owed.indicator_id, owed.province_id, owed.disagg,
                numerator=typed[0], denominator=typed[1],
                comment=comment, explanation=explanation,
            )  # fmt: skip
        elif is_text:
            cell = CellInput(
                owed.indicator_id, owed.province_id, owed.disagg,
                text=typed[0], comment=comment, explanation=explanation,
            )  # fmt: skip
        else:
            cell = CellInput(
                owed.indicator_id, owed.province_id, owed.disagg,
                value=typed[0], comment=comment, explanation=explanation,
            )  # fmt: skip
        cells.append(cell)
        about[(owed.indicator_id, owed.province_id, owed.disagg or "")] = (
            excel_row, key, owed, bool(explanation)
        )  # fmt: skip
    return cells, about


def _shown(snap: dict | None, measure: str) -> str:
    if not snap:
        return ""
    if measure in ("percentage", "ratio"):
        num, den = snap.get("numerator") or "", snap.get("denominator") or ""
        return f"{num} / {den}" if (num or den) else ""
    if measure == "text":
        return snap.get("text") or ""
    if measure == "yesno" and snap.get("value") in ("0", "1"):
        return _("Yes") if snap["value"] == "1" else _("No")
    return snap.get("value") or ""


def _collect(report: Report, result, sheet, about) -> None:
    """The service's outcomes → the report's changes, problems and warnings."""
    changes, problems, warnings = report.changes, report.problems, report.warnings
    value_letter, explain_letter = col_letter(tpl.COL_VALUE), col_letter(tpl.COL_EXPLAIN)
    letters: dict[str, str] = {}
    unexplained = _("%(warning)s Explain it in the Explanation column.", warning="\0")
    for outcome in result.cells:
        excel_row, key, owed, explained = about.get(outcome.key, (0, "", None, False))
        if owed is None:
            code = province = disagg = ""
            measure = "number"
        else:
            code, province, disagg, measure = owed.code, owed.province, owed.disagg, owed.measure
        changes.append(
            Change(
                excel_row,
                key,
                code,
                province,
                disagg,
                outcome.status,
                _shown(outcome.old, measure),
                _shown(outcome.new, measure),
            )
        )
        for msg in outcome.errors:
            field_name = msg.field
            letter = letters.get(field_name)
            if letter is None:
                letter = letters[field_name] = col_letter(
                    tpl.FIELD_COLUMN.get(field_name, tpl.COL_VALUE)
                )
            severity = "refused" if outcome.status == "refused" else "error"
            problems.append(
                Problem(sheet, excel_row, f"{letter}{excel_row}", msg.text, severity, msg.code)
            )
        if outcome.status == "refused" and not outcome.errors:
            problems.append(
                Problem(
                    sheet,
                    excel_row,
                    f"{value_letter}{excel_row}",
                    _("This value cannot change."),
                    "refused",
                    "refused",
                )
            )
        for msg in outcome.warnings:
            letter = value_letter if explained else explain_letter
            text = msg.text if explained else unexplained.replace("\0", msg.text, 1)
            warnings.append(
                Problem(
                    sheet,
                    excel_row,
                    f"{letter}{excel_row}",
                    text,
                    "warning",
                    msg.code,
                    explained=explained,
                )
            )


# --- the marked workbook ------------------------------------------------------------------


def marked(data: bytes, report: Report) -> bytes:
    """The uploaded workbook with each bad cell filled red (warnings yellow) and a comment
    holding the message. The file has passed the guard already."""
    from openpyxl import load_workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    wb = load_workbook(io.BytesIO(data))
    red = PatternFill("solid", fgColor="FFC7CE")
    yellow = PatternFill("solid", fgColor="FFEB9C")
    by_cell: dict[tuple[str, str], list[Problem]] = {}
    for p in [*report.problems, *report.warnings]:
        by_cell.setdefault((p.sheet, p.cell), []).append(p)
    for (sheet, ref), items in by_cell.items():
        if sheet not in wb.sheetnames or not ref:
            continue
        ws = wb[sheet]
        cell = ws[ref]
        error = any(p.severity != "warning" for p in items)
        cell.fill = red if error else yellow
        text = "\n".join(p.message for p in items)
        comment = Comment(text[:2000], "LEAP M&E")
        comment.width = 300
        comment.height = 120
        cell.comment = comment
        if ws.column_dimensions[cell.column_letter].hidden:
            ws.column_dimensions[cell.column_letter].hidden = False
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
