"""Intake name words: accent- and case-free words of client names, for the dashboard search

Revision ID: b9a918a958ec
Revises: b801aacf9613
Create Date: 2026-11-27 02:10:00

"""
import re
import unicodedata

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b9a918a958ec'
down_revision = 'b801aacf9613'
branch_labels = None
depends_on = None

WORD = sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql")


def _words(text):
    # A copy of intake.names.words as it was when this migration was written: a migration
    # must give the same result whatever the code becomes.
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    folded = unicodedata.normalize("NFKC", bare).casefold().replace("_", " ")
    seen = {}
    for word in re.findall(r"\w+", folded):
        seen.setdefault(word[:64], None)
    return list(seen)


def upgrade():
    table = op.create_table('intake_name_word',
    sa.Column('intake_id', sa.Integer(), nullable=False),
    sa.Column('word', WORD, nullable=False),
    sa.Column('clinic_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], name=op.f('fk_intake_name_word_clinic_id_clinic')),
    sa.ForeignKeyConstraint(['intake_id'], ['intake.id'], name=op.f('fk_intake_name_word_intake_id_intake'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('intake_id', 'word', name=op.f('pk_intake_name_word'))
    )
    with op.batch_alter_table('intake_name_word', schema=None) as batch_op:
        batch_op.create_index('ix_intake_name_word_lookup', ['clinic_id', 'word', 'intake_id'], unique=False)
    # The intakes there are already get their words.
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, clinic_id, client_name FROM intake")).fetchall()
    words = [
        {"intake_id": row.id, "clinic_id": row.clinic_id, "word": word}
        for row in rows
        for word in _words(row.client_name or "")
    ]
    for start in range(0, len(words), 5000):
        op.bulk_insert(table, words[start:start + 5000])


def downgrade():
    with op.batch_alter_table('intake_name_word', schema=None) as batch_op:
        batch_op.drop_index('ix_intake_name_word_lookup')
    op.drop_table('intake_name_word')
