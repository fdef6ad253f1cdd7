"""Kept totals (issue 30): campaign_day_totals, a campaign's pledges added up per UTC day
of their making, status and lateness, moved by every change of a pledge, and
campaign_counts, its comments, threads, deleted comments and followers, so that pages read
a few rows instead of counting every row; both filled here from the tables. Indexes
for a campaign's threads and for a few people's pledges to a campaign

Revision ID: c9d1e2f3a4b5
Revises: ebee241d9ef4
Create Date: 2026-12-07 21:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c9d1e2f3a4b5'
down_revision = 'ebee241d9ef4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('campaign_day_totals',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'active', 'cancelled', 'released', 'collected', 'errored', 'authentication_required', 'dropped', 'disputed', 'refunded', name='pledgestatus', native_enum=False, length=32), nullable=False),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('pledges', sa.Integer(), nullable=False),
    sa.Column('pledged_minor', sa.BigInteger(), nullable=False),
    sa.Column('refunded_pledges', sa.Integer(), nullable=False),
    sa.Column('refunded_minor', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_day_totals_campaign_id_campaigns')),
    sa.PrimaryKeyConstraint('campaign_id', 'day', 'status', 'late', name=op.f('pk_campaign_day_totals'))
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    day = "date(timezone('UTC', created_at))" if postgres else "date(created_at)"
    op.execute(
        "INSERT INTO campaign_day_totals (campaign_id, day, status, late, pledges, "
        "pledged_minor, refunded_pledges, refunded_minor) "
        f"SELECT campaign_id, {day}, status, late, count(*), sum(amount_minor), "
        "sum(CASE WHEN refunded_minor > 0 THEN 1 ELSE 0 END), sum(refunded_minor) "
        f"FROM pledges WHERE status <> 'pending' GROUP BY campaign_id, {day}, status, late")


    op.create_table('campaign_counts',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('comments', sa.Integer(), nullable=False),
    sa.Column('threads', sa.Integer(), nullable=False),
    sa.Column('deleted_comments', sa.Integer(), nullable=False),
    sa.Column('followers', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_counts_campaign_id_campaigns')),
    sa.PrimaryKeyConstraint('campaign_id', name=op.f('pk_campaign_counts'))
    )
    op.execute(
        "INSERT INTO campaign_counts (campaign_id, comments, threads, deleted_comments, "
        "followers) SELECT id, "
        "(SELECT count(*) FROM comments c WHERE c.campaign_id = campaigns.id "
        "AND c.update_id IS NULL), "
        "(SELECT count(*) FROM comments c WHERE c.campaign_id = campaigns.id "
        "AND c.update_id IS NULL AND c.parent_id IS NULL), "
        "(SELECT count(*) FROM comments c WHERE c.campaign_id = campaigns.id "
        "AND c.update_id IS NULL AND c.status = 'deleted'), "
        "(SELECT count(*) FROM follows f WHERE f.campaign_id = campaigns.id) "
        "FROM campaigns")


    with op.batch_alter_table('pledges', schema=None) as batch_op:
        batch_op.drop_index('ix_pledges_backer_id')
        batch_op.create_index('ix_pledges_backer_campaign_status',
                              ['backer_id', 'campaign_id', 'status'], unique=False)
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.create_index('ix_comments_campaign_threads',
                              ['campaign_id', 'created_at', 'id'], unique=False,
                              sqlite_where=sa.text('update_id IS NULL AND parent_id IS NULL'),
                              postgresql_where=sa.text('update_id IS NULL AND parent_id IS NULL'))


def downgrade():
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index('ix_comments_campaign_threads')
    with op.batch_alter_table('pledges', schema=None) as batch_op:
        batch_op.drop_index('ix_pledges_backer_campaign_status')
        batch_op.create_index('ix_pledges_backer_id', ['backer_id'], unique=False)
    op.drop_table('campaign_counts')
    op.drop_table('campaign_day_totals')
