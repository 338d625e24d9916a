"""A staff session's shown-once values (a client link just made), kept on the server.

They were kept in the session cookie, which is signed but not encrypted.

Revision ID: b8d2f4a61c07
Revises: a7c31e5b9d02
Create Date: 2026-11-27 09:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "b8d2f4a61c07"
down_revision = "a7c31e5b9d02"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("staff_session", schema=None) as batch_op:
        # Encrypted JSON (intake.crypto.EncryptedJSON).
        batch_op.add_column(sa.Column("shown_once", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("staff_session", schema=None) as batch_op:
        batch_op.drop_column("shown_once")
