"""disputes to the end: a dispute's status (with its audit trail), evidence deadline, fee,
when its money was withdrawn and reinstated, when it closed; the ledger's dispute
transactions keyed by movement (``dispute-<id>-withdrawn``)

Disputes recorded before had their withdrawal booked as ``dispute-<id>`` when they were
opened: those keys become ``dispute-<id>-withdrawn``, the disputes ``needs_response`` with
``withdrawn_at`` their opening time (the next event about each moves it on).

Revision ID: 3d2e721f7a69
Revises: e3c5a7d91b40
Create Date: 2026-12-14 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import crowdfund.db


# revision identifiers, used by Alembic.
revision = '3d2e721f7a69'
down_revision = 'e3c5a7d91b40'
branch_labels = None
depends_on = None

STATUSES = ('warning_needs_response', 'warning_under_review', 'warning_closed',
            'needs_response', 'under_review', 'won', 'lost')


def _status():
    return sa.Enum(*STATUSES, name='disputestatus', native_enum=False, length=32)


def upgrade():
    with op.batch_alter_table('disputes', schema=None,
                              table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.add_column(sa.Column('status', _status(),
                                      server_default='needs_response', nullable=False))
        batch_op.add_column(sa.Column('evidence_due_by', crowdfund.db.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('fee_minor', sa.BigInteger(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('withdrawn_at', crowdfund.db.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('reinstated_at', crowdfund.db.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('closed_at', crowdfund.db.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.create_check_constraint(batch_op.f('ck_disputes_fee_not_negative'),
                                         'fee_minor >= 0')
        batch_op.create_index('ix_disputes_status_due', ['status', 'evidence_due_by'],
                              unique=False)
    op.create_table('dispute_transitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dispute_id', sa.Integer(), nullable=False),
    sa.Column('from_status', _status(), nullable=False),
    sa.Column('to_status', _status(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_at', crowdfund.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_dispute_transitions_actor_id_users')),
    sa.ForeignKeyConstraint(['dispute_id'], ['disputes.id'], name=op.f('fk_dispute_transitions_dispute_id_disputes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispute_transitions'))
    )
    with op.batch_alter_table('dispute_transitions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dispute_transitions_dispute_id'), ['dispute_id'],
                              unique=False)
    op.execute("UPDATE disputes SET withdrawn_at = created_at")
    op.execute("UPDATE ledger_transactions SET source_key = source_key || '-withdrawn' "
               "WHERE kind = 'dispute'")


def downgrade():
    op.execute("DELETE FROM ledger_entries WHERE transaction_id IN (SELECT id FROM "
               "ledger_transactions WHERE kind = 'dispute' AND source_key NOT LIKE "
               "'%-withdrawn')")
    op.execute("DELETE FROM ledger_transactions WHERE kind = 'dispute' AND source_key NOT "
               "LIKE '%-withdrawn'")
    op.execute("UPDATE ledger_transactions SET source_key = substr(source_key, 1, "
               "length(source_key) - 10) WHERE kind = 'dispute'")
    with op.batch_alter_table('dispute_transitions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dispute_transitions_dispute_id'))
    op.drop_table('dispute_transitions')
    with op.batch_alter_table('disputes', schema=None,
                              table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_index('ix_disputes_status_due')
        batch_op.drop_constraint(batch_op.f('ck_disputes_fee_not_negative'), type_='check')
        batch_op.drop_column('closed_at')
        batch_op.drop_column('reinstated_at')
        batch_op.drop_column('withdrawn_at')
        batch_op.drop_column('fee_minor')
        batch_op.drop_column('evidence_due_by')
        batch_op.drop_column('status')
