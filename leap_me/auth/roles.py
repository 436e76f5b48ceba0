from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Role(StrEnum):
    ADMIN = "admin"
    PLANNER = "planner"
    PARTNER = "partner"
    REVIEWER = "reviewer"
    VIEWER = "viewer"

    @property
    def title(self) -> str:
        return str(ROLE_TITLES[self])

    @property
    def description(self) -> str:
        return str(ROLE_DESCRIPTIONS[self])


ROLE_TITLES = {
    Role.ADMIN: _l("Administrator"),
    Role.PLANNER: _l("MoI planner"),
    Role.PARTNER: _l("Partner reporter"),
    Role.REVIEWER: _l("M&E reviewer"),
    Role.VIEWER: _l("Donor / viewer"),
}

ROLE_DESCRIPTIONS = {
    Role.ADMIN: _l("Manages users, roles and organisations."),
    Role.PLANNER: _l("Edits the vision, plan, indicators, targets and budget."),
    Role.PARTNER: _l("Reports the values of one organisation."),
    Role.REVIEWER: _l("Reviews submissions and approves or returns them."),
    Role.VIEWER: _l("Reads dashboards and reports, and downloads them."),
}

ALL_ROLES = tuple(Role)
