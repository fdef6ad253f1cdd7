"""campaigns.closed_out_at: a close runs in short batches and resumes until done

Revision ID: c41f0e2d9a17
Revises: a8790d643f19
Create Date: 2026-12-01 16:10:00

"""
from alembic import op
import sqlalchemy as sa

import crowdfund.db


revision = 'c41f0e2d9a17'
down_revision = 'a8790d643f19'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_out_at', crowdfund.db.UTCDateTime(timezone=True),
                                      nullable=True))
    # Campaigns closed before: their close ran in one transaction, so it is done.
    op.execute("UPDATE campaigns SET closed_out_at = updated_at "
               "WHERE pledged_at_deadline_minor IS NOT NULL")


def downgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('closed_out_at')
