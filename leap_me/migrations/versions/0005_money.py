"""money: budget amounts exact on SQLite (integer hundredths, see leap_me.db.Money)

SQLite keeps NUMERIC as a 15-digit float, so 99999999999999.99 came back as …98. The
column stays NUMERIC(16, 2) on both databases; on SQLite its values become integer
hundredths, which SQLite stores exactly. PostgreSQL already keeps NUMERIC exactly: nothing
changes there.

Revision ID: 0005_money
Revises: 0004_budget
"""

from __future__ import annotations

from alembic import op

revision = "0005_money"
down_revision = "0004_budget"
branch_labels = None
depends_on = None

TABLES = ("budget_planned", "budget_spending")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        op.execute(
            f"UPDATE {table} SET amount = CAST(ROUND(amount * 100) AS INTEGER)"  # noqa: S608
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        op.execute(f"UPDATE {table} SET amount = amount / 100.0")  # noqa: S608
