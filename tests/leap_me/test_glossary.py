"""The Khmer catalogue uses the glossary's terms, the same way in every message.

The terms are the last table of ``docs/glossary-km.md``: a word (a regular expression)
and the Khmer term that every translation of a message using that word must contain.
Change a term there and in the catalogue together; this test says where they disagree.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
GLOSSARY = ROOT / "docs" / "glossary-km.md"
CATALOGUE = ROOT / "leap_me" / "translations" / "km" / "LC_MESSAGES" / "messages.po"

#: (word pattern, message) pairs where the English word is not the glossary's term.
EXCEPTIONS = {
    # literal parameter values of the API, shown as typed
    ("provinces?", "by must be province or organisation."),
    ("organisations?(?! units?)", "by must be province or organisation."),
    ("passwords?", "Send Basic credentials as username:password."),
    # the file format, not the LEAP workbook
    ("workbooks?", "The file is not a readable .xlsx workbook."),
    (
        "workbooks?",
        "This is an OpenDocument spreadsheet (.ods). Open it in LibreOffice or Excel, "
        "save it as “Excel Workbook (.xlsx)”, and upload that file.",
    ),
}

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")


def glossary_terms() -> list[tuple[str, str]]:
    """The rows of the glossary's last table: (word pattern, Khmer term)."""
    text = GLOSSARY.read_text(encoding="utf-8")
    table = text.rsplit("| word (regular expression) | Khmer |", 1)[1]
    rows = []
    for line in table.splitlines():
        m = re.match(r"^\| `(.+)` \| (.+?) \|$", line.strip())
        if m:
            rows.append((m.group(1).replace("\\|", "|"), m.group(2).strip()))
    return rows


def messages() -> list[tuple[str, str]]:
    with CATALOGUE.open("rb") as fh:
        catalogue = read_po(fh, locale="km")
    out = []
    for message in catalogue:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for msgid in ids:
            out.append((msgid, " ".join(s or "" for s in strings)))
    return out


def test_the_glossary_table_is_read():
    terms = dict(glossary_terms())
    assert len(terms) >= 25
    assert terms["indicators?"] == "សូចនាករ"
    assert terms["submissions?"] == "ការដាក់ស្នើ"
    assert terms["activit(y|ies)"] == "សកម្មភាព"


@pytest.mark.parametrize("pattern,term", glossary_terms(), ids=lambda v: v)
def test_every_translation_uses_the_glossary_term(pattern, term):
    word = re.compile(r"(?<![\w-])" + pattern + r"(?![\w-])", re.IGNORECASE)
    used = wrong = 0
    disagree = []
    for msgid, msgstr in messages():
        if not word.search(PLACEHOLDER.sub(" ", msgid)):
            continue
        used += 1
        if term not in msgstr and (pattern, msgid) not in EXCEPTIONS:
            wrong += 1
            disagree.append(f"{msgid!r} => {msgstr!r}")
    assert used, f"no message uses {pattern!r}: drop it from the glossary table"
    assert not disagree, f"{wrong} of {used} translations lack {term}:\n" + "\n".join(disagree)


def test_one_spelling_of_sechkdei():
    bad = [msgid for msgid, msgstr in messages() if "សេចក្ដី" in msgstr]
    assert not bad, "write សេចក្តី (coeng ta): " + ", ".join(bad)


def test_the_checker_notices_a_wrong_term():
    word = re.compile(r"(?<![\w-])indicators?(?![\w-])", re.IGNORECASE)
    assert word.search("Add an indicator")
    assert not word.search(PLACEHOLDER.sub(" ", "Target of %(indicator)s"))
    assert not word.search("indicator-code")
