"""The planner's narratives of the progress report: one per outcome per period, in
English and Khmer, saved as drafts until the report is published (publishing copies
them into the frozen snapshot; later edits change the live report only).

One writer, :func:`save`; the edit form's lock token is :func:`token` (optimistic
locking of leap_me/locking.py: a fingerprint of what the form was opened with).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy import orm as so

from indicators.services.common import ValidationError
from leap_me import locking
from leap_me.reports.models import ReportNarrative

#: The longest narrative, per language (a few pages of text).
MAX_CHARS = 20_000


def get(session: so.Session, period_id: int, outcome_key: str) -> ReportNarrative | None:
    return session.scalar(
        sa.select(ReportNarrative).where(
            ReportNarrative.period_id == period_id, ReportNarrative.outcome_key == outcome_key
        )
    )


def token(narrative: ReportNarrative | None) -> str:
    """What the edit form carries: changes whenever someone saves the narrative."""
    if narrative is None:
        return locking.fingerprint([("", "")])
    return locking.fingerprint([(narrative.text_en or "", narrative.text_km or "")])


def clean(text: Any, label: str) -> str:
    value = (text or "").replace("\r\n", "\n").strip()
    if len(value) > MAX_CHARS:
        raise ValidationError(
            _("%(field)s is too long: at most %(n)s characters.", field=label, n=MAX_CHARS),
            field=label,
        )
    return value


def save(
    session: so.Session,
    *,
    period: Any,
    outcome_key: str,
    text_en: str,
    text_km: str,
    user: Any,
) -> ReportNarrative:
    """Create or update the narrative (audited field by field by the session listener)."""
    narrative = get(session, period.id, outcome_key)
    if narrative is None:
        narrative = ReportNarrative(period_id=period.id, period=period, outcome_key=outcome_key)
        session.add(narrative)
    narrative.text_en = text_en
    narrative.text_km = text_km
    narrative.updated_by_id = getattr(user, "id", None)
    session.flush()
    return narrative
