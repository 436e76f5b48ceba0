"""Notifications: in the app (a count in the navigation, a page) and by email when
``MAIL_SERVER`` is configured (Flask's usual MAIL_* settings), in the recipient's language.

Deadline reminders come from :func:`send_due` (``leap-me notify due``, for cron). Each
reminder has a ``dedupe_key`` that is unique in the table, so running it twice creates
and sends nothing twice.
"""

from __future__ import annotations

import smtplib
from datetime import date, timedelta
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import orm as so

from indicators.models import (
    Notification,
    NotificationKind,
    PeriodStatus,
    ReportingPeriod,
    Submission,
    SubmissionStatus,
)
from leap_me.auth.models import User
from leap_me.db import utcnow

SOON_DAYS = 7


def _config(name: str, default: Any = None) -> Any:
    return current_app.config.get(name, default) if has_app_context() else default


def mail_enabled() -> bool:
    return bool(_config("MAIL_SERVER"))


def notify(
    session: so.Session,
    user: User,
    kind: str,
    submission: Submission | None = None,
    detail: dict | None = None,
    *,
    dedupe_key: str | None = None,
    email: bool = True,
) -> Notification | None:
    """Record one notification (None when ``dedupe_key`` was used before) and email it."""
    if dedupe_key is not None and session.scalar(
        sa.select(Notification.id).where(Notification.dedupe_key == dedupe_key)
    ):
        return None
    note = Notification(
        user_id=user.id,
        kind=NotificationKind(kind).value,
        submission_id=submission.id if submission is not None else None,
        detail=detail or {},
        dedupe_key=dedupe_key,
        created_at=utcnow(),
    )
    session.add(note)
    session.flush()
    if email and mail_enabled() and user.email:
        try:
            send_email(user, note, submission)
            note.emailed_at = utcnow()
        except (OSError, smtplib.SMTPException) as exc:  # the note stays in the app
            if has_app_context():
                current_app.logger.warning("notification email to %s failed: %s", user.email, exc)
        session.flush()
    return note


def _recipients(session: so.Session, organisation_id: int) -> list[User]:
    return list(
        session.scalars(
            sa.select(User).where(
                User.organisation_id == organisation_id,
                User.role == "partner",
                User.is_enabled,
            )
        )
    )


def _reviewers(session: so.Session) -> list[User]:
    return list(session.scalars(sa.select(User).where(User.role == "reviewer", User.is_enabled)))


def notify_organisation(session, submission: Submission, kind: str, detail: dict) -> int:
    """Tell the organisation's reporters (returned, approved)."""
    n = 0
    for user in _recipients(session, submission.organisation_id):
        if notify(session, user, kind, submission, detail):
            n += 1
    return n


def notify_comment(session, submission, value, comment, author) -> int:
    """A reviewer's comment goes to the partner's reporters, a partner's to the reviewers."""
    if submission is None:
        return 0
    role = getattr(author, "role", None)
    users = (
        _reviewers(session)
        if role == "partner"
        else _recipients(session, submission.organisation_id)
    )
    detail = {
        "value_id": value.id,
        "indicator": value.indicator.code if value.indicator else "",
        "comment_id": comment.id,
        "excerpt": comment.body[:200],
    }
    n = 0
    for user in users:
        if getattr(author, "id", None) == user.id:
            continue
        if notify(session, user, "commented", submission, detail):
            n += 1
    return n


