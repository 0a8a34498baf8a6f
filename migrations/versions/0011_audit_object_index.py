"""An index for looking up an object's audit events (the newest hand-over, receipt or letter
event of one application), which the start pages and the form do on every request.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_audit_events_object", "audit_events", ["object_type", "object_id", "action"]
    )


def downgrade() -> None:
    op.drop_index("ix_audit_events_object", table_name="audit_events")
