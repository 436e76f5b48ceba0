"""locking: version columns for optimistic locking; a scenario remembers its source

Revision ID: 0007_locking
Revises: 0006_sessions
Create Date: 2026-12-01 10:30:00

Every record edited through a form gets a ``row_version`` counter (leap_me.locking); rows
that exist get 1. A scenario keeps the fingerprint of the approved schedule it was copied
from. Written with batch operations so that it runs on SQLite as on PostgreSQL.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_locking'
down_revision = '0006_sessions'
branch_labels = None
depends_on = None

VERSIONED = (
    'plan_version',
    'result',
    'indicator',
    'budget_schedule',
    'budget_line',
    'organisation',
    'user_account',
)


def upgrade():
    for table in VERSIONED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column('row_version', sa.Integer(), server_default='1', nullable=False)
            )
    with op.batch_alter_table('budget_schedule', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('based_on_fingerprint', sa.String(length=20), server_default='',
                      nullable=False)
        )


def downgrade():
    with op.batch_alter_table('budget_schedule', schema=None) as batch_op:
        batch_op.drop_column('based_on_fingerprint')
    for table in reversed(VERSIONED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('row_version')
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite rebuilt user_account to drop the column, and a rebuild loses expression
        # indexes: put back the case-insensitive username index of 0006_sessions.
        op.execute(
            'CREATE UNIQUE INDEX IF NOT EXISTS uq_user_account_username_ci '
            'ON user_account (lower(username))'
        )
