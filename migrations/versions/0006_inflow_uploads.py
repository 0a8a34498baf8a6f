"""Reported inflow per call: the administrator's uploaded files (who, when, name, SHA-256, the
rows as read), the latest one in use unless withdrawn.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

import portal.models.base


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('inflow_uploads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', portal.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('row_count', sa.Integer(), nullable=False),
    sa.Column('rows', sa.JSON(), nullable=False),
    sa.Column('withdrawn_at', portal.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(withdrawn_at IS NULL) = (withdrawn_by_id IS NULL)', name=op.f('ck_inflow_uploads_withdrawal_complete')),
    sa.CheckConstraint('length(sha256) = 64', name=op.f('ck_inflow_uploads_hash_is_sha256')),
    sa.CheckConstraint('row_count >= 1', name=op.f('ck_inflow_uploads_has_rows')),
    sa.CheckConstraint('size_bytes >= 1', name=op.f('ck_inflow_uploads_not_empty')),
    sa.CheckConstraint('year >= 1900 AND year <= 2999', name=op.f('ck_inflow_uploads_year_plausible')),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_inflow_uploads_call_id_calls')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_inflow_uploads_uploaded_by_id_users')),
    sa.ForeignKeyConstraint(['withdrawn_by_id'], ['users.id'], name=op.f('fk_inflow_uploads_withdrawn_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inflow_uploads'))
    )
    with op.batch_alter_table('inflow_uploads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inflow_uploads_call_id'), ['call_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('inflow_uploads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inflow_uploads_call_id'))

    op.drop_table('inflow_uploads')
