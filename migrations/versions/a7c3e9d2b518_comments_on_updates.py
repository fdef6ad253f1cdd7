"""Comments on an update (issue 28): a comment may be about one of the campaign's updates
(comments.update_id), shown on the update's own page and not among the campaign's comments

Revision ID: a7c3e9d2b518
Revises: f26f01670f79
Create Date: 2026-12-07 17:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e9d2b518'
down_revision = 'f26f01670f79'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('update_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_comments_update_id_campaign_updates'),
                                    'campaign_updates', ['update_id'], ['id'])
        batch_op.create_index('ix_comments_update_created', ['update_id', 'created_at'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index('ix_comments_update_created')
        batch_op.drop_constraint(batch_op.f('fk_comments_update_id_campaign_updates'),
                                 type_='foreignkey')
        batch_op.drop_column('update_id')
