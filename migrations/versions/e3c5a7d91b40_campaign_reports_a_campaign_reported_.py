"""campaign reports: a campaign reported to operators ("Report this campaign"), one open
report per person and campaign, closed with the operator's note of what was done

Revision ID: e3c5a7d91b40
Revises: d68b54739f86
Create Date: 2026-12-07 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import crowdfund.db


# revision identifiers, used by Alembic.
revision = 'e3c5a7d91b40'
down_revision = 'd68b54739f86'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('campaign_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('created_at', crowdfund.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', crowdfund.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolution', sa.String(length=500), server_default='', nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_reports_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['reporter_id'], ['users.id'], name=op.f('fk_campaign_reports_reporter_id_users')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], name=op.f('fk_campaign_reports_resolved_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_reports'))
    )
    with op.batch_alter_table('campaign_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_reports_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index('ix_campaign_reports_reporter_created', ['reporter_id', 'created_at'], unique=False)
        batch_op.create_index('uq_campaign_reports_open_once', ['campaign_id', 'reporter_id'], unique=True, sqlite_where=sa.text('resolved_at IS NULL'), postgresql_where=sa.text('resolved_at IS NULL'))


def downgrade():
    with op.batch_alter_table('campaign_reports', schema=None) as batch_op:
        batch_op.drop_index('uq_campaign_reports_open_once', sqlite_where=sa.text('resolved_at IS NULL'), postgresql_where=sa.text('resolved_at IS NULL'))
        batch_op.drop_index('ix_campaign_reports_reporter_created')
        batch_op.drop_index(batch_op.f('ix_campaign_reports_campaign_id'))

    op.drop_table('campaign_reports')
