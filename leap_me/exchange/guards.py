"""The one workbook guard every upload uses: refuse a hostile or broken .xlsx before any
cell is loaded, with bounded memory, then read it with python-calamine.

An .xlsx file is a zip of XML parts. A few hundred bytes of it can declare a sheet of
17 billion cells (``A1`` and ``XFD1048576``), unpack into gigabytes (a zip bomb) or hold
millions of shared strings, and a reader that builds the sheet first and checks its size
afterwards runs out of memory. So :func:`check_workbook` looks at the file in this order,
each step with a fixed memory ceiling, and stops at the first problem:

1. the size of the upload, and that it is not empty;
2. the magic bytes: an old ``.xls`` (OLE2) or an OpenDocument ``.ods`` is refused with
   "save it as .xlsx"; anything else that is not a zip is "not a readable workbook";
3. the zip directory: number of entries, declared total uncompressed size and the
   compression ratio of each large entry (a zip bomb);
4. macros: a ``vbaProject.bin`` part or a macro-enabled content type (``.xlsm``);
5. each worksheet, inflated in 1 MiB reads (no tree is built): the declared
   ``<dimension>`` and every cell reference against the row, column and cell caps, and
   formula cells without a saved value (they would read as empty). A fast scan over
   slices of whole rows (byte counts and bytes regular expressions, no Python call per
   cell) vouches for the plain sheets spreadsheet programs write; anything it cannot
   vouch for sends the sheet to the exact expat scan (:class:`_SheetScan`);
6. the shared strings: the declared ``count``/``uniqueCount`` and a count of ``<si>``
   items (a regular expression over bounded slices) against a cap.

Bytes actually inflated are counted too, so a zip whose directory lies about sizes stops
at the limit, and a damaged deflate stream is "not a readable workbook", never a 500.
Only then does python-calamine open the file. Every refusal is a :class:`WorkbookError`
with a message in the user's language (and the cell, when there is one).
"""

from __future__ import annotations

import bisect
import functools
import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from typing import Any
from xml.parsers import expat

from flask_babel import gettext as _

ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and encrypted .xlsx
ODS_MIMETYPE = b"application/vnd.oasis.opendocument"
MACRO_TYPES = (
    "application/vnd.ms-excel.sheet.macroenabled",
    "application/vnd.ms-office.vbaproject",
    "application/vnd.ms-excel.addin.macroenabled",
    "application/vnd.ms-excel.template.macroenabled",
)
CHUNK = 64 * 1024
_REF = re.compile(r"\$?([A-Z]{1,3})\$?([0-9]{1,7})")
MAX_EXCEL_COLUMNS = 16384
MAX_EXCEL_ROWS = 1_048_576


@dataclass(frozen=True)
class Limits:
    """What an upload may hold. The defaults suit a planning workbook."""

    max_bytes: int = 10 * 1024 * 1024
    max_entries: int = 200
    max_uncompressed: int = 100 * 1024 * 1024
    max_ratio: int = 200  # uncompressed / compressed, for entries above ratio_floor
    ratio_floor: int = 1024 * 1024
    max_rows: int = 5001
    max_columns: int = 200
    max_cells: int = 500_000
    max_shared_strings: int = 500_000
    max_part: int = 2 * 1024 * 1024  # [Content_Types].xml and other small parts


class WorkbookError(ValueError):
    """A workbook that was refused, with a translated message (and the cell, if any)."""

    def __init__(self, message: str, cell: str | None = None, sheet: str | None = None):
        super().__init__(message)
        self.message = message
        self.cell = cell
        self.sheet = sheet

    def __str__(self) -> str:
        return self.message


class _Stop(Exception):
    """Raised from inside an expat handler to stop the scan at once."""

    def __init__(self, error: WorkbookError):
        super().__init__(error.message)
        self.error = error


def col_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def _col_index(letters: str) -> int:
    """A → 1, Z → 26, AA → 27, XFD → 16384."""
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n


