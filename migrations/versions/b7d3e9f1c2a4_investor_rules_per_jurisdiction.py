"""investor rules per jurisdiction: the verified country of residence, China's financial
assets, and each commitment as the investor's limit counted it (currency, amount, rate)

Revision ID: b7d3e9f1c2a4
Revises: e5f1a2b3c4d7
Create Date: 2026-12-07 15:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7d3e9f1c2a4'
down_revision = 'e5f1a2b3c4d7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('identity_verifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('country', sa.String(length=2), nullable=True))
    with op.batch_alter_table('investor_profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('financial_assets_minor', sa.BigInteger(), nullable=True))
    with op.batch_alter_table('pledges', schema=None) as batch_op:
        batch_op.add_column(sa.Column('limit_currency', sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column('limit_amount_minor', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('limit_rate', sa.String(length=40), nullable=True))


def downgrade():
    with op.batch_alter_table('pledges', schema=None) as batch_op:
        batch_op.drop_column('limit_rate')
        batch_op.drop_column('limit_amount_minor')
        batch_op.drop_column('limit_currency')
    with op.batch_alter_table('investor_profiles', schema=None) as batch_op:
        batch_op.drop_column('financial_assets_minor')
    with op.batch_alter_table('identity_verifications', schema=None) as batch_op:
        batch_op.drop_column('country')