def unread_count(session: so.Session, user: Any) -> int:
    return (
        session.scalar(
            sa.select(sa.func.count(Notification.id)).where(
                Notification.user_id == user.id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def list_for(
    session: so.Session, user: Any, page: int = 1, per_page: int = 25
) -> tuple[list[Notification], int]:
    stmt = sa.select(Notification).where(Notification.user_id == user.id)
    total = session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    rows = list(
        session.scalars(
            stmt.options(
                so.joinedload(Notification.submission).joinedload(Submission.organisation),
                so.joinedload(Notification.submission).joinedload(Submission.period),
            )
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(per_page)
            .offset((max(1, page) - 1) * per_page)
        )
    )
    return rows, total


def mark_read(session: so.Session, user: Any, ids: list[int] | None = None) -> int:
    """Mark the user's notifications read (all of them when ``ids`` is None)."""
    stmt = (
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(ids))
    return session.execute(stmt, execution_options={"synchronize_session": False}).rowcount


def send_due(session: so.Session, today: date | None = None) -> int:
    """Deadline reminders for open periods: 7 days before and once the deadline passed,
    to each reporter of an organisation that owes a submission not yet sent."""
    from indicators.services.owed import owing_organisations

    today = today or utcnow().date()
    created = 0
    periods = session.scalars(
        sa.select(ReportingPeriod).where(ReportingPeriod.status == PeriodStatus.OPEN.value)
    )
    for period in periods:
        days = (period.deadline - today).days
        if 0 <= days <= SOON_DAYS:
            kind = NotificationKind.DEADLINE_SOON.value
        elif days < 0:
            kind = NotificationKind.DEADLINE_PASSED.value
        else:
            continue
        done = dict(
            session.execute(
                sa.select(Submission.organisation_id, Submission.status).where(
                    Submission.period_id == period.id
                )
            ).all()
        )
        for org in owing_organisations(session, period):
            if done.get(org.id) in (SubmissionStatus.SUBMITTED, SubmissionStatus.APPROVED):
                continue
            sub = session.scalar(
                sa.select(Submission).where(
                    Submission.period_id == period.id, Submission.organisation_id == org.id
                )
            )
            for user in _recipients(session, org.id):
                note = notify(
                    session,
                    user,
                    kind,
                    sub,
                    {
                        "period": period.code,
                        "deadline": period.deadline.isoformat(),
                        "organisation": org.code,
                    },
                    dedupe_key=f"{kind}|{period.id}|{user.id}",
                )
                if note is not None:
                    created += 1
    return created


def message_text(note: Notification) -> str:
    """What the notification says, in the current language."""
    d = note.detail or {}
    sub = note.submission
    where = f"{sub.organisation.code} {sub.period.code}" if sub is not None else d.get("period", "")
    kind = note.kind
    if kind == "returned":
        return _(
            "Submission %(where)s was returned: %(reason)s", where=where, reason=d.get("reason", "")
        )
    if kind == "approved":
        return _("Submission %(where)s was approved.", where=where)
    if kind == "commented":
        return _(
            "New comment on %(indicator)s in %(where)s: %(excerpt)s",
            indicator=d.get("indicator", ""),
            where=where,
            excerpt=d.get("excerpt", ""),
        )
    if kind == "deadline_soon":
        return _(
            "The deadline for %(period)s is %(deadline)s: send your submission.",
            period=d.get("period", ""),
            deadline=d.get("deadline", ""),
        )
    return _(
        "The deadline for %(period)s (%(deadline)s) has passed and your submission has "
        "not been sent.",
        period=d.get("period", ""),
        deadline=d.get("deadline", ""),
    )


def send_email(user: User, note: Notification, submission: Submission | None = None) -> None:
    """One email through smtplib, in the recipient's language."""
    locale = user.locale or "en"
    with force_locale(locale):
        subject = "LEAP M&E: " + NotificationKind(note.kind).title
        body = message_text(note)
        if submission is not None:
            path = f"/submissions/{submission.organisation.code}/{submission.period.code}"
            body += "\n\n" + _("Open it in LEAP M&E: %(path)s", path=path)
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = _config("MAIL_DEFAULT_SENDER") or "leap-me@localhost"
    msg["To"] = user.email
    msg.set_content(body)
    host = _config("MAIL_SERVER")
    port = int(_config("MAIL_PORT", 25) or 25)
    timeout = float(_config("MAIL_TIMEOUT", 10))
    if _config("MAIL_USE_SSL"):
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout)
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    with smtp:
        if _config("MAIL_USE_TLS"):
            smtp.starttls()
        if _config("MAIL_USERNAME"):
            smtp.login(_config("MAIL_USERNAME"), _config("MAIL_PASSWORD") or "")
        smtp.send_message(msg)


def due_window(today: date) -> tuple[date, date]:
    return today, today + timedelta(days=SOON_DAYS)
