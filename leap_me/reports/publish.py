"""Publishing a progress report: freeze it, byte for byte.

:func:`publish` builds the report in English and Khmer from the live data, and stores in
one transaction a :class:`PublishedReport` with its files (:class:`ReportFile`):

* ``snapshot.json`` — the figures and the narratives of the day (language-independent);
* ``report-en.html`` / ``report-km.html`` — the rendered documents;
* ``report-en.pdf`` / ``report-km.pdf`` — the PDFs.

Downloads serve the stored bytes, never a new rendering: a later change of an approved
value, a target or a narrative changes the live report only. The report's ``fingerprint``
(sha256 of the snapshot) is compared with a fresh build to say whether the live figures
have moved since. Creating the row is audited (leap_me/audit.py) like every change.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy import orm as so

from leap_me.db import utcnow
from leap_me.reports import progress, render
from leap_me.reports.models import PublishedReport, ReportFile

FILES = {
    "snapshot.json": "application/json",
    "report-en.html": "text/html; charset=utf-8",
    "report-km.html": "text/html; charset=utf-8",
    "report-en.pdf": "application/pdf",
    "report-km.pdf": "application/pdf",
}


def file_name(kind: str, lang: str | None = None) -> str | None:
    """The stored file for a download: kind pdf/html/json, lang en/km."""
    if kind == "json":
        return "snapshot.json"
    if kind in ("pdf", "html") and lang in progress.LANGS:
        return f"report-{lang}.{kind}"
    return None


def publish(session: so.Session, period_code: str, *, user: Any) -> PublishedReport:
    """Freeze the progress report of ``period_code`` (approved values only)."""
    reports = {lang: progress.build(session, period_code, lang) for lang in progress.LANGS}
    snapshot = reports["en"].snapshot()
    now = utcnow().replace(microsecond=0)
    contents: dict[str, bytes] = {
        "snapshot.json": json.dumps(
            {**snapshot, "published_dt": now.isoformat()},
            ensure_ascii=False,
            sort_keys=True,
            indent=1,
        ).encode(),
    }
    for lang, report in reports.items():
        contents[f"report-{lang}.html"] = render.html(
            report, standalone=True, published_dt=now
        ).encode()
        contents[f"report-{lang}.pdf"] = render.pdf(report, published_dt=now)
    published = PublishedReport(
        period_id=reports["en"].period["id"],
        published_dt=now,
        published_by_id=getattr(user, "id", None),
        fingerprint=progress.fingerprint_of(snapshot),
    )
    for name, content in contents.items():
        published.files.append(
            ReportFile(
                name=name,
                content_type=FILES[name],
                sha256=hashlib.sha256(content).hexdigest(),
                content=content,
            )
        )
    session.add(published)
    session.flush()
    return published


def latest_for_period(session: so.Session, period_id: int) -> PublishedReport | None:
    return session.scalar(
        sa.select(PublishedReport)
        .where(PublishedReport.period_id == period_id)
        .options(so.joinedload(PublishedReport.published_by))
        .order_by(PublishedReport.published_dt.desc(), PublishedReport.id.desc())
        .limit(1)
    )


def list_published(
    session: so.Session, page: int = 1, per_page: int = 20
) -> tuple[list[PublishedReport], int]:
    """Published reports, newest first (two queries), without their files' bytes."""
    total = session.scalar(sa.select(sa.func.count()).select_from(PublishedReport)) or 0
    rows = list(
        session.scalars(
            sa.select(PublishedReport)
            .options(
                so.joinedload(PublishedReport.period),
                so.joinedload(PublishedReport.published_by),
            )
            .order_by(PublishedReport.published_dt.desc(), PublishedReport.id.desc())
            .limit(per_page)
            .offset((max(page, 1) - 1) * per_page)
        )
    )
    return rows, total


def sizes(session: so.Session, report_ids: list[int]) -> dict[tuple[int, str], int]:
    """{(report id, file name): size in bytes} without loading the files (one query)."""
    if not report_ids:
        return {}
    rows = session.execute(
        sa.select(ReportFile.report_id, ReportFile.name, sa.func.length(ReportFile.content)).where(
            ReportFile.report_id.in_(report_ids)
        )
    )
    return {(rid, name): int(n or 0) for rid, name, n in rows}


def get_file(session: so.Session, report_id: int, name: str) -> ReportFile | None:
    return session.scalar(
        sa.select(ReportFile).where(ReportFile.report_id == report_id, ReportFile.name == name)
    )


def publish_reason(period_code: str) -> str:
    return _("progress report %(period)s published", period=period_code)
