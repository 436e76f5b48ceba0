"""The progress report as HTML and as PDF, from ONE template (reports/progress.html).

* the page: the template extends base.html (navigation, actions);
* the document (stored HTML, PDF): it extends reports/_document.html, with the print
  sheet inlined and the running headers and footers of ``@page``;
* the PDF: WeasyPrint lays the document out with Pango and HarfBuzz (Khmer shaped) after
  :func:`leap_me.khmer.mark_word_breaks` has marked where Khmer lines may wrap. Fonts
  are the files of leap_me/static/fonts, embedded in the PDF.

Everything is rendered inside ``force_locale(report.lang)``: words, numbers and dates
are those of the report's language, whatever the reader's.
"""

from __future__ import annotations

import re
from contextlib import nullcontext
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from flask import current_app, has_request_context, render_template, url_for
from flask_babel import force_locale, format_decimal
from flask_babel import gettext as _

from leap_me.db import utcnow
from leap_me.khmer import mark_word_breaks
from leap_me.reports import present
from leap_me.reports.progress import ACTIVITY_STATUSES, ProgressReport
from leap_me.reports.variance import STATUSES

STATIC = Path(__file__).resolve().parents[1] / "static"


@cache
def _report_css() -> str:
    return (STATIC / "css" / "report.css").read_text(encoding="utf-8")


def pct(value: Any, base: int = 1) -> str:
    """A share for reading: ``base`` 1 for a fraction (0.25), 100 for a percentage (25)."""
    if value is None:
        return "—"
    number = float(value) * (100 if base == 1 else 1)
    return format_decimal(round(number, 1), format="#,##0.#") + " %"


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', "'") + '"'


def page_counter() -> str:
    """``"Page " counter(page) " of " counter(pages)`` in the current language."""
    marker = _("Page %(page)s of %(pages)s", page="\x00page\x00", pages="\x00pages\x00")
    parts = re.split(r"\x00(page|pages)\x00", marker)
    out = []
    for i, part in enumerate(parts):
        if i % 2:
            out.append(f"counter({part})")
        elif part:
            out.append(_css_string(part))
    return " ".join(out)


def _activity_titles() -> dict[str, str]:
    from logframe.models import ACTIVITY_STATUS_TITLES

    return {k: str(ACTIVITY_STATUS_TITLES[k]) for k in ACTIVITY_STATUSES}


def context(report: ProgressReport, *, standalone: bool, pdf: bool = False, **extra) -> dict:
    """What the template needs besides the report (in the report's language)."""
    if pdf:

        def asset(name: str) -> str:
            return (STATIC / name).as_uri()
    else:

        def asset(name: str) -> str:
            return url_for("static", filename=name)

    footer = _("Preview — not official") if report.preview else ""
    return {
        "r": report,
        "standalone": standalone,
        "asset": asset,
        "report_css": _report_css(),
        "statuses": STATUSES,
        "status_titles": {s: present.status_title(s) for s in STATUSES},
        "marks": present.STATUS_MARKS,
        "activity_statuses": ACTIVITY_STATUSES,
        "activity_titles": _activity_titles(),
        "pct": pct,
        "running_title": report.title,
        "page_counter": page_counter(),
        "footer_note": footer,
        "page": None,
        "made_dt": utcnow(),
        "published_dt": None,
        "lang": report.lang,
        **extra,
    }


def _request():
    """Templates build URLs: outside a request (publishing from the command line, a
    test), render inside a neutral one."""
    return nullcontext() if has_request_context() else current_app.test_request_context("/")


def html(
    report: ProgressReport, *, standalone: bool = True, local_files: bool = False, **extra
) -> str:
    """The report as HTML: the stored file of a published report, or the page.

    ``local_files`` points the fonts at this installation's files (``file://``), for a
    document written to disk by the command line."""
    with _request(), force_locale(report.lang):
        return render_template(
            "reports/progress.html",
            **context(report, standalone=standalone, pdf=local_files, **extra),
        )


def document_for_pdf(report: ProgressReport, **extra) -> str:
    with _request(), force_locale(report.lang):
        markup = render_template(
            "reports/progress.html", **context(report, standalone=True, pdf=True, **extra)
        )
    return mark_word_breaks(markup) if report.lang == "km" else markup


def pdf(report: ProgressReport, *, published_dt: datetime | None = None) -> bytes:
    """The report as PDF bytes (A4, running headers and footers, fonts embedded)."""
    import weasyprint

    markup = document_for_pdf(report, published_dt=published_dt)
    return weasyprint.HTML(string=markup, base_url=str(STATIC)).write_pdf()


def layout(report: ProgressReport):
    """The WeasyPrint layout (pages and boxes) of the PDF: for tests that check that no
    line of a table leaves its cell."""
    import weasyprint

    return weasyprint.HTML(string=document_for_pdf(report), base_url=str(STATIC)).render()
