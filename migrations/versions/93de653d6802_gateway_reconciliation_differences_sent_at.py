"""gateway reconciliation: differences between our books and the gateway's (recorded once,
resolved by an operator with a reason, audited) and each run's record; refunds and payouts
remember when their key was last sent (sent_at), so that one older than the gateway's
replay window is looked up before it is sent again

Revision ID: 93de653d6802
Revises: a7c3e9f1b2d4
Create Date: 2026-12-07 12:29:21.080774

"""
from alembic import op
import sqlalchemy as sa

import crowdfund.db


# revision identifiers, used by Alembic.
revision = '93de653d6802'
down_revision = 'a7c3e9f1b2d4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('gateway_reconciliations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period_from', crowdfund.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('period_until', crowdfund.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', crowdfund.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', crowdfund.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('objects_read', sa.Integer(), nullable=False),
    sa.Column('requests', sa.Integer(), nullable=False),
    sa.Column('differences_seen', sa.Integer(), nullable=False),
    sa.Column('differences_new', sa.Integer(), nullable=False),
    sa.Column('fees_corrected', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gateway_reconciliations')),
    sqlite_autoincrement=True
    )
    op.create_table('gateway_differences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('charge_not_ours', 'charge_missing', 'charge_amount', 'charge_status', 'refund_not_ours', 'refund_missing', 'refund_amount', 'refund_status', 'transfer_not_ours', 'transfer_missing', 'transfer_amount', 'transfer_status', 'fee', name='differencekind', native_enum=False, length=32), nullable=False),
    sa.Column('gateway_object_id', sa.String(length=64), nullable=True),
    sa.Column('our_ref', sa.String(length=64), nullable=True),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('pledge_id', sa.Integer(), nullable=True),
    sa.Column('expected', sa.String(length=200), nullable=False),
    sa.Column('found', sa.String(length=200), nullable=False),
    sa.Column('status', sa.Enum('open', 'resolved', name='differencestatus', native_enum=False, length=32), nullable=False),
    sa.Column('first_seen_at', crowdfund.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', crowdfund.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('resolved_at', crowdfund.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_gateway_differences_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['pledge_id'], ['pledges.id'], name=op.f('fk_gateway_differences_pledge_id_pledges')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], name=op.f('fk_gateway_differences_resolved_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gateway_differences')),
    sa.UniqueConstraint('key', name=op.f('uq_gateway_differences_key')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('gateway_differences', schema=None) as batch_op:
        batch_op.create_index('ix_gateway_differences_status', ['status', 'first_seen_at'], unique=False)

    op.create_table('gateway_difference_transitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('difference_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.Enum('open', 'resolved', name='differencestatus', native_enum=False, length=32), nullable=False),
    sa.Column('to_status', sa.Enum('open', 'resolved', name='differencestatus', native_enum=False, length=32), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_at', crowdfund.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_gateway_difference_transitions_actor_id_users')),
    sa.ForeignKeyConstraint(['difference_id'], ['gateway_differences.id'], name=op.f('fk_gateway_difference_transitions_difference_id_gateway_differences')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gateway_difference_transitions')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('gateway_difference_transitions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gateway_difference_transitions_difference_id'), ['difference_id'], unique=False)

    with op.batch_alter_table('payouts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sent_at', crowdfund.db.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sent_at', crowdfund.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_refunds_gateway_refund_id'), ['gateway_refund_id'], unique=False)



def downgrade():
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refunds_gateway_refund_id'))
        batch_op.drop_column('sent_at')

    with op.batch_alter_table('payouts', schema=None) as batch_op:
        batch_op.drop_column('sent_at')

    with op.batch_alter_table('gateway_difference_transitions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gateway_difference_transitions_difference_id'))

    op.drop_table('gateway_difference_transitions')
    with op.batch_alter_table('gateway_differences', schema=None) as batch_op:
        batch_op.drop_index('ix_gateway_differences_status')

    op.drop_table('gateway_differences')
    op.drop_table('gateway_reconciliations')