def _parse_ref(ref: str) -> tuple[int, int] | None:
    match = _REF.fullmatch(ref) or _REF.fullmatch(ref.strip().upper())
    if not match:
        return None
    letters = match.group(1)
    col = _COLS.get(letters)
    if col is None:
        col = _col_index(letters)
    return int(match.group(2)), col


#: column letters → index for the first 702 columns (A … ZZ): no arithmetic per cell
_COLS = {}
for _i in range(702):
    _n, _s = _i + 1, ""
    while _n:
        _n, _r = divmod(_n - 1, 26)
        _s = chr(65 + _r) + _s
    _COLS[_s] = _i + 1


def unreadable() -> WorkbookError:
    return WorkbookError(_("The file is not a readable .xlsx workbook."))


def _too_big(limits: Limits, rows: int, cols: int, sheet: str) -> WorkbookError:
    return WorkbookError(
        _(
            "The sheet %(sheet)s is too large: it reaches %(cell)s, and a sheet may have at "
            "most %(rows)d rows and %(cols)d columns (%(last)s).",
            sheet=sheet,
            cell=f"{col_letter(cols - 1)}{rows}",
            rows=limits.max_rows,
            cols=limits.max_columns,
            last=f"{col_letter(limits.max_columns - 1)}{limits.max_rows}",
        ),
        sheet=sheet,
    )


# --- the zip -------------------------------------------------------------------------


