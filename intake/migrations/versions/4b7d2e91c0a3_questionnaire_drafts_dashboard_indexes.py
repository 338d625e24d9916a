"""Questionnaire drafts, dashboard indexes

Revision ID: 4b7d2e91c0a3
Revises: 857375c6cdf2
Create Date: 2026-11-22 02:45:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "4b7d2e91c0a3"
down_revision = "857375c6cdf2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "questionnaire_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("based_on_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["based_on_id"],
            ["questionnaire_version.id"],
            name=op.f("fk_questionnaire_draft_based_on_id_questionnaire_version"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_questionnaire_draft_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["staff.id"],
            name=op.f("fk_questionnaire_draft_updated_by_id_staff"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaire_draft")),
        sa.UniqueConstraint("clinic_id", "key", name=op.f("uq_questionnaire_draft_clinic_id")),
    )
    with op.batch_alter_table("intake", schema=None) as batch_op:
        batch_op.create_index(
            "ix_intake_dash_page", ["clinic_id", "urgent", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_intake_dash_status",
            ["clinic_id", "status", "urgent", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_intake_dash_therapist",
            ["clinic_id", "therapist_id", "urgent", "created_at", "id"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("intake", schema=None) as batch_op:
        batch_op.drop_index("ix_intake_dash_therapist")
        batch_op.drop_index("ix_intake_dash_status")
        batch_op.drop_index("ix_intake_dash_page")
    op.drop_table("questionnaire_draft")
