"""Flexible funding (issue 28): a campaign's funding model (all or nothing, the default for
every campaign so far, or flexible), and the operators' switch that turns flexible funding
off per category, with its audit trail

Revision ID: f1e2a3b4c5d6
Revises: c4e8a1f7d2b9
Create Date: 2026-12-14 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import crowdfund.db


# revision identifiers, used by Alembic.
revision = 'f1e2a3b4c5d6'
down_revision = 'c4e8a1f7d2b9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('funding_model', sa.Enum(
            'all_or_nothing', 'flexible', name='fundingmodel', native_enum=False, length=32),
            server_default='all_or_nothing', nullable=False))
    op.create_table(
        'flexible_funding_off',
        sa.Column('category', sa.String(length=32), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=False),
        sa.Column('created_at', crowdfund.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id'],
                                name=op.f('fk_flexible_funding_off_actor_id_users')),
        sa.PrimaryKeyConstraint('category', name=op.f('pk_flexible_funding_off')),
    )
    op.create_table(
        'flexible_funding_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('category', sa.String(length=32), nullable=False),
        sa.Column('allowed', sa.Boolean(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('created_at', crowdfund.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id'],
                                name=op.f('fk_flexible_funding_changes_actor_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_flexible_funding_changes')),
    )
    with op.batch_alter_table('flexible_funding_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_flexible_funding_changes_category'), ['category'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('flexible_funding_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_flexible_funding_changes_category'))
    op.drop_table('flexible_funding_changes')
    op.drop_table('flexible_funding_off')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('funding_model')
