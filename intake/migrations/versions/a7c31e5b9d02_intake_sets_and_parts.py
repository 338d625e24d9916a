"""Intake sets (several questionnaires through one link) and an intake's further parts.

Existing intakes need no change: part 1 is the intake's own questionnaire and result, and an
intake that asks one questionnaire has no intake_part rows.

Revision ID: a7c31e5b9d02
Revises: d4c1e7a2b9f0
Create Date: 2026-11-27 05:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "a7c31e5b9d02"
down_revision = "d4c1e7a2b9f0"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "intake_set",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("questionnaires", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinic.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("clinic_id", "name"),
    )
    with op.batch_alter_table("intake_set", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_intake_set_clinic_id"), ["clinic_id"], unique=False)
    op.create_table(
        "intake_part",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("intake_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("questionnaire_id", sa.Integer(), nullable=False),
        # Encrypted JSON (intake.crypto.EncryptedJSON), like intake.result.
        sa.Column("result", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["intake_id"], ["intake.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["questionnaire_id"], ["questionnaire_version.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("intake_id", "position"),
    )
    with op.batch_alter_table("clinic", schema=None) as batch_op:
        batch_op.add_column(sa.Column("referral_set_id", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("clinic", schema=None) as batch_op:
        batch_op.drop_column("referral_set_id")
    op.drop_table("intake_part")
    with op.batch_alter_table("intake_set", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_intake_set_clinic_id"))
    op.drop_table("intake_set")
