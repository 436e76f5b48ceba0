"""Search, filter, sort and paginate a list page from its query string, the same way everywhere."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import request, url_for
from sqlalchemy import orm as so

from leap_me import numbers


@dataclass
class Page:
    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first_index(self) -> int:
        return 0 if self.total == 0 else (self.page - 1) * self.per_page + 1

    @property
    def last_index(self) -> int:
        return min(self.total, self.page * self.per_page)


@dataclass
class Listing:
    query: sa.Select
    search: Sequence[Any] = ()
    sorts: Mapping[str, Any] = field(default_factory=dict)
    default_sort: str | None = None
    filters: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        args = request.args
        self.q = args.get("q", "").strip()[:100]
        self.sort = args.get("sort") if args.get("sort") in self.sorts else self.default_sort
        self.direction = "desc" if args.get("dir") == "desc" else "asc"
        self.active_filters = {k: args[k] for k in self.filters if args.get(k) not in (None, "")}
        self.page_number = numbers.query_int("page", minimum=1, default=1, args=args)

    def statement(self) -> sa.Select:
        stmt = self.query
        if self.q and self.search:
            escaped = self.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            pattern = f"%{escaped}%"
            stmt = stmt.where(sa.or_(*(col.ilike(pattern, escape="\\") for col in self.search)))
        for key, value in self.active_filters.items():
            stmt = stmt.where(self.filters[key] == value)
        if self.sort:
            col = self.sorts[self.sort]
            stmt = stmt.order_by(col.desc() if self.direction == "desc" else col.asc())
        return stmt

    def paginate(self, session: so.Session, per_page: int) -> Page:
        stmt = self.statement()
        total = session.scalar(
            sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())
        )
        pages = max(1, -(-(total or 0) // per_page))
        number = min(self.page_number, pages)
        items = list(session.scalars(stmt.limit(per_page).offset((number - 1) * per_page)).unique())
        return Page(items=items, page=number, per_page=per_page, total=total or 0)

    def url(self, **changes: Any) -> str:
        """The current list's URL with some query arguments changed."""
        args = {k: v for k, v in request.args.items() if v not in ("", None)}
        args.update({k: v for k, v in changes.items()})
        args = {k: v for k, v in args.items() if v not in ("", None)}
        return url_for(request.endpoint, **(request.view_args or {}), **args)

    def sort_url(self, key: str) -> str:
        direction = "desc" if self.sort == key and self.direction == "asc" else "asc"
        return self.url(sort=key, dir=direction, page=None)

    def sort_mark(self, key: str) -> str:
        if self.sort != key:
            return ""
        return "▲" if self.direction == "asc" else "▼"
