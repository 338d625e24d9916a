"""Retention of unfinished intakes: a clinic may erase intakes never sent, N days after
their last activity. Off (NULL) for every clinic until an admin sets it.

Revision ID: c5e9a3d7f214
Revises: b8d2f4a61c07
Create Date: 2026-11-27 09:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "c5e9a3d7f214"
down_revision = "b8d2f4a61c07"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("clinic", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unfinished_days", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("clinic", schema=None) as batch_op:
        batch_op.drop_column("unfinished_days")
