"""Late pledges: the founder's window after the deadline, a late price per reward, the
late mark on a pledge.

Revision ID: a7c3e9d1b2f4
Revises: 61755996d014
Create Date: 2026-12-07 18:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a7c3e9d1b2f4'
down_revision = '61755996d014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('late_pledge_days', sa.Integer(), nullable=True))
    with op.batch_alter_table('reward_tiers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('late_price_minor', sa.BigInteger(), nullable=True))
    with op.batch_alter_table('pledges', schema=None) as batch_op:
        batch_op.add_column(sa.Column('late', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('pledges', schema=None) as batch_op:
        batch_op.drop_column('late')
    with op.batch_alter_table('reward_tiers', schema=None) as batch_op:
        batch_op.drop_column('late_price_minor')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('late_pledge_days')
