"""The main menu: which sections each role sees, in one table."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from leap_me.auth.roles import ALL_ROLES, Role


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object
    roles: tuple[Role, ...]
    prefix: str  # URL prefix that marks the item as current

    @property
    def is_current(self) -> bool:
        return request.path == self.prefix or (
            self.prefix != "/" and request.path.startswith(self.prefix)
        )


NAV: list[NavItem] = [
    NavItem("main.home", _l("Home"), ALL_ROLES, "/"),
    NavItem("logframe.plan", _l("Plan"), ALL_ROLES, "/plan"),
    NavItem("logframe.activities", _l("Activities"), ALL_ROLES, "/activities"),
    NavItem("indicators.registry", _l("Indicators"), ALL_ROLES, "/indicators"),
    NavItem(
        "indicators.submissions",
        _l("Submissions"),
        (Role.PARTNER, Role.REVIEWER, Role.PLANNER, Role.ADMIN),
        "/submissions",
    ),
    NavItem("indicators.quality", _l("Data quality"), (Role.REVIEWER, Role.PLANNER), "/quality"),
    NavItem("indicators.periods", _l("Periods"), (Role.PLANNER, Role.REVIEWER), "/periods"),
    NavItem("budget.schedule", _l("Budget"), ALL_ROLES, "/budget"),
    NavItem("reports.variance_page", _l("Variance"), ALL_ROLES, "/variance"),
    NavItem(
        "reports.progress_index",
        _l("Progress report"),
        (Role.ADMIN, Role.PLANNER, Role.REVIEWER, Role.VIEWER),
        "/reports/progress",
    ),
    NavItem("reports.published_list", _l("Published reports"), ALL_ROLES, "/reports/published"),
    NavItem("stakeholders.organisations", _l("Organisations"), ALL_ROLES, "/organisations"),
    NavItem("admin.users", _l("Users"), (Role.ADMIN,), "/admin"),
]


def items_for_current_user() -> list[NavItem]:
    if not current_user or not current_user.is_authenticated:
        return []
    endpoints = current_app.view_functions
    return [i for i in NAV if current_user.role in i.roles and i.endpoint in endpoints]
