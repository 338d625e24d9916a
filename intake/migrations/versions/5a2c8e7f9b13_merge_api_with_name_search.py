"""Merge the API tokens branch with the name-search merge

Revision ID: 5a2c8e7f9b13
Revises: 3d6f0b8e1c27, e3a91c7d4b25
Create Date: 2026-11-27 03:50:00.000000

"""

# revision identifiers, used by Alembic.
revision = "5a2c8e7f9b13"
down_revision = ("3d6f0b8e1c27", "e3a91c7d4b25")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
