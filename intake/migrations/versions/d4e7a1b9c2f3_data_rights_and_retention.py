"""Data rights and retention: erased intakes (tombstones), the own-copy link's lifetime,
the clinic's retention settings

Revision ID: d4e7a1b9c2f3
Revises: 4578058ddc76
Create Date: 2026-11-27 05:10:00

Existing clinics keep submitted intakes and never-opened links until an admin sets a period
(None): a deploy must not start erasing what a clinic has not chosen to erase. New clinics
erase never-opened links 90 days after the invitation. Every clinic closes a client's own-copy
link 7 days after sending.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d4e7a1b9c2f3"
down_revision = "4578058ddc76"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("clinic", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("copy_link_days", sa.Integer(), server_default="7", nullable=False)
        )
        batch_op.add_column(sa.Column("retention_months", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("unopened_days", sa.Integer(), server_default="90", nullable=True)
        )
    # The server default serves new clinics; the clinics already here choose for themselves.
    op.execute("UPDATE clinic SET unopened_days = NULL")
    with op.batch_alter_table("intake", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("intake", schema=None) as batch_op:
        batch_op.drop_column("erased_at")
    with op.batch_alter_table("clinic", schema=None) as batch_op:
        batch_op.drop_column("unopened_days")
        batch_op.drop_column("retention_months")
        batch_op.drop_column("copy_link_days")
