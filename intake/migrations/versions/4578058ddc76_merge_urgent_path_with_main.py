"""Merge the urgent path (client contact, follow-ups, safety settings) with main's heads

Revision ID: 4578058ddc76
Revises: 5a2c8e7f9b13, 8fd6c548f6cc
Create Date: 2026-11-28 09:00:00.000000

"""

# revision identifiers, used by Alembic.
revision = "4578058ddc76"
down_revision = ("5a2c8e7f9b13", "8fd6c548f6cc")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
