"""Job outbox: background work recorded with the change that needs it (renders, notices)

Revision ID: b801aacf9613
Revises: 7fc7b8bcb1d5
Create Date: 2026-11-27 01:44:02.037172

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b801aacf9613'
down_revision = '7fc7b8bcb1d5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('key', sa.String(length=160), nullable=True),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('state', sa.Enum('pending', 'running', 'done', 'failed', name='jobstate', native_enum=False, length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('run_at', sa.DateTime(), nullable=False),
    sa.Column('lease_until', sa.DateTime(), nullable=True),
    sa.Column('dispatched_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('done_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job'))
    )
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.create_index('ix_job_due', ['state', 'run_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_key'), ['key'], unique=False)



def downgrade():
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_key'))
        batch_op.drop_index('ix_job_due')

    op.drop_table('job')
