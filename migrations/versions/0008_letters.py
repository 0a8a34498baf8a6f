"""Decision letters and appeals: the administrator's templates per kind of letter, letters
(drafts frozen at generation, sent after a second person's approval, with the PDF as sent), and
the a-kasser's appeals on them with handler and outcome.

A separate head beside 0007; both come from 0006.

Revision ID: 0008
Revises: 0006
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

import portal.models.base


revision = '0008'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('letter_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('guidance', sa.Text(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', portal.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('eligible', 'partial', 'rejected', 'selected', 'not_selected')", name=op.f('ck_letter_templates_kind_known')),
    sa.CheckConstraint('length(trim(body)) > 0', name=op.f('ck_letter_templates_body_required')),
    sa.CheckConstraint('length(trim(guidance)) > 0', name=op.f('ck_letter_templates_guidance_required')),
    sa.CheckConstraint('length(trim(subject)) > 0', name=op.f('ck_letter_templates_subject_required')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_letter_templates_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_letter_templates')),
    sa.UniqueConstraint('kind', name='uq_letter_template_kind')
    )
    op.create_table('letters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=False),
    sa.Column('selection_decision_id', sa.Integer(), nullable=True),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('guidance', sa.Text(), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', portal.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('letter_date', sa.Date(), nullable=True),
    sa.Column('complaint_deadline', sa.Date(), nullable=True),
    sa.Column('recipients', sa.JSON(), nullable=False),
    sa.Column('mailed_at', portal.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('discarded_by_id', sa.Integer(), nullable=True),
    sa.Column('discarded_at', portal.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('pdf', sa.LargeBinary(), nullable=True),
    sa.CheckConstraint("(status = 'discarded') = (discarded_at IS NOT NULL)", name=op.f('ck_letters_discard_has_time')),
    sa.CheckConstraint("(status = 'sent') = (approved_by_id IS NOT NULL AND sent_at IS NOT NULL AND complaint_deadline IS NOT NULL)", name=op.f('ck_letters_sent_is_approved')),
    sa.CheckConstraint("kind IN ('eligible', 'partial', 'rejected', 'selected', 'not_selected')", name=op.f('ck_letters_kind_known')),
    sa.CheckConstraint("stage = 'eligibility' OR selection_decision_id IS NOT NULL", name=op.f('ck_letters_selection_letter_has_decision')),
    sa.CheckConstraint("stage IN ('eligibility', 'selection')", name=op.f('ck_letters_stage_known')),
    sa.CheckConstraint("status IN ('draft', 'sent', 'discarded')", name=op.f('ck_letters_status_known')),
    sa.CheckConstraint('approved_by_id IS NULL OR approved_by_id <> created_by_id', name=op.f('ck_letters_four_eyes')),
    sa.CheckConstraint('length(trim(body)) > 0', name=op.f('ck_letters_body_required')),
    sa.CheckConstraint('length(trim(subject)) > 0', name=op.f('ck_letters_subject_required')),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_letters_approved_by_id_users')),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_letters_call_id_calls')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_letters_created_by_id_users')),
    sa.ForeignKeyConstraint(['decision_id'], ['eligibility_decisions.id'], name=op.f('fk_letters_decision_id_eligibility_decisions')),
    sa.ForeignKeyConstraint(['discarded_by_id'], ['users.id'], name=op.f('fk_letters_discarded_by_id_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_letters_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['selection_decision_id'], ['selection_decisions.id'], name=op.f('fk_letters_selection_decision_id_selection_decisions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_letters'))
    )
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_letters_call_id'), ['call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_letters_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index('uq_letters_live_per_stage', ['decision_id', 'stage'], unique=True, sqlite_where=sa.text("status <> 'discarded'"), postgresql_where=sa.text("status <> 'discarded'"))

    op.create_table('appeals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('letter_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=False),
    sa.Column('filed_by_id', sa.Integer(), nullable=False),
    sa.Column('filed_at', portal.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('handler_id', sa.Integer(), nullable=True),
    sa.Column('assigned_by_id', sa.Integer(), nullable=True),
    sa.Column('assigned_at', portal.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('outcome_reasoning', sa.Text(), nullable=False),
    sa.Column('decided_at', portal.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('previous', sa.JSON(), nullable=True),
    sa.Column('changed_to', sa.JSON(), nullable=True),
    sa.CheckConstraint("(status = 'decided') = (outcome IS NOT NULL)", name=op.f('ck_appeals_outcome_when_decided')),
    sa.CheckConstraint("(status = 'filed') = (handler_id IS NULL)", name=op.f('ck_appeals_handler_when_assigned')),
    sa.CheckConstraint("outcome IS NULL OR outcome IN ('upheld', 'changed')", name=op.f('ck_appeals_outcome_known')),
    sa.CheckConstraint("status IN ('filed', 'assigned', 'decided')", name=op.f('ck_appeals_status_known')),
    sa.CheckConstraint('length(trim(reasons)) > 0', name=op.f('ck_appeals_reasons_required')),
    sa.CheckConstraint('outcome IS NULL OR (length(trim(outcome_reasoning)) > 0 AND decided_at IS NOT NULL)', name=op.f('ck_appeals_outcome_has_reasoning')),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['users.id'], name=op.f('fk_appeals_assigned_by_id_users')),
    sa.ForeignKeyConstraint(['decision_id'], ['eligibility_decisions.id'], name=op.f('fk_appeals_decision_id_eligibility_decisions')),
    sa.ForeignKeyConstraint(['filed_by_id'], ['users.id'], name=op.f('fk_appeals_filed_by_id_users')),
    sa.ForeignKeyConstraint(['handler_id'], ['users.id'], name=op.f('fk_appeals_handler_id_users')),
    sa.ForeignKeyConstraint(['letter_id'], ['letters.id'], name=op.f('fk_appeals_letter_id_letters')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_appeals_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appeals')),
    sa.UniqueConstraint('letter_id', name='uq_appeal_per_letter')
    )
    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appeals_organisation_id'), ['organisation_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appeals_organisation_id'))

    op.drop_table('appeals')
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.drop_index('uq_letters_live_per_stage', sqlite_where=sa.text("status <> 'discarded'"), postgresql_where=sa.text("status <> 'discarded'"))
        batch_op.drop_index(batch_op.f('ix_letters_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_letters_call_id'))

    op.drop_table('letters')
    op.drop_table('letter_templates')
