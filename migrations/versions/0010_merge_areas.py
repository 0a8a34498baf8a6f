"""Merge the dialogue (0007), letters (0008) and user-management (0009) revisions.

Revision ID: 0010
Revises: 0007, 0008, 0009
Create Date: 2026-11-30
"""

revision = '0010'
down_revision = ('0007', '0008', '0009')
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
