"""Disaggregation categories and their options, which planners may extend.

Options are added, never removed, so that every stored disaggregation key keeps its
meaning.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy import orm as so

from indicators.models import DisaggCategory, DisaggOption, IndicatorVersion, version_category
from indicators.services.common import ValidationError


def categories(session: so.Session) -> list[DisaggCategory]:
    return list(
        session.scalars(
            sa.select(DisaggCategory)
            .options(so.selectinload(DisaggCategory.options))
            .order_by(DisaggCategory.code)
        )
    )


def category_usage(session: so.Session) -> dict[int, int]:
    """How many current definitions use each category."""
    rows = session.execute(
        sa.select(version_category.c.category_id, sa.func.count())
        .join(IndicatorVersion, IndicatorVersion.id == version_category.c.version_id)
        .where(IndicatorVersion.is_current)
        .group_by(version_category.c.category_id)
    )
    return {cid: n for cid, n in rows}


def add_category(session: so.Session, code: str, name_en: str, name_km: str) -> DisaggCategory:
    code = (code or "").strip().lower()
    if session.scalar(sa.select(DisaggCategory.id).where(DisaggCategory.code == code)):
        raise ValidationError(_("A category with the code %(code)s exists.", code=code), "code")
    category = DisaggCategory(code=code, name_en=name_en.strip(), name_km=name_km.strip())
    session.add(category)
    session.flush()
    return category


def add_option(
    session: so.Session, category: DisaggCategory, code: str, name_en: str, name_km: str
) -> DisaggOption:
    code = (code or "").strip()
    if any(o.code == code for o in category.options):
        raise ValidationError(
            _("%(category)s already has the option %(code)s.", category=category.code, code=code),
            "code",
        )
    option = DisaggOption(
        code=code,
        name_en=name_en.strip(),
        name_km=name_km.strip(),
        position=len(category.options),
    )
    category.options.append(option)
    session.flush()
    return option
