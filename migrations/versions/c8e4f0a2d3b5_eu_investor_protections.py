"""EU investor protections: the entry knowledge test, the loss simulation, the risk
consent and the 4-day reflection period of each offer

Revision ID: c8e4f0a2d3b5
Revises: b7d3e9f1c2a4
Create Date: 2026-12-07 16:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import crowdfund.db


# revision identifiers, used by Alembic.
revision = 'c8e4f0a2d3b5'
down_revision = 'b7d3e9f1c2a4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('investor_profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('eu_knowledge_taken_at', crowdfund.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('eu_knowledge_passed', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('eu_not_appropriate_accepted_at', crowdfund.db.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('eu_loss_simulated_at', crowdfund.db.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('pledges', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revocable_until', crowdfund.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('risk_consent_at', crowdfund.db.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('pledges', schema=None) as batch_op:
        batch_op.drop_column('risk_consent_at')
        batch_op.drop_column('revocable_until')
    with op.batch_alter_table('investor_profiles', schema=None) as batch_op:
        batch_op.drop_column('eu_loss_simulated_at')
        batch_op.drop_column('eu_not_appropriate_accepted_at')
        batch_op.drop_column('eu_knowledge_passed')
        batch_op.drop_column('eu_knowledge_taken_at')