def _read_part(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """A small part, inflated with a hard ceiling whatever its header says."""
    out = bytearray()
    with zf.open(info) as fh:
        while chunk := fh.read(CHUNK):
            out += chunk
            if len(out) > limit:
                raise WorkbookError(
                    _(
                        "The workbook has a part larger than the limit of %(mb)d MB.",
                        mb=max(1, limit // (1024 * 1024)),
                    )  # fmt: skip
                )
    return bytes(out)


class _Budget:
    """Bytes inflated so far, across every part, against the total limit."""

    def __init__(self, limits: Limits):
        self.left = limits.max_uncompressed
        self.limits = limits

    def take(self, n: int) -> None:
        self.left -= n
        if self.left < 0:
            raise WorkbookError(
                _(
                    "The workbook unpacks to more than %(mb)d MB, the limit.",
                    mb=self.limits.max_uncompressed // (1024 * 1024),
                )  # fmt: skip
            )


def _stream(zf: zipfile.ZipFile, info: zipfile.ZipInfo, parser, budget: _Budget) -> None:
    with zf.open(info) as fh:
        while chunk := fh.read(CHUNK):
            budget.take(len(chunk))
            parser.Parse(chunk, False)
        parser.Parse(b"", True)


def _new_parser():
    parser = expat.ParserCreate()
    parser.buffer_text = False

    def refuse_dtd(*_args):  # an xlsx part never has a DTD: no entity tricks
        raise _Stop(unreadable())

    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    return parser


def _local(name: str) -> str:
    if "}" not in name and ":" not in name:  # the usual case: no prefix
        return name
    return name.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


# --- the worksheet scan --------------------------------------------------------------


class _SheetScan:
    """Streams one worksheet: dimension, cell references, formulas without a value."""

    def __init__(self, sheet: str, limits: Limits, formulas: set[str] | None = None):
        self.sheet = sheet
        #: when given, collects the cells that hold a formula with a saved value
        self.formulas = formulas
        self.limits = limits
        self.row = 0
        self.col = 0
        self.cells = 0
        self.max_row = 0
        self.max_col = 0
        self.in_cell: str | None = None
        self.has_formula = False
        self.in_value = False
        self.value_seen = False

    def _check(self, row: int, col: int) -> None:
        if row > self.limits.max_rows or col > self.limits.max_columns:
            raise _Stop(_too_big(self.limits, row, col, self.sheet))

    def start(self, name: str, attrs: dict[str, str]) -> None:
        tag = _local(name)
        if tag == "c":
            ref = attrs.get("r")
            pos = _parse_ref(ref) if ref else None
            if ref and pos is None:
                raise _Stop(unreadable())
            if pos is None:
                pos = (self.row or 1, self.col + 1)
            row, col = pos
            self.col = col
            self._check(row, col)
            self.max_row, self.max_col = max(self.max_row, row), max(self.max_col, col)
            self.cells += 1
            if self.cells > self.limits.max_cells:
                raise _Stop(
                    WorkbookError(
                        _(
                            "The sheet %(sheet)s has more than %(n)d cells, the limit.",
                            sheet=self.sheet,
                            n=self.limits.max_cells,
                        ),  # fmt: skip
                        sheet=self.sheet,
                    )
                )
            self.in_cell = f"{col_letter(col - 1)}{row}"
            self.has_formula = False
            self.value_seen = False
        elif tag == "row":
            r = attrs.get("r")
            if r is not None:
                if not r.isascii() or not r.isdigit() or len(r) > 7:
                    raise _Stop(unreadable())
                self.row = int(r)
            else:
                self.row += 1
            self.col = 0
            self._check(self.row, 1)
        elif tag == "dimension":
            ref = attrs.get("ref", "")
            last = ref.split(":")[-1] if ref else ""
            pos = _parse_ref(last) if last else None
            if pos is not None:
                self._check(*pos)
        elif tag == "f" and self.in_cell:
            self.has_formula = True
        elif tag in ("v", "is") and self.in_cell:
            self.in_value = True

    def text(self, data: str) -> None:
        if self.in_value and data.strip():
            self.value_seen = True

    def end(self, name: str) -> None:
        tag = _local(name)
        if tag in ("v", "is"):
            self.in_value = False
        elif tag == "c" and self.in_cell:
            if self.has_formula and not self.value_seen:
                raise _Stop(
                    WorkbookError(
                        _(
                            "Cell %(cell)s of sheet %(sheet)s holds a formula without a saved "
                            "value. Open the file in Excel or LibreOffice, save it, and upload "
                            "it again (or type the number instead of the formula).",
                            cell=self.in_cell,
                            sheet=self.sheet,
                        ),
                        cell=self.in_cell,
                        sheet=self.sheet,
                    )
                )
            if self.has_formula and self.formulas is not None:
                self.formulas.add(self.in_cell)
            self.in_cell = None


def _scan_sheet_expat(zf, info, sheet: str, limits: Limits, budget: _Budget, formulas=None):
    """The exact, element-by-element scan (expat): used when the fast scan saw anything
    unusual in the sheet, so that the refusal is the one the first bad element gives."""
    scan = _SheetScan(sheet, limits, formulas)
    parser = _new_parser()
    parser.StartElementHandler = scan.start
    parser.EndElementHandler = scan.end
    parser.CharacterDataHandler = scan.text
    _stream(zf, info, parser, budget)


# The fast scan reads the inflated sheet in bounded slices of whole rows with a few bytes
# regular expressions (C speed, no Python call per element). It proves a slice harmless:
# every cell and row has a plain reference, all within the caps, the cell count under its
# cap, no DTD; formulas are looked at cell by cell (they are few). Anything else — a cell
# without a reference, a reference out of bounds, a row over the limit, a DTD, a slice
# with no row end within SLICE_CAP — sends the whole sheet to the exact expat scan,
# which gives the refusal of the first bad element, as before.
_P = rb"(?:[^\s<>/:\"'=!?]+:)?"  # an optional namespace prefix
_R = rb"\s[^>]*?(?<![\w:.-])r\s*=\s*[\"']"  # up to the quote of the r attribute
_CELL = re.compile(rb"<" + _P + rb"c(?:" + _R + rb"\$?([A-Z]{1,3})\$?([0-9]{1,7})[\"'])?[\s/>]")
_ROW = re.compile(rb"<" + _P + rb"row(?:" + _R + rb"([0-9]{1,7})[\"'])?[\s/>]")
_ROW_END = re.compile(rb"</" + _P + rb"row\s*>")
_FORMULA = re.compile(rb"<" + _P + rb"f[\s/>]")
_CELL_END = re.compile(rb"</" + _P + rb"c\s*>")
_VALUE = re.compile(rb"<" + _P + rb"v(?:\s[^>]*)?>\s*[^\s<]")
_INLINE = re.compile(rb"<" + _P + rb"is[\s/>]")
_TAGS = re.compile(rb"<[^>]*>")
_DTD = re.compile(rb"(?i)<!(?:doctype|entity)")
SCAN_CHUNK = 1024 * 1024
SLICE_CAP = 16 * 1024 * 1024  # a slice with no row end beyond this goes to expat


class _Unusual(Exception):
    """The fast scan cannot vouch for this sheet: scan it again with expat."""


def _scan_sheet(zf, info, sheet: str, limits: Limits, budget: _Budget, formulas=None) -> None:
    left = budget.left
    found: set[str] = set()
    try:
        _fast_scan(zf, info, sheet, limits, budget, found)
    except _Unusual:
        budget.left = left
        _scan_sheet_expat(zf, info, sheet, limits, budget, formulas)
        return
    if formulas is not None:
        formulas.update(found)


def _fast_scan(zf, info, sheet: str, limits: Limits, budget: _Budget, found: set[str]) -> None:
    cells = 0
    carry = b""
    with zf.open(info) as fh:
        while True:
            chunk = fh.read(SCAN_CHUNK)
            if chunk:
                budget.take(len(chunk))
                buf = carry + chunk if carry else chunk
                cut = _last_row_end(buf)
                if cut < 0:
                    if len(buf) > SLICE_CAP:
                        raise _Unusual
                    carry = buf
                    continue
                part, carry = buf[:cut], buf[cut:]
            else:
                part, carry = carry, b""
            if part:
                cells = _fast_slice(part, sheet, limits, cells, found)
            if not chunk:
                return


def _last_row_end(buf: bytes) -> int:
    """The offset just after the last ``</row>`` of ``buf`` (-1 when there is none)."""
    end = len(buf)
    while (i := buf.rfind(b"row>", 0, end)) >= 0:
        m = _ROW_END.match(buf, max(0, buf.rfind(b"<", 0, i)))
        if m and m.end() == i + 4:
            return m.end()
        end = i + 3
    return -1


def _fast_slice(part: bytes, sheet: str, limits: Limits, cells: int, found: set[str]) -> int:
    """Vouch for one slice of whole rows, or raise _Unusual: every cell and row tag must be
    the plain ``<c r="B7"`` and ``<row r="7"`` that spreadsheet programs write, none beyond
    the caps. A few passes of regular expressions that begin with a literal (fast to skip
    through) and match only what needs a look, and one byte count."""
    cell_re, row_re = _suspects(limits.max_rows, limits.max_columns)
    if cell_re.search(part) or row_re.search(part) or _PREFIXED.search(part):
        raise _Unusual
    if b"<!" in part:
        raise _Unusual  # a DTD, a comment, CDATA
    formula = b"<f" in part and _FORMULA.search(part) is not None
    if b"<dimension" in part:
        for m in _LOOK.finditer(part):
            last = m.group("ref").decode("latin-1").split(":")[-1]
            pos = _parse_ref(last) if last else None
            if pos is not None and (pos[0] > limits.max_rows or pos[1] > limits.max_columns):
                raise _Unusual
    cells += part.count(b"<c ")
    if cells > limits.max_cells:
        raise _Unusual
    if formula:
        _formula_cells(part, sheet, found)
    return cells


#: a namespace-prefixed tag the fast scan does not read (a stray match in text only
#: sends the sheet to expat)
_PREFIXED = re.compile(rb":(?:c|row|f|v|is|dimension)[\s/>]")
#: the dimension's range
_LOOK = re.compile(rb"<dimension\s[^>]*?(?<![\w:.-])ref\s*=\s*[\"'](?P<ref>[^\"']*)[\"']")


@functools.lru_cache(maxsize=16)
def _suspects(max_rows: int, max_columns: int) -> tuple[re.Pattern, re.Pattern]:
    """A cell tag and a row tag that are not plain or reach beyond the caps: no attribute
    or a line break after the name, a first attribute other than ``r``, or a reference
    that is not a plain one within the caps (a generated "at most" pattern)."""
    rows = _at_most(str(max_rows), "0123456789")
    cols = _at_most(col_letter(max_columns - 1), "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    cell = re.compile(rb'<c(?:[>/\t\r\n]| (?!r=")| r="(?!(?:' + cols + rb")(?:" + rows + rb')"))')
    row = re.compile(rb'<row(?:[>/\t\r\n]| (?!r=")| r="(?!(?:' + rows + rb')"))')
    return cell, row


