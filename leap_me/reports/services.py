"""The reports' entry points for the application shell (seed steps)."""

from __future__ import annotations


def seed_steps():
    """The reports have no seed data of their own."""
    return []
