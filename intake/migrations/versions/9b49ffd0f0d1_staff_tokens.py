"""Staff tokens: single-use, expiring invitation and password-reset links (hashes only)

Revision ID: 9b49ffd0f0d1
Revises: 857375c6cdf2
Create Date: 2026-11-22 03:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "9b49ffd0f0d1"
down_revision = "857375c6cdf2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "staff_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_staff_token_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_token_token_hash")),
    )
    with op.batch_alter_table("staff_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_token_staff_id"), ["staff_id"], unique=False)


def downgrade():
    with op.batch_alter_table("staff_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_token_staff_id"))

    op.drop_table("staff_token")
