"""exchange rates kept as dated data: exchange_rates (one per pair and day, never
changed) and exchange_rate_loads (who loaded which rates, when, from what source)

Revision ID: e5f1a2b3c4d7
Revises: a1c2e3f4b5d6
Create Date: 2026-12-08 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import crowdfund.db


# revision identifiers, used by Alembic.
revision = 'e5f1a2b3c4d7'
down_revision = 'a1c2e3f4b5d6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('exchange_rate_loads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('loaded_by_id', sa.Integer(), nullable=True),
    sa.Column('loaded_at', crowdfund.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=True),
    sa.Column('added', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['loaded_by_id'], ['users.id'], name=op.f('fk_exchange_rate_loads_loaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_rate_loads'))
    )
    op.create_table('exchange_rates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('base', sa.String(length=3), nullable=False),
    sa.Column('quote', sa.String(length=3), nullable=False),
    sa.Column('rate', sa.String(length=24), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('loaded_by_id', sa.Integer(), nullable=True),
    sa.Column('loaded_at', crowdfund.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('load_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('base <> quote', name=op.f('ck_exchange_rates_two_currencies')),
    sa.ForeignKeyConstraint(['load_id'], ['exchange_rate_loads.id'], name=op.f('fk_exchange_rates_load_id_exchange_rate_loads')),
    sa.ForeignKeyConstraint(['loaded_by_id'], ['users.id'], name=op.f('fk_exchange_rates_loaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_rates')),
    sa.UniqueConstraint('base', 'quote', 'effective_on', name='uq_exchange_rates_base_quote_effective_on')
    )
    with op.batch_alter_table('exchange_rates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_rates_load_id'), ['load_id'], unique=False)


def downgrade():
    with op.batch_alter_table('exchange_rates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchange_rates_load_id'))

    op.drop_table('exchange_rates')
    op.drop_table('exchange_rate_loads')
