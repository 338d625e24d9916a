"""Merge the name-search branch with the sessions and outbox branches

Revision ID: 3d6f0b8e1c27
Revises: 0c7e5a9d2f41, b9a918a958ec
Create Date: 2026-11-27 03:30:00.000000

"""

# revision identifiers, used by Alembic.
revision = "3d6f0b8e1c27"
down_revision = ("0c7e5a9d2f41", "b9a918a958ec")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
