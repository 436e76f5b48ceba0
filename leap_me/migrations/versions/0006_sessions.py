"""accounts: server-side sessions, case-insensitive usernames, per-address throttling

Revision ID: 0006_sessions
Revises: 0005_money
Create Date: 2026-12-01 10:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_sessions'
down_revision = '0005_money'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('user_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('user_agent', sa.String(length=200), nullable=False),
    sa.Column('remote_addr', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_user_session_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_session')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_user_session_token_hash'))
    )
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_session_user_id'), ['user_id'], unique=False)

    # Usernames become case-insensitive: stored in lower case, unique whatever the case.
    conn = op.get_bind()
    clashes = conn.execute(sa.text(
        "SELECT lower(username) FROM user_account GROUP BY lower(username) HAVING count(*) > 1"
    )).scalars().all()
    if clashes:
        raise RuntimeError(
            "These usernames differ only in case; rename one of each pair, then upgrade "
            "again: " + ", ".join(clashes)
        )
    conn.execute(sa.text("UPDATE user_account SET username = lower(username) "
                         "WHERE username <> lower(username)"))
    op.create_index('uq_user_account_username_ci', 'user_account',
                    [sa.text('lower(username)')], unique=True)
    op.create_index('ix_login_attempt_remote_addr_created', 'login_attempt',
                    ['remote_addr', 'created_dt'], unique=False)


def downgrade():
    op.drop_index('ix_login_attempt_remote_addr_created', table_name='login_attempt')
    op.drop_index('uq_user_account_username_ci', table_name='user_account')
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_session_user_id'))

    op.drop_table('user_session')