def _at_most(text: str, alphabet: str) -> bytes:
    """A regular expression matching the strings over ``alphabet`` (ordered by length,
    then by letter) from one character up to ``text``: the column names up to ``BL``,
    the row numbers up to ``200001`` (with a leading zero a number only looks longer:
    harmless, since a miss only sends the sheet to the exact scan)."""
    first, last = alphabet[0], alphabet[-1]
    parts = [f"[{first}-{last}]{{1,{len(text) - 1}}}"] if len(text) > 1 else []
    for i, ch in enumerate(text):
        if ch == first:
            continue
        prev = alphabet[alphabet.index(ch) - 1]
        rest = len(text) - i - 1
        tail = f"[{first}-{last}]{{{rest}}}" if rest else ""
        parts.append(f"{text[:i]}[{first}-{prev}]{tail}")
    parts.append(text)
    return "|".join(parts).encode()


def _formula_cells(part: bytes, sheet: str, found: set[str]) -> None:
    """Each cell of ``part`` (whole rows, plain references) holding a formula: refused
    without a saved value, otherwise collected in ``found``."""
    starts = [m.start() for m in _CELL.finditer(part)]
    done: set[int] = set()
    for m in _FORMULA.finditer(part):
        at = bisect.bisect_right(starts, m.start()) - 1
        if at < 0 or starts[at] in done:
            continue
        start = starts[at]
        head_end = part.find(b">", start)
        if part[head_end - 1 : head_end] == b"/":
            continue  # an empty cell: the formula is outside any cell
        end_m = _CELL_END.search(part, head_end)
        end = end_m.start() if end_m else len(part)
        if end < m.start():
            continue  # the formula comes after that cell closed
        done.add(start)
        ref = _CELL.match(part, start)
        row, col = int(ref.group(2)), _col_index(ref.group(1).decode())
        cell = f"{col_letter(col - 1)}{row}"
        body = part[head_end + 1 : end]
        seen = bool(_VALUE.search(body))
        if not seen:
            inline = _INLINE.search(body)
            seen = bool(inline and _TAGS.sub(b"", body[inline.start() :]).strip())
        if not seen:
            raise _Stop(_no_saved_value(cell, sheet))
        found.add(cell)


