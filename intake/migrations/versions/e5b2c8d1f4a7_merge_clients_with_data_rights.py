"""Merge clients and goals with data rights and retention

Revision ID: e5b2c8d1f4a7
Revises: d4c1e7a2b9f0, d4e7a1b9c2f3
Create Date: 2026-11-27 06:00:00.000000

"""

# revision identifiers, used by Alembic.
revision = "e5b2c8d1f4a7"
down_revision = ("d4c1e7a2b9f0", "d4e7a1b9c2f3")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
