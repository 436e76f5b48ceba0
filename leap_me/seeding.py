"""``leap-me seed``: load the plain data files under ``seeds/`` in dependency order.

Every step matches existing rows on their codes, so running the seed twice is the same as
running it once, and a seed never overwrites what users have edited since.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from sqlalchemy import orm as so

Step = tuple[str, Callable[[so.Session, Path], int]]

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.lru_cache(maxsize=32)
def _parsed(path: str, mtime_ns: int) -> Any:
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=_Loader)  # noqa: S506 - a safe loader


def load_yaml(path: Path) -> Any:
    """A seed file, parsed once per change of the file (the C parser when available).

    Callers get their own copy, so they may change what they read.
    """
    path = Path(path)
    return copy.deepcopy(_parsed(str(path), path.stat().st_mtime_ns))


def seed_users(session: so.Session, seeds: Path) -> int:
    from leap_me.auth.models import User
    from stakeholders.services import organisations_by_code

    data = load_yaml(seeds / "users.yaml")
    orgs = organisations_by_code(session)
    existing = set(session.scalars(sa.select(User.username)))
    added = 0
    for item in data["users"]:
        if item["username"] in existing:
            continue
        org = orgs.get(item.get("organisation") or "")
        user = User(
            username=item["username"],
            role=item["role"],
            full_name=item.get("full_name", ""),
            organisation_id=org.id if org else None,
        )
        user.set_password(item.get("password") or data["password"])
        session.add(user)
        added += 1
    session.flush()
    return added


def steps() -> list[Step]:
    """The stakeholders' steps, the demo users, then each later domain's own steps."""
    import importlib

    from leap_me import DOMAINS
    from stakeholders import services as stakeholders

    out: list[Step] = [
        ("provinces", lambda s, d: stakeholders.seed_provinces(s, d / "provinces.csv")),
        (
            "organisations",
            lambda s, d: stakeholders.seed_organisations(s, d / "organisations.yaml"),
        ),
        ("users", seed_users),
    ]
    for domain in DOMAINS[1:]:
        services = importlib.import_module(f"{domain}.services")
        out.extend(getattr(services, "seed_steps", list)())
    return out


def demo_accounts(seeds: Path) -> list[tuple[str, str, str]]:
    data = load_yaml(seeds / "users.yaml")
    return [
        (u["username"], u.get("password") or data["password"], u["role"]) for u in data["users"]
    ]


#: The steps every test starts from: the places, bodies and demo accounts.
BASE_STEPS = ("provinces", "organisations", "users")


def seed_all(
    session: so.Session,
    seeds: Path,
    only: tuple[str, ...] | None = None,
    on_step: Callable[[str], None] | None = None,
) -> dict[str, int]:
    from leap_me import audit

    counts = {}
    with audit.reason("seed data"):
        for name, step in steps():
            if only is None or name in only:
                counts[name] = step(session, seeds)
                if on_step:
                    on_step(name)
    return counts


def is_empty(session: so.Session) -> bool:
    from stakeholders.models import Province

    return session.scalar(sa.select(sa.func.count(Province.id))) == 0