def _no_saved_value(cell: str, sheet: str) -> WorkbookError:
    return WorkbookError(
        _(
            "Cell %(cell)s of sheet %(sheet)s holds a formula without a saved "
            "value. Open the file in Excel or LibreOffice, save it, and upload "
            "it again (or type the number instead of the formula).",
            cell=cell,
            sheet=sheet,
        ),
        cell=cell,
        sheet=sheet,
    )


_SST = re.compile(rb"<" + _P + rb"sst(?=[\s/>])([^>]*)>")
_SI = re.compile(rb"<" + _P + rb"si[\s/>]")
_ATTR = re.compile(rb"(?<![\w:.-])(count|uniqueCount)\s*=\s*[\"']([^\"']*)[\"']")


def _scan_shared_strings(zf, info, limits: Limits, budget: _Budget) -> None:
    """The declared ``count``/``uniqueCount`` and the ``<si>`` items against the cap,
    counted with a regular expression over bounded slices (cut before a ``<``)."""
    count = 0
    too_many = WorkbookError(
        _(
            "The workbook has more than %(n)d different texts, the limit.",
            n=limits.max_shared_strings,
        )  # fmt: skip
    )
    carry = b""
    head_seen = False
    with zf.open(info) as fh:
        while True:
            chunk = fh.read(SCAN_CHUNK)
            if chunk:
                budget.take(len(chunk))
                buf = carry + chunk if carry else chunk
                cut = buf.rfind(b"<")
                if cut <= 0:
                    if len(buf) > SLICE_CAP:
                        raise unreadable()
                    carry = buf
                    continue
                part, carry = buf[:cut], buf[cut:]
            else:
                part, carry = carry, b""
            if b"<!" in part and _DTD.search(part):
                raise unreadable()
            if not head_seen:
                head = _SST.search(part)
                if head:
                    head_seen = True
                    attrs = dict(_ATTR.findall(head.group(1)))
                    for key in (b"count", b"uniqueCount"):
                        declared = attrs.get(key, b"0")
                        if not declared.isdigit():
                            raise unreadable()
                        if len(declared) > 9 or int(declared) > limits.max_shared_strings:
                            raise too_many
            count += len(_SI.findall(part))
            if count > limits.max_shared_strings:
                raise too_many
            if not chunk:
                return


