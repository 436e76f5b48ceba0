"""Khmer line breaking: Khmer is written without spaces between words.

Browsers find Khmer word boundaries themselves (they ship ICU with its dictionary). The
PDF renderer (WeasyPrint, with Pango) does not, and would either overflow a line or cut a
word in the middle. Before rendering a PDF, text goes through :func:`mark_word_breaks`,
which asks ICU's dictionary-based line breaker (through PyICU) where the Khmer words end
and puts a zero-width space there: an invisible place where a line may wrap.
"""

from __future__ import annotations

import re

import icu

ZWSP = "\u200b"
_KHMER = re.compile(r"[\u1780-\u17FF\u19E0-\u19FF]")


def _breaker() -> icu.BreakIterator:
    return icu.BreakIterator.createLineInstance(icu.Locale("km_KH"))


def _is_khmer(ch: str) -> bool:
    return bool(_KHMER.match(ch))


def mark_word_breaks(text: str | None) -> str:
    """Insert zero-width spaces between Khmer words; other text is left as it is."""
    if not text or not _KHMER.search(text):
        return text or ""
    breaker = _breaker()
    breaker.setText(text)
    # ICU works in UTF-16 code units; Khmer is all in the BMP, but be exact anyway.
    utf16 = text.encode("utf-16-le")
    out: list[str] = []
    start = 0
    for boundary in breaker:
        piece = utf16[start * 2 : boundary * 2].decode("utf-16-le")
        out.append(piece)
        nxt = utf16[boundary * 2 : boundary * 2 + 2].decode("utf-16-le", errors="ignore")
        if piece and nxt and _is_khmer(piece[-1]) and _is_khmer(nxt):
            out.append(ZWSP)
        start = boundary
    return "".join(out)
