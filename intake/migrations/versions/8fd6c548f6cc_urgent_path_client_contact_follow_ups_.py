"""Urgent path: client contact, follow-ups, clinic safety settings

Revision ID: 8fd6c548f6cc
Revises: b801aacf9613
Create Date: 2026-11-27 02:02:57.243407

A clinic's one crisis text becomes its English crisis text (crisis_texts); every other
language it offers must then be written by an admin before clients are invited.
"""

import json

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "8fd6c548f6cc"
down_revision = "b801aacf9613"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "client_contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("intake_id", sa.Integer(), nullable=False),
        sa.Column("declined", sa.Boolean(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("voicemail_ok", sa.Boolean(), nullable=True),
        sa.Column("texts_ok", sa.Boolean(), nullable=True),
        sa.Column("safe_times", sa.String(length=300), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["intake_id"],
            ["intake.id"],
            name=op.f("fk_client_contact_intake_id_intake"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_contact")),
        sa.UniqueConstraint("intake_id", name=op.f("uq_client_contact_intake_id")),
    )
    op.create_table(
        "urgent_follow_up",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("intake_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum("contacted", "tried", name="followup", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["intake_id"],
            ["intake.id"],
            name=op.f("fk_urgent_follow_up_intake_id_intake"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_urgent_follow_up_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_urgent_follow_up")),
    )
    with op.batch_alter_table("urgent_follow_up", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_urgent_follow_up_intake_id"), ["intake_id"], unique=False
        )

    with op.batch_alter_table("clinic", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("crisis_texts", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
        batch_op.add_column(sa.Column("client_languages", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("safety_procedure", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "urgent_escalation_minutes", sa.Integer(), nullable=False, server_default="60"
            )
        )
        batch_op.add_column(sa.Column("phone_region", sa.String(length=2), nullable=True))

    clinic = sa.table(
        "clinic",
        sa.column("id", sa.Integer()),
        sa.column("crisis_text", sa.Text()),
        sa.column("crisis_texts", sa.JSON()),
    )
    conn = op.get_bind()
    for row in conn.execute(sa.select(clinic.c.id, clinic.c.crisis_text)).all():
        if row.crisis_text:
            conn.execute(
                clinic.update()
                .where(clinic.c.id == row.id)
                .values(crisis_texts={"en": row.crisis_text})
            )

    with op.batch_alter_table("clinic", schema=None) as batch_op:
        batch_op.drop_column("crisis_text")

    with op.batch_alter_table("intake", schema=None) as batch_op:
        batch_op.add_column(sa.Column("safety_skipped_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("crisis_shown", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("intake", schema=None) as batch_op:
        batch_op.drop_column("crisis_shown")
        batch_op.drop_column("safety_skipped_at")

    with op.batch_alter_table("clinic", schema=None) as batch_op:
        batch_op.add_column(sa.Column("crisis_text", sa.Text(), nullable=True))

    clinic = sa.table(
        "clinic",
        sa.column("id", sa.Integer()),
        sa.column("crisis_text", sa.Text()),
        sa.column("crisis_texts", sa.JSON()),
    )
    conn = op.get_bind()
    for row in conn.execute(sa.select(clinic.c.id, clinic.c.crisis_texts)).all():
        texts = row.crisis_texts if isinstance(row.crisis_texts, dict) else json.loads(
            row.crisis_texts or "{}"
        )
        if texts:
            first = texts.get("en") or next(iter(texts.values()))
            conn.execute(
                clinic.update().where(clinic.c.id == row.id).values(crisis_text=first)
            )

    with op.batch_alter_table("clinic", schema=None) as batch_op:
        batch_op.drop_column("phone_region")
        batch_op.drop_column("urgent_escalation_minutes")
        batch_op.drop_column("safety_procedure")
        batch_op.drop_column("client_languages")
        batch_op.drop_column("crisis_texts")

    with op.batch_alter_table("urgent_follow_up", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_urgent_follow_up_intake_id"))

    op.drop_table("urgent_follow_up")
    op.drop_table("client_contact")
