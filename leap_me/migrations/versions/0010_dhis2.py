"""exchange: stable external identifiers (DHIS2 UIDs)

Revision ID: 0010_dhis2
Revises: 0009_reports
Create Date: 2026-12-01 10:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0010_dhis2'
down_revision = '0009_reports'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('exchange_external_id',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('uid', sa.String(length=11), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_external_id')),
    sa.UniqueConstraint('kind', 'key', name='kind_key'),
    sa.UniqueConstraint('kind', 'uid', name='kind_uid')
    )


def downgrade():
    op.drop_table('exchange_external_id')
