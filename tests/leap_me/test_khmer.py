"""Khmer in PDFs: WeasyPrint shapes it, and ICU finds where lines may wrap."""

import shutil
import subprocess
from pathlib import Path

import pytest

from leap_me.khmer import ZWSP, mark_word_breaks

FONT = (
    Path(__file__).resolve().parents[2]
    / "leap_me/static/fonts/noto-sans-khmer-khmer-400-normal.woff2"
)


def test_word_breaks_fall_between_khmer_words():
    text = "ការជួញដូរមនុស្ស និងការកេងប្រវ័ញ្ចផ្លូវភេទលើកុមារ LEAP 2026"
    marked = mark_word_breaks(text)
    assert marked.replace(ZWSP, "") == text  # nothing else changes
    words = marked.replace(" ", ZWSP).split(ZWSP)
    for word in ("ការ", "ជួញដូរ", "មនុស្ស", "កុមារ", "ផ្លូវភេទ"):
        assert word in words
    # A coeng cluster is never cut: no break right before the subscript sign.
    assert ZWSP + "\u17d2" not in marked and "\u17d2" + ZWSP not in marked


def test_text_without_khmer_is_untouched():
    assert mark_word_breaks("Cases investigated 2026") == "Cases investigated 2026"
    assert mark_word_breaks(None) == ""


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
def test_weasyprint_renders_shaped_khmer(tmp_path):
    import weasyprint

    text = mark_word_breaks("ការជួញដូរមនុស្ស និងការកេងប្រវ័ញ្ចផ្លូវភេទលើកុមារ " * 4)
    html = (
        f"<html lang='km'><style>@font-face{{font-family:K;src:url('{FONT.as_uri()}')}}"
        f"body{{font-family:K;width:8cm}}</style><p>{text}</p></html>"
    )
    pdf = tmp_path / "km.pdf"
    weasyprint.HTML(string=html).write_pdf(pdf)
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    assert "+K" in fonts  # the served Khmer font is embedded
    extracted = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True)
    assert "ការជួញដូរមនុស្ស" in extracted.stdout
    assert "\u25cc" not in extracted.stdout  # no dotted circles: the vowels were shaped
