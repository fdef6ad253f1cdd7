"""Campaign page extras (issue 28): a campaign's FAQ (campaign_faq_entries), a picture per
reward tier and per add-on (reward_tiers.image_path, add_ons.image_path)

Revision ID: 61755996d014
Revises: a7c3e9d2b518
Create Date: 2026-12-07 17:46:30.484001

"""
from alembic import op
import sqlalchemy as sa

import crowdfund.db


# revision identifiers, used by Alembic.
revision = '61755996d014'
down_revision = 'a7c3e9d2b518'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('campaign_faq_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('question', sa.String(length=200), nullable=False),
    sa.Column('answer_md', sa.Text(), nullable=False),
    sa.Column('created_at', crowdfund.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', crowdfund.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_faq_entries_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_faq_entries')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('campaign_faq_entries', schema=None) as batch_op:
        batch_op.create_index('ix_campaign_faq_entries_campaign_position', ['campaign_id', 'position'], unique=False)

    with op.batch_alter_table('add_ons', schema=None) as batch_op:
        batch_op.add_column(sa.Column('image_path', sa.String(length=200), nullable=True))

    with op.batch_alter_table('reward_tiers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('image_path', sa.String(length=200), nullable=True))



def downgrade():
    with op.batch_alter_table('reward_tiers', schema=None) as batch_op:
        batch_op.drop_column('image_path')

    with op.batch_alter_table('add_ons', schema=None) as batch_op:
        batch_op.drop_column('image_path')

    with op.batch_alter_table('campaign_faq_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_campaign_faq_entries_campaign_position')

    op.drop_table('campaign_faq_entries')
