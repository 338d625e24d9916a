"""Merge the job outbox and the sign-in/sessions branches

Revision ID: 0c7e5a9d2f41
Revises: b801aacf9613, 61a5bda0f96f
Create Date: 2026-11-27 02:40:00.000000

"""

# revision identifiers, used by Alembic.
revision = "0c7e5a9d2f41"
down_revision = ("b801aacf9613", "61a5bda0f96f")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
