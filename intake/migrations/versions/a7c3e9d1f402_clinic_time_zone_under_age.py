"""Clinic time zone (every time shown to staff) and when a client said they are under 18

Revision ID: a7c3e9d1f402
Revises: e7c1d2a9f305
Create Date: 2026-11-27 05:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a7c3e9d1f402"
down_revision = "e7c1d2a9f305"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clinic") as batch:
        batch.add_column(
            sa.Column("time_zone", sa.String(length=64), nullable=False, server_default="UTC")
        )
    with op.batch_alter_table("intake") as batch:
        batch.add_column(sa.Column("under_age_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("intake") as batch:
        batch.drop_column("under_age_at")
    with op.batch_alter_table("clinic") as batch:
        batch.drop_column("time_zone")
