"""The pledge manager after funding (issue 28): the founder's questions per reward tier
(survey_questions), each collected backer's survey with its shipping address, reminders
and erasure (surveys, survey_answers), and where each tier stands for fulfilment: its
addresses locked at shipping, delivered (fulfilment_tiers)

Revision ID: f26f01670f79
Revises: 47cebb6b3bdc
Create Date: 2026-12-07 15:46:29.304661

"""
from alembic import op
import sqlalchemy as sa

import crowdfund.db


# revision identifiers, used by Alembic.
revision = 'f26f01670f79'
down_revision = '47cebb6b3bdc'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('fulfilment_tiers',
    sa.Column('tier_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('locked_at', crowdfund.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', crowdfund.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_fulfilment_tiers_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['tier_id'], ['reward_tiers.id'], name=op.f('fk_fulfilment_tiers_tier_id_reward_tiers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tier_id', name=op.f('pk_fulfilment_tiers')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('fulfilment_tiers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fulfilment_tiers_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('survey_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tier_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('text', 'choice', 'size', 'colour', name='questionkind', native_enum=False, length=32), nullable=False),
    sa.Column('prompt', sa.String(length=200), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('created_at', crowdfund.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_survey_questions_author_id_users')),
    sa.ForeignKeyConstraint(['tier_id'], ['reward_tiers.id'], name=op.f('fk_survey_questions_tier_id_reward_tiers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_questions')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('survey_questions', schema=None) as batch_op:
        batch_op.create_index('ix_survey_questions_tier_position', ['tier_id', 'position'], unique=False)

    op.create_table('surveys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pledge_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('tier_id', sa.Integer(), nullable=False),
    sa.Column('backer_id', sa.Integer(), nullable=False),
    sa.Column('needs_address', sa.Boolean(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('invited_at', crowdfund.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reminders_sent', sa.Integer(), nullable=False),
    sa.Column('last_reminded_at', crowdfund.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answered_at', crowdfund.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('recipient_name', sa.String(length=100), nullable=True),
    sa.Column('address_line1', sa.String(length=200), nullable=True),
    sa.Column('address_line2', sa.String(length=200), nullable=True),
    sa.Column('city', sa.String(length=100), nullable=True),
    sa.Column('region', sa.String(length=100), nullable=True),
    sa.Column('postal_code', sa.String(length=12), nullable=True),
    sa.Column('phone', sa.String(length=30), nullable=True),
    sa.Column('erase_after', crowdfund.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('erased_at', crowdfund.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', crowdfund.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', crowdfund.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('reminders_sent >= 0', name=op.f('ck_surveys_reminders_not_negative')),
    sa.ForeignKeyConstraint(['backer_id'], ['users.id'], name=op.f('fk_surveys_backer_id_users')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_surveys_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['pledge_id'], ['pledges.id'], name=op.f('fk_surveys_pledge_id_pledges')),
    sa.ForeignKeyConstraint(['tier_id'], ['reward_tiers.id'], name=op.f('fk_surveys_tier_id_reward_tiers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_surveys')),
    sa.UniqueConstraint('pledge_id', name='uq_surveys_pledge_id'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_surveys_backer_id'), ['backer_id'], unique=False)
        batch_op.create_index('ix_surveys_campaign_tier', ['campaign_id', 'tier_id'], unique=False)
        batch_op.create_index('ix_surveys_to_erase', ['erase_after'], unique=False, sqlite_where=sa.text('erased_at IS NULL'), postgresql_where=sa.text('erased_at IS NULL'))
        batch_op.create_index('ix_surveys_waiting', ['last_reminded_at'], unique=False, sqlite_where=sa.text('answered_at IS NULL AND erased_at IS NULL'), postgresql_where=sa.text('answered_at IS NULL AND erased_at IS NULL'))

    op.create_table('survey_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['survey_questions.id'], name=op.f('fk_survey_answers_question_id_survey_questions')),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_survey_answers_survey_id_surveys')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_answers')),
    sa.UniqueConstraint('survey_id', 'question_id', name='uq_survey_answers_once'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('survey_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_answers_question_id'), ['question_id'], unique=False)



def downgrade():
    with op.batch_alter_table('survey_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_answers_question_id'))

    op.drop_table('survey_answers')
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.drop_index('ix_surveys_waiting', sqlite_where=sa.text('answered_at IS NULL AND erased_at IS NULL'), postgresql_where=sa.text('answered_at IS NULL AND erased_at IS NULL'))
        batch_op.drop_index('ix_surveys_to_erase', sqlite_where=sa.text('erased_at IS NULL'), postgresql_where=sa.text('erased_at IS NULL'))
        batch_op.drop_index('ix_surveys_campaign_tier')
        batch_op.drop_index(batch_op.f('ix_surveys_backer_id'))

    op.drop_table('surveys')
    with op.batch_alter_table('survey_questions', schema=None) as batch_op:
        batch_op.drop_index('ix_survey_questions_tier_position')

    op.drop_table('survey_questions')
    with op.batch_alter_table('fulfilment_tiers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fulfilment_tiers_campaign_id'))

    op.drop_table('fulfilment_tiers')
