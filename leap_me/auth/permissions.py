"""Every permission rule in one place: role decorators and per-object ``can_*`` helpers.

Views call these and never test roles themselves, so a rule changes in one line here.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, request
from flask_login import current_user

from leap_me.auth.roles import ALL_ROLES, Role
from leap_me.extensions import login_manager

F = TypeVar("F", bound=Callable[..., Any])

EDITORS = (Role.PLANNER,)
READERS = ALL_ROLES


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Signed-in users with one of ``roles`` pass; others get the sign-in page or 403."""
    allowed = {str(r) for r in roles}

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                if request.path.startswith("/api/"):
                    abort(401)
                return login_manager.unauthorized()
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = frozenset(allowed)  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def signed_in(view: F) -> F:
    """Any signed-in user."""
    return roles_required(*ALL_ROLES)(view)


# --- per-object rules -------------------------------------------------------------


def can_manage_users(user: Any) -> bool:
    return user.is_authenticated and user.role == Role.ADMIN


def can_edit_organisations(user: Any) -> bool:
    return user.is_authenticated and user.role in (Role.ADMIN, Role.PLANNER)


def can_see_contacts(user: Any) -> bool:
    """Contacts are personal data: the people who coordinate the programme see them."""
    return user.is_authenticated and user.role in (Role.ADMIN, Role.PLANNER, Role.REVIEWER)


def can_see_history(user: Any) -> bool:
    return user.is_authenticated and user.role in (Role.ADMIN, Role.PLANNER, Role.REVIEWER)


def can_edit_plan(user: Any) -> bool:
    return user.is_authenticated and user.role == Role.PLANNER


def can_read_drafts_of_plan(user: Any) -> bool:
    """Partners read the approved plan only; everyone else may follow the draft."""
    return user.is_authenticated and user.role != Role.PARTNER


def can_see_organisation_data(user: Any, organisation_id: int | None) -> bool:
    """A partner sees only its own organisation's unapproved data; others see all."""
    if not user.is_authenticated:
        return False
    if user.role == Role.PARTNER:
        return organisation_id is not None and user.organisation_id == organisation_id
    return True


def can_edit_indicators(user: Any) -> bool:
    """Indicators are designed by the M&E consultant together with MoI planners."""
    return user.is_authenticated and user.role in (Role.PLANNER, Role.REVIEWER)


def can_edit_budget(user: Any) -> bool:
    return user.is_authenticated and user.role == Role.PLANNER


def can_see_budget_detail(user: Any) -> bool:
    """Partners see budget totals only."""
    return user.is_authenticated and user.role != Role.PARTNER


def can_read_version(user: Any, version: Any) -> bool:
    """Approved versions are open to every signed-in user; drafts not to partners."""
    if not user.is_authenticated or version is None:
        return False
    return version.status == "approved" or can_read_drafts_of_plan(user)


def can_edit_version(user: Any, version: Any) -> bool:
    """Only a draft changes, and only by a planner: approved versions are frozen."""
    return can_edit_plan(user) and version is not None and version.status == "draft"


def can_update_monitoring(user: Any) -> bool:
    """Weekly status, progress and delay notes of activities: the planners' job."""
    return can_edit_plan(user)


def can_manage_periods(user: Any) -> bool:
    """Planners open, close and lock reporting periods; reviewers follow them."""
    return user.is_authenticated and user.role == Role.PLANNER


# --- submissions (issue 9) ------------------------------------------------------------


def can_view_submission(user: Any, submission: Any) -> bool:
    """Partners see their own organisation's submissions; reviewers, planners and admins
    see all; viewers (donors) the approved ones only. Only partners and the reviewer
    change them."""
    if not user.is_authenticated or submission is None:
        return False
    if user.role == Role.PARTNER:
        return user.organisation_id == submission.organisation_id
    if user.role == Role.VIEWER:
        return submission.status == "approved"
    return True


def can_edit_submission(user: Any, submission: Any) -> bool:
    """The partner of that organisation, while the submission is a draft or returned (or
    approved with values a reviewer re-opened) and its period is open."""
    if not user.is_authenticated or submission is None or user.role != Role.PARTNER:
        return False
    if user.organisation_id != submission.organisation_id:
        return False
    if submission.period is None or submission.period.status != "open":
        return False
    if submission.status in ("draft", "returned"):
        return True
    return submission.status == "approved" and any(v.reopened for v in submission.values)


def can_submit(user: Any, submission: Any) -> bool:
    return (
        can_edit_submission(user, submission)
        and submission.status in ("draft", "returned")
    )


def can_review(user: Any) -> bool:
    """The M&E reviewer approves, returns and re-opens; an admin reads the queue only."""
    return user.is_authenticated and user.role == Role.REVIEWER


def can_see_review_queue(user: Any) -> bool:
    return user.is_authenticated and user.role in (Role.REVIEWER, Role.ADMIN, Role.PLANNER)


def can_comment(user: Any, value: Any) -> bool:
    """The reviewer, and the partner of the value's organisation."""
    if not user.is_authenticated or value is None:
        return False
    if user.role == Role.REVIEWER:
        return True
    return user.role == Role.PARTNER and user.organisation_id == value.organisation_id


def can_manage_rules(user: Any) -> bool:
    """Cross-check rules: planners (with the reviewer, who designs the checks)."""
    return user.is_authenticated and user.role in (Role.PLANNER, Role.REVIEWER)


def can_decide_findings(user: Any) -> bool:
    return can_review(user)


def can_see_completeness(user: Any) -> bool:
    return user.is_authenticated and user.role != Role.PARTNER

def can_preview_values(user: Any) -> bool:
    """Variance previews that count submitted (not yet approved) values: the people who
    review and plan; partners and donors see approved figures only."""
    return user.is_authenticated and user.role in (Role.PLANNER, Role.REVIEWER, Role.ADMIN)


def can_record_dedup(user: Any) -> bool:
    """De-duplication adjustments of sector totals are the M&E reviewer's call."""
    return user.is_authenticated and user.role == Role.REVIEWER


def can_read_progress_report(user: Any) -> bool:
    """The live progress report lists every organisation's findings and explanations:
    everyone signed in but partners (who read the published reports)."""
    return user.is_authenticated and user.role != Role.PARTNER


def can_write_narratives(user: Any) -> bool:
    """The report's narratives per outcome are the planner's."""
    return user.is_authenticated and user.role == Role.PLANNER


def can_publish_reports(user: Any) -> bool:
    return user.is_authenticated and user.role == Role.PLANNER


def can_read_published_reports(user: Any) -> bool:
    """Published reports are the programme's official record: every signed-in role."""
    return user.is_authenticated
