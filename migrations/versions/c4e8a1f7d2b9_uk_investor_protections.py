"""UK investor protections (FCA COBS 4.12A, PS22/10) on investor_profiles: the category
and when its statement was made, the appropriateness assessment (passed when and which
version, the last failed attempt and how many failed), and when the cooling-off started

Revision ID: c4e8a1f7d2b9
Revises: c8e4f0a2d3b5
Create Date: 2026-12-09 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import crowdfund.db


# revision identifiers, used by Alembic.
revision = 'c4e8a1f7d2b9'
down_revision = 'c8e4f0a2d3b5'
branch_labels = None
depends_on = None

CATEGORIES = ('restricted', 'high_net_worth', 'certified_sophisticated',
              'self_certified_sophisticated')


def upgrade():
    with op.batch_alter_table('investor_profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('category', sa.Enum(
            *CATEGORIES, name='investorcategory', native_enum=False, length=40),
            nullable=True))
        batch_op.add_column(sa.Column('category_stated_at',
                                      crowdfund.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('assessment_passed_at',
                                      crowdfund.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('assessment_version', sa.String(length=20),
                                      nullable=True))
        batch_op.add_column(sa.Column('assessment_failed_at',
                                      crowdfund.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('assessment_failures', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('cooling_off_from',
                                      crowdfund.db.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('investor_profiles', schema=None) as batch_op:
        batch_op.drop_column('cooling_off_from')
        batch_op.drop_column('assessment_failures')
        batch_op.drop_column('assessment_failed_at')
        batch_op.drop_column('assessment_version')
        batch_op.drop_column('assessment_passed_at')
        batch_op.drop_column('category_stated_at')
        batch_op.drop_column('category')
