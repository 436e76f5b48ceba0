"""The history page every audited record has, read from the one audit trail."""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template

from leap_me import numbers
from leap_me.audit import history_select
from leap_me.extensions import db


def render_history(obj: Any, title: str, back_url: str):
    stmt = history_select(obj.__tablename__, obj.id)
    page = numbers.query_int("page", minimum=1, default=1)
    pagination = db.paginate(stmt, page=page, per_page=current_app.config["PAGE_SIZE"] * 2)
    return render_template(
        "history.html", entries=pagination, title=title, back_url=back_url, obj=obj
    )