# --- names of the sheets -------------------------------------------------------------


def _sheet_names(zf: zipfile.ZipFile, limits: Limits) -> dict[str, str]:
    """{zip entry of a worksheet: the sheet's name}, from workbook.xml and its rels."""
    names: dict[str, str] = {}
    try:
        wb = _read_part(zf, zf.getinfo("xl/workbook.xml"), limits.max_part)
        rels = _read_part(zf, zf.getinfo("xl/_rels/workbook.xml.rels"), limits.max_part)
    except KeyError:
        return names
    by_id: dict[str, str] = {}
    targets: dict[str, str] = {}

    def wb_start(name, attrs):
        if _local(name) == "sheet":
            rid = next((v for k, v in attrs.items() if _local(k) == "id"), None)
            if rid:
                by_id[rid] = attrs.get("name", "")

    def rel_start(name, attrs):
        if _local(name) == "Relationship" and attrs.get("Id"):
            target = attrs.get("Target", "").lstrip("/")
            targets[attrs["Id"]] = target if target.startswith("xl/") else "xl/" + target

    for data, handler in ((wb, wb_start), (rels, rel_start)):
        parser = _new_parser()
        parser.StartElementHandler = handler
        parser.Parse(data, True)
    for rid, sheet in by_id.items():
        if rid in targets:
            names[targets[rid]] = sheet
    return names


# --- the guard -----------------------------------------------------------------------


def check_workbook(
    data: bytes, limits: Limits | None = None, formulas: dict[str, set[str]] | None = None
) -> None:
    """Refuse (WorkbookError) a file that is not a safe, readable .xlsx within ``limits``.

    Reads nothing into cells: only the zip directory and streamed XML. When ``formulas``
    is a dict it receives, per sheet name, the cells holding a formula with a saved value
    (the submission import uses the saved value and says so)."""
    limits = limits or Limits()
    if not data:
        raise WorkbookError(_("The file is empty."))
    if len(data) > limits.max_bytes:
        raise WorkbookError(
            _(
                "The file is larger than the limit of %(mb)d MB.",
                mb=limits.max_bytes // (1024 * 1024),
            )  # fmt: skip
        )
    if data.startswith(OLE2_MAGIC):
        raise WorkbookError(
            _(
                "This is an old Excel workbook (.xls) or a password-protected one. Open it in "
                "Excel or LibreOffice, save it as “Excel Workbook (.xlsx)” without a password, "
                "and upload that file."
            )
        )
    if data.startswith(EMPTY_ZIP_MAGIC):
        raise unreadable()
    if not data.startswith(ZIP_MAGIC):
        raise unreadable()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            _check_zip(zf, limits, formulas)
    except WorkbookError:
        raise
    except _Stop as stop:
        raise stop.error from None
    except (zipfile.BadZipFile, zlib.error, expat.ExpatError, EOFError, OSError, ValueError,
            NotImplementedError, KeyError, RuntimeError):  # fmt: skip
        raise unreadable() from None


