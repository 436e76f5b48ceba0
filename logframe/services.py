"""Reads other domains rely on: the current version and its results, found by stable key.

Indicators and budget lines store a result's ``key`` (stable across plan versions) and
resolve it here; they never query the logframe tables themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy import orm as so

from logframe.models import Level, Plan, PlanError, PlanVersion, Result, VersionStatus  # noqa: F401 (PlanError re-exported)


def current_version(session: so.Session, approved_only: bool = False) -> PlanVersion | None:
    """The latest approved version; without one, the latest draft (unless approved_only)."""
    approved = session.scalar(
        sa.select(PlanVersion)
        .where(PlanVersion.status == VersionStatus.APPROVED)
        .order_by(PlanVersion.number.desc())
        .limit(1)
    )
    if approved is not None or approved_only:
        return approved
    return session.scalar(sa.select(PlanVersion).order_by(PlanVersion.number.desc()).limit(1))


def result_options(
    session: so.Session, levels: Iterable[str] = (Level.OUTCOME, Level.OUTPUT, Level.ACTIVITY)
) -> list[Result]:
    """Results of the current version at the given levels, in code order, for select boxes."""
    version = current_version(session)
    if version is None:
        return []
    rows = session.scalars(
        sa.select(Result).where(
            Result.version_id == version.id, Result.level.in_([str(lv) for lv in levels])
        )
    ).all()
    return sorted(rows, key=lambda r: code_sort_key(r.code))


def results_by_key(session: so.Session, keys: Iterable[str]) -> dict[str, Result]:
    """Results of the current version with these keys (one query)."""
    version = current_version(session)
    keys = list(set(keys))
    if version is None or not keys:
        return {}
    rows = session.scalars(
        sa.select(Result).where(Result.version_id == version.id, Result.key.in_(keys))
    )
    return {r.key: r for r in rows}


# --- hooks for the domains above ---------------------------------------------------
# The logframe may not import indicators or budget (they import it), yet it must refuse
# a delete that would orphan their data and show their indicators in the matrix. Those
# domains register callbacks here when their module is imported.

DeleteGuard = Callable[[so.Session, list[str]], list[str]]
MatrixProvider = Callable[[so.Session, list[str]], dict[str, list[dict]]]

_delete_guards: list[DeleteGuard] = []
_matrix_providers: list[MatrixProvider] = []


def register_delete_guard(guard: DeleteGuard) -> DeleteGuard:
    """``guard(session, result_keys)`` returns reasons (translated) why they cannot go."""
    if guard not in _delete_guards:
        _delete_guards.append(guard)
    return guard


def delete_blockers(session: so.Session, result_keys: list[str]) -> list[str]:
    reasons: list[str] = []
    for guard in _delete_guards:
        reasons.extend(guard(session, result_keys))
    return reasons


def register_matrix_provider(provider: MatrixProvider) -> MatrixProvider:
    """``provider(session, result_keys)`` returns {key: [row, ...]} for the matrix's
    indicator column; each row is a dict the matrix template renders."""
    if provider not in _matrix_providers:
        _matrix_providers.append(provider)
    return provider


def matrix_rows(session: so.Session, result_keys: list[str]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for provider in _matrix_providers:
        for key, rows in provider(session, result_keys).items():
            out.setdefault(key, []).extend(rows)
    return out


# --- errors and reads ----------------------------------------------------------------


def plan_of(session: so.Session) -> Plan | None:
    """The programme has one strategic plan at a time: the most recent one."""
    return session.scalar(sa.select(Plan).order_by(Plan.start_year.desc(), Plan.id.desc()).limit(1))


def version_by_number(session: so.Session, plan: Plan, number: int) -> PlanVersion | None:
    return session.scalar(
        sa.select(PlanVersion).where(PlanVersion.plan_id == plan.id, PlanVersion.number == number)
    )


def versions_of(session: so.Session, plan: Plan) -> list[PlanVersion]:
    return list(
        session.scalars(
            sa.select(PlanVersion)
            .where(PlanVersion.plan_id == plan.id)
            .order_by(PlanVersion.number.desc())
        )
    )


def draft_of(session: so.Session, plan: Plan) -> PlanVersion | None:
    return session.scalar(
        sa.select(PlanVersion).where(
            PlanVersion.plan_id == plan.id, PlanVersion.status == VersionStatus.DRAFT
        )
    )


def latest_approved(session: so.Session, plan: Plan) -> PlanVersion | None:
    return session.scalar(
        sa.select(PlanVersion)
        .where(PlanVersion.plan_id == plan.id, PlanVersion.status == VersionStatus.APPROVED)
        .order_by(PlanVersion.number.desc())
        .limit(1)
    )


def load_results(
    session: so.Session,
    version: PlanVersion,
    levels: Iterable[str] | None = None,
    links: bool = True,
) -> list[Result]:
    """Every result of a version (or only those ``levels``) with its responsible
    organisation and, with ``links``, its partners and provinces, in a fixed number of
    queries whatever the size of the plan. Pages that do not show partners and provinces
    (the matrix) ask for ``links=False`` and the levels they show."""
    options = [so.joinedload(Result.responsible)]
    if links:
        options += [so.selectinload(Result.partners), so.selectinload(Result.provinces)]
    stmt = sa.select(Result).where(Result.version_id == version.id).options(*options)
    if levels is not None:
        stmt = stmt.where(Result.level.in_([str(lv) for lv in levels]))
    return list(session.scalars(stmt).unique())


@dataclass
class Node:
    """A result and its children, built from one flat list (no lazy loads)."""

    result: Result
    children: list[Node] = field(default_factory=list)
    depth: int = 0

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


def build_tree(results: Iterable[Result]) -> list[Node]:
    nodes = {r.id: Node(r) for r in results}
    roots: list[Node] = []
    for node in nodes.values():
        parent = nodes.get(node.result.parent_id) if node.result.parent_id else None
        (parent.children if parent else roots).append(node)
    for node in nodes.values():
        node.children.sort(key=lambda n: (n.result.position, n.result.id or 0))
    roots.sort(key=lambda n: (n.result.position, n.result.id or 0))

    def set_depth(node: Node, depth: int) -> None:
        node.depth = depth
        for child in node.children:
            set_depth(child, depth + 1)

    for root in roots:
        set_depth(root, 0)
    return roots


def flat_tree(results: Iterable[Result]) -> list[Node]:
    return [n for root in build_tree(results) for n in root.walk()]


def code_sort_key(code: str) -> list[int]:
    return [int(p) if p.isascii() and p.isdigit() else 0 for p in code.split(".")] if code else []


def seed_steps():
    from logframe.seed import seed_plan

    return [("plan", seed_plan)]


# Domains above may add their own sections to the comparison of two versions (e.g. the
# indicators measured against the results). ``provider(session, old, new)`` returns a
# list of sections: {"title": str, "added": [str], "removed": [str],
# "changed": [{"label": str, "changes": [(field_label, old, new), ...]}]}.
VersionDiffProvider = Callable[[so.Session, PlanVersion, PlanVersion], list[dict]]
_diff_providers: list[VersionDiffProvider] = []


def register_version_diff(provider: VersionDiffProvider) -> VersionDiffProvider:
    if provider not in _diff_providers:
        _diff_providers.append(provider)
    return provider


def version_diff_sections(session: so.Session, old: PlanVersion, new: PlanVersion) -> list[dict]:
    sections: list[dict] = []
    for provider in _diff_providers:
        sections.extend(provider(session, old, new))
    return sections
