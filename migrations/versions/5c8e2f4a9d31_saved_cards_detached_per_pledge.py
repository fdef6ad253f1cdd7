"""pledges.card_detached_at and its tries: a pledge that ended uncharged gives its saved card
back at the gateway, one resumable step recorded per pledge

Revision ID: 5c8e2f4a9d31
Revises: 93de653d6802
Create Date: 2026-12-02 10:00:00

Pledges released, cancelled or dropped before this release have no record of whether
their card was detached (a killed run could leave them attached): they are all to do, and
the settle passes after the upgrade detach them (a card found detached already counts as
done). The partial index holds only the pledges still to do; building it reads the
pledges table once (a quiet hour on a big one).
"""
from alembic import op
import sqlalchemy as sa

import crowdfund.db


revision = '5c8e2f4a9d31'
down_revision = '93de653d6802'
branch_labels = None
depends_on = None

TO_DETACH = ("status IN ('released', 'cancelled', 'dropped') "
             "AND payment_method_id IS NOT NULL AND card_detached_at IS NULL")


def upgrade():
    with op.batch_alter_table('pledges', schema=None) as batch_op:
        batch_op.add_column(sa.Column('card_detached_at', crowdfund.db.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('card_detach_attempts', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('card_detach_retry_at',
                                      crowdfund.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('card_detach_note', sa.String(length=300), nullable=True))
    op.create_index('ix_pledges_card_to_detach', 'pledges', ['campaign_id'], unique=False,
                    sqlite_where=sa.text(TO_DETACH), postgresql_where=sa.text(TO_DETACH))


def downgrade():
    op.drop_index('ix_pledges_card_to_detach', table_name='pledges',
                  sqlite_where=sa.text(TO_DETACH), postgresql_where=sa.text(TO_DETACH))
    with op.batch_alter_table('pledges', schema=None) as batch_op:
        batch_op.drop_column('card_detach_note')
        batch_op.drop_column('card_detach_retry_at')
        batch_op.drop_column('card_detach_attempts')
        batch_op.drop_column('card_detached_at')
