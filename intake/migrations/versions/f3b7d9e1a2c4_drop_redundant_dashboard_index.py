"""Drop ix_intake_dashboard: ix_intake_dash_page (the same columns, then id) serves every
query it served, and each intake written kept both up to date.

Revision ID: f3b7d9e1a2c4
Revises: c5e9a3d7f214
Create Date: 2026-11-27 16:20:00
"""

from alembic import op

revision = "f3b7d9e1a2c4"
down_revision = "c5e9a3d7f214"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("intake", schema=None) as batch_op:
        batch_op.drop_index("ix_intake_dashboard")


def downgrade():
    with op.batch_alter_table("intake", schema=None) as batch_op:
        batch_op.create_index(
            "ix_intake_dashboard", ["clinic_id", "urgent", "created_at"], unique=False
        )