def _check_zip(zf: zipfile.ZipFile, limits: Limits, formulas=None) -> None:
    infos = zf.infolist()
    if len(infos) > limits.max_entries:
        raise WorkbookError(
            _(
                "The workbook has %(n)d parts; at most %(max)d are accepted.",
                n=len(infos),
                max=limits.max_entries,
            )  # fmt: skip
        )
    names = {i.filename for i in infos}
    if "mimetype" in names:
        head = _read_part(zf, zf.getinfo("mimetype"), 200)
        if head.startswith(ODS_MIMETYPE):
            raise WorkbookError(
                _(
                    "This is an OpenDocument spreadsheet (.ods). Open it in LibreOffice or "
                    "Excel, save it as “Excel Workbook (.xlsx)”, and upload that file."
                )
            )
    declared = sum(i.file_size for i in infos)
    if declared > limits.max_uncompressed:
        raise WorkbookError(
            _(
                "The workbook unpacks to more than %(mb)d MB, the limit.",
                mb=limits.max_uncompressed // (1024 * 1024),
            )  # fmt: skip
        )
    for i in infos:
        if i.file_size > limits.ratio_floor and i.file_size > limits.max_ratio * max(
            1, i.compress_size
        ):
            raise WorkbookError(
                _("The workbook is compressed suspiciously well (a “zip bomb”) and is refused.")
            )
        if i.flag_bits & 0x1:
            raise WorkbookError(
                _("The workbook is password-protected. Save it without a password and upload it.")
            )
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise unreadable()
    types = _read_part(zf, zf.getinfo("[Content_Types].xml"), limits.max_part).lower()
    if any(n.lower().endswith("vbaproject.bin") for n in names) or any(
        t.encode() in types for t in MACRO_TYPES
    ):
        raise WorkbookError(
            _(
                "The workbook contains macros (.xlsm). Save it as “Excel Workbook (.xlsx)”, "
                "which has no macros, and upload that file."
            )
        )
    budget = _Budget(limits)
    sheet_names = _sheet_names(zf, limits)
    for info in infos:
        name = info.filename
        if name.startswith("xl/worksheets/") and name.endswith(".xml"):
            sheet = sheet_names.get(name) or name.rsplit("/", 1)[-1].removesuffix(".xml")
            cells = formulas.setdefault(sheet, set()) if formulas is not None else None
            _scan_sheet(zf, info, sheet, limits, budget, cells)
        elif name == "xl/sharedStrings.xml":
            _scan_shared_strings(zf, info, limits, budget)


def read_sheet(data: bytes, sheet: str, limits: Limits | None = None) -> list[list[Any]]:
    """The rows of ``sheet`` (cells as python-calamine gives them), after the guard.

    Raises WorkbookError when the file is refused or has no such sheet."""
    limits = limits or Limits()
    check_workbook(data, limits)
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        if sheet not in wb.sheet_names:
            raise WorkbookError(
                _("The workbook has no sheet named %(name)s.", name=sheet), sheet=sheet
            )
        ws = wb.get_sheet_by_name(sheet)
        if ws.total_height > limits.max_rows or ws.total_width > limits.max_columns:
            raise _too_big(limits, ws.total_height, ws.total_width, sheet)
        return ws.to_python(skip_empty_area=False)
    except WorkbookError:
        raise
    except Exception:  # noqa: BLE001 - whatever calamine raises, it is the same for the user
        raise unreadable() from None
