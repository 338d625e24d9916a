"""Brief PDF store

Revision ID: b3f1a2c4d5e6
Revises: 857375c6cdf2
Create Date: 2026-11-22 03:10:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "b3f1a2c4d5e6"
down_revision = "857375c6cdf2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "brief_pdf",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("intake_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("wanted_version", sa.String(length=64), nullable=True),
        sa.Column("version", sa.String(length=64), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("queued_at", sa.DateTime(), nullable=True),
        sa.Column("rendered_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["intake_id"],
            ["intake.id"],
            name=op.f("fk_brief_pdf_intake_id_intake"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_brief_pdf")),
        sa.UniqueConstraint("intake_id", name=op.f("uq_brief_pdf_intake_id")),
    )


def downgrade():
    op.drop_table("brief_pdf")
