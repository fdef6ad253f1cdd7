"""outbox senders: several at once, each claiming its batch of messages with a lease
(claimed_by, claimed_until), and an index of the messages still to send

Revision ID: a7c3e9f1b2d4
Revises: 3d2e721f7a69
Create Date: 2026-12-08 12:00:00.000000

The index covers only unsent messages (the outbox keeps every message ever sent), so it
stays small; building it reads the whole table: run the release at a quiet hour when the
outbox is big (docs/operations.md#database-migrations-per-release).
"""
from alembic import op
import sqlalchemy as sa

import crowdfund.db


# revision identifiers, used by Alembic.
revision = 'a7c3e9f1b2d4'
down_revision = '3d2e721f7a69'
branch_labels = None
depends_on = None

TO_SEND = "sent_at IS NULL AND failed_at IS NULL"


def upgrade():
    op.add_column('outbox', sa.Column('claimed_by', sa.String(length=64), nullable=True))
    op.add_column('outbox', sa.Column('claimed_until', crowdfund.db.UTCDateTime(timezone=True),
                                      nullable=True))
    op.create_index('ix_outbox_to_send', 'outbox', ['id'], unique=False,
                    sqlite_where=sa.text(TO_SEND), postgresql_where=sa.text(TO_SEND))


def downgrade():
    op.drop_index('ix_outbox_to_send', table_name='outbox',
                  sqlite_where=sa.text(TO_SEND), postgresql_where=sa.text(TO_SEND))
    with op.batch_alter_table('outbox', schema=None,
                              table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_column('claimed_until')
        batch_op.drop_column('claimed_by')
