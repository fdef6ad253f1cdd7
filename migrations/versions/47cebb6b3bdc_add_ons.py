"""Add-ons: the items founders offer beside the reward tiers (add_ons), their shipping per
destination (add_on_shipping_rates) and the tiers they can join (add_on_tiers); what each
pledge takes of them, at the price and shipping of that moment (pledge_add_ons)

Revision ID: 47cebb6b3bdc
Revises: f1e2a3b4c5d6
Create Date: 2026-12-07 15:43:59.961769

"""
from alembic import op
import sqlalchemy as sa

import crowdfund.db


# revision identifiers, used by Alembic.
revision = '47cebb6b3bdc'
down_revision = 'f1e2a3b4c5d6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('add_ons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('price_minor', sa.BigInteger(), nullable=False),
    sa.Column('quantity_limit', sa.Integer(), nullable=True),
    sa.Column('claimed', sa.Integer(), nullable=False),
    sa.Column('ships', sa.Boolean(), nullable=False),
    sa.Column('all_tiers', sa.Boolean(), nullable=False),
    sa.Column('created_at', crowdfund.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', crowdfund.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('claimed >= 0 AND (quantity_limit IS NULL OR claimed <= quantity_limit)', name=op.f('ck_add_ons_claimed_within_limit')),
    sa.CheckConstraint('price_minor > 0', name=op.f('ck_add_ons_price_positive')),
    sa.CheckConstraint('quantity_limit IS NULL OR quantity_limit > 0', name=op.f('ck_add_ons_limit_positive')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_add_ons_campaign_id_campaigns')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_add_ons')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('add_ons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_add_ons_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('add_on_shipping_rates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('add_on_id', sa.Integer(), nullable=False),
    sa.Column('destination', sa.String(length=3), nullable=False),
    sa.Column('fee_minor', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('fee_minor >= 0', name=op.f('ck_add_on_shipping_rates_fee_not_negative')),
    sa.ForeignKeyConstraint(['add_on_id'], ['add_ons.id'], name=op.f('fk_add_on_shipping_rates_add_on_id_add_ons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_add_on_shipping_rates')),
    sa.UniqueConstraint('add_on_id', 'destination', name='uq_add_on_shipping_rates_add_on_destination'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('add_on_shipping_rates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_add_on_shipping_rates_add_on_id'), ['add_on_id'], unique=False)

    op.create_table('add_on_tiers',
    sa.Column('add_on_id', sa.Integer(), nullable=False),
    sa.Column('tier_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['add_on_id'], ['add_ons.id'], name=op.f('fk_add_on_tiers_add_on_id_add_ons'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tier_id'], ['reward_tiers.id'], name=op.f('fk_add_on_tiers_tier_id_reward_tiers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('add_on_id', 'tier_id', name=op.f('pk_add_on_tiers')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('add_on_tiers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_add_on_tiers_tier_id'), ['tier_id'], unique=False)

    op.create_table('pledge_add_ons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pledge_id', sa.Integer(), nullable=False),
    sa.Column('add_on_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price_minor', sa.BigInteger(), nullable=False),
    sa.Column('shipping_minor', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_pledge_add_ons_quantity_positive')),
    sa.CheckConstraint('shipping_minor >= 0', name=op.f('ck_pledge_add_ons_shipping_not_negative')),
    sa.CheckConstraint('unit_price_minor > 0', name=op.f('ck_pledge_add_ons_unit_price_positive')),
    sa.ForeignKeyConstraint(['add_on_id'], ['add_ons.id'], name=op.f('fk_pledge_add_ons_add_on_id_add_ons'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['pledge_id'], ['pledges.id'], name=op.f('fk_pledge_add_ons_pledge_id_pledges')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pledge_add_ons')),
    sa.UniqueConstraint('pledge_id', 'add_on_id', name='uq_pledge_add_ons_pledge_add_on'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('pledge_add_ons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pledge_add_ons_add_on_id'), ['add_on_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pledge_add_ons_pledge_id'), ['pledge_id'], unique=False)


def downgrade():
    with op.batch_alter_table('pledge_add_ons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pledge_add_ons_pledge_id'))
        batch_op.drop_index(batch_op.f('ix_pledge_add_ons_add_on_id'))

    op.drop_table('pledge_add_ons')
    with op.batch_alter_table('add_on_tiers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_add_on_tiers_tier_id'))

    op.drop_table('add_on_tiers')
    with op.batch_alter_table('add_on_shipping_rates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_add_on_shipping_rates_add_on_id'))

    op.drop_table('add_on_shipping_rates')
    with op.batch_alter_table('add_ons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_add_ons_campaign_id'))

    op.drop_table('add_ons')
