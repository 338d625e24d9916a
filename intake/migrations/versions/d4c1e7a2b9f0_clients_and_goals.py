"""One client across intakes, the client's own goals and their ratings

Revision ID: d4c1e7a2b9f0
Revises: a7c3e9d1f402
Create Date: 2026-11-27 05:00:00

Every existing intake becomes the first intake of a client of its own (named as invited):
nobody is matched to anybody by name.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d4c1e7a2b9f0"
down_revision = "a7c3e9d1f402"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "client",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_client_clinic_id_clinic")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client")),
    )
    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_client_clinic_id"), ["clinic_id"], unique=False)

    with op.batch_alter_table("intake", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_intake_client_id"), ["client_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_intake_client_id_client"), "client", ["client_id"], ["id"]
        )

    with op.batch_alter_table("clinic", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "goal_step", sa.String(length=20), nullable=False, server_default="questionnaire"
            )
        )

    op.create_table(
        "client_goal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("intake_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),  # encrypted
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
            name=op.f("fk_client_goal_client_id_client"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["intake_id"],
            ["intake.id"],
            name=op.f("fk_client_goal_intake_id_intake"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_goal")),
    )
    with op.batch_alter_table("client_goal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_client_goal_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_client_goal_intake_id"), ["intake_id"], unique=False)

    op.create_table(
        "goal_rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("intake_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.Text(), nullable=False),  # encrypted
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["goal_id"],
            ["client_goal.id"],
            name=op.f("fk_goal_rating_goal_id_client_goal"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["intake_id"],
            ["intake.id"],
            name=op.f("fk_goal_rating_intake_id_intake"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goal_rating")),
        sa.UniqueConstraint("goal_id", "intake_id", name=op.f("uq_goal_rating_goal_id")),
    )
    with op.batch_alter_table("goal_rating", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_goal_rating_intake_id"), ["intake_id"], unique=False)

    # One client per existing intake; its name is read from the intake (display_name stays
    # empty: the name is encrypted on the intake and never copied here in the clear).
    bind = op.get_bind()
    intake = sa.table(
        "intake",
        sa.column("id", sa.Integer),
        sa.column("clinic_id", sa.Integer),
        sa.column("created_at", sa.DateTime),
        sa.column("client_id", sa.Integer),
    )
    client = sa.table(
        "client",
        sa.column("id", sa.Integer),
        sa.column("clinic_id", sa.Integer),
        sa.column("display_name", sa.String),
        sa.column("created_at", sa.DateTime),
    )
    rows = bind.execute(
        sa.select(intake.c.id, intake.c.clinic_id, intake.c.created_at)
        .where(intake.c.client_id.is_(None))
        .order_by(intake.c.id)
    ).all()
    for row in rows:
        new_id = bind.execute(
            client.insert()
            .values(
                clinic_id=row.clinic_id, display_name=None, created_at=row.created_at
            )
            .returning(client.c.id)
        ).scalar_one()
        bind.execute(intake.update().where(intake.c.id == row.id).values(client_id=new_id))


def downgrade():
    with op.batch_alter_table("goal_rating", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_goal_rating_intake_id"))
    op.drop_table("goal_rating")
    with op.batch_alter_table("client_goal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_client_goal_intake_id"))
        batch_op.drop_index(batch_op.f("ix_client_goal_client_id"))
    op.drop_table("client_goal")
    with op.batch_alter_table("clinic", schema=None) as batch_op:
        batch_op.drop_column("goal_step")
    with op.batch_alter_table("intake", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_intake_client_id_client"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_intake_client_id"))
        batch_op.drop_column("client_id")
    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_client_clinic_id"))
    op.drop_table("client")
