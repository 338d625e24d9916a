"""Merge the brief store, staff tokens and questionnaire drafts branches.

Revision ID: 7fc7b8bcb1d5
Revises: 4b7d2e91c0a3, 9b49ffd0f0d1, b3f1a2c4d5e6
Create Date: 2026-11-22 03:40:58.040447

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "7fc7b8bcb1d5"
down_revision = ("4b7d2e91c0a3", "9b49ffd0f0d1", "b3f1a2c4d5e6")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
