"""Client data at rest: encrypt answers, results, names, contact details, notes, PDFs and
audit details; hash client link tokens; name search by a keyed blind index

Revision ID: e7c1d2a9f305
Revises: d4e7a1b9c2f3
Create Date: 2026-11-27 05:30:00.000000

Encrypts with the configured first key (INTAKE_ENCRYPTION_KEYS, or the instance key file of
the embedded default), exactly as intake/crypto.py's column types do, so the application
reads the rows afterwards. Links already sent keep working: their tokens are replaced by their
sha256, which is what a link is now looked up by. Not reversible: a hash gives no token back.
"""

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

from intake import crypto, names

# revision identifiers, used by Alembic.
revision = "e7c1d2a9f305"
down_revision = "d4e7a1b9c2f3"
branch_labels = None
depends_on = None

# table -> {column: kind}; kind "text" (was a string), "json" (was JSON), "bytes".
ENCRYPTED: dict[str, dict[str, str]] = {
    "intake": {
        "client_name": "text",
        "email": "text",
        "phone": "text",
        "consent_name": "text",
        "answers": "json",
        "result": "json",
    },
    "client_contact": {"phone": "text", "email": "text", "safe_times": "text"},
    "urgent_follow_up": {"note": "text"},
    "brief_pdf": {"pdf": "bytes"},
    "audit_event": {"detail": "json"},
    "staff": {"totp_secret": "text"},
    "webhook": {"secret": "text"},
}
OLD_TYPES: dict[str, Any] = {"text": sa.Text(), "json": sa.JSON(), "bytes": sa.LargeBinary()}
NEW_TYPES: dict[str, Any] = {"text": sa.Text(), "json": sa.Text(), "bytes": sa.LargeBinary()}


def _seal(ring: crypto.Keyring, kind: str, value: Any, context: str) -> Any:
    """The stored form of one plain value (as intake.crypto's column types write it)."""
    if value is None:
        return None
    if kind == "bytes":
        return ring.encrypt_bytes(bytes(value), context)
    if kind == "json":
        if isinstance(value, str | bytes):
            value = json.loads(value)  # a driver that hands JSON back as text
        value = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return ring.encrypt_text(str(value), context)


def upgrade() -> None:
    bind = op.get_bind()
    ring = crypto.keyring()
    plain: dict[str, list[Any]] = {}
    for table, columns in ENCRYPTED.items():
        old = sa.table(table, sa.column("id", sa.Integer()),
                       *(sa.column(c, OLD_TYPES[k]) for c, k in columns.items()))  # fmt: skip
        plain[table] = list(bind.execute(sa.select(old)).mappings())
    intakes = list(bind.execute(sa.text("SELECT id, clinic_id, token FROM intake")).mappings())
    clinics = list(
        bind.execute(
            sa.text(
                "SELECT id, self_referral_token FROM clinic WHERE self_referral_token IS NOT NULL"
            )  # fmt: skip
        ).mappings()
    )

    # Column types: ciphertext is longer than any old length limit, and JSON becomes text.
    for table, columns in ENCRYPTED.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, kind in columns.items():
                if kind == "bytes":
                    continue
                batch_op.alter_column(
                    column,
                    type_=NEW_TYPES[kind],
                    existing_nullable=True,
                    postgresql_using=f"{column}::text",
                )
    with op.batch_alter_table("intake", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token_hash", sa.String(length=64), nullable=True))
    with op.batch_alter_table("clinic", schema=None) as batch_op:
        batch_op.add_column(sa.Column("self_referral_hash", sa.String(length=64), nullable=True))

    for table, columns in ENCRYPTED.items():
        new = sa.table(table, sa.column("id", sa.Integer()),
                       *(sa.column(c, NEW_TYPES[k]) for c, k in columns.items()))  # fmt: skip
        for row in plain[table]:
            values = {
                column: _seal(ring, kind, row[column], f"{table}.{column}")
                for column, kind in columns.items()
            }
            bind.execute(sa.update(new).where(new.c.id == row["id"]).values(**values))
    intake = sa.table(
        "intake", sa.column("id", sa.Integer()), sa.column("token_hash", sa.String())
    )
    for row in intakes:
        digest = crypto.token_hash(row["token"])
        bind.execute(sa.update(intake).where(intake.c.id == row["id"]).values(token_hash=digest))
    clinic = sa.table(
        "clinic", sa.column("id", sa.Integer()), sa.column("self_referral_hash", sa.String())
    )
    for row in clinics:
        digest = crypto.token_hash(row["self_referral_token"])
        bind.execute(
            sa.update(clinic).where(clinic.c.id == row["id"]).values(self_referral_hash=digest)
        )

    with op.batch_alter_table("intake", schema=None) as batch_op:
        batch_op.drop_constraint("uq_intake_token", type_="unique")
        batch_op.drop_column("token")
        batch_op.alter_column("token_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_intake_token_hash"), ["token_hash"])
    with op.batch_alter_table("clinic", schema=None) as batch_op:
        batch_op.drop_constraint("uq_clinic_self_referral_token", type_="unique")
        batch_op.drop_column("self_referral_token")
        batch_op.create_unique_constraint(
            batch_op.f("uq_clinic_self_referral_hash"), ["self_referral_hash"]
        )

    # Name search: keyed digests of every prefix of every folded word, no readable words.
    names_by_id = {row["id"]: row["client_name"] for row in plain["intake"]}
    words = sa.table(
        "intake_name_word",
        sa.column("intake_id", sa.Integer()),
        sa.column("word", sa.String()),
        sa.column("clinic_id", sa.Integer()),
    )
    bind.execute(sa.delete(words))
    rows = []
    for row in intakes:
        digests = dict.fromkeys(
            ring.blind(row["clinic_id"], p) for p in names.prefixes(names_by_id[row["id"]] or "")
        )
        rows += [
            {"intake_id": row["id"], "word": d, "clinic_id": row["clinic_id"]} for d in digests
        ]
    if rows:
        bind.execute(sa.insert(words), rows)


def downgrade() -> None:
    raise RuntimeError(
        "e7c1d2a9f305 cannot be undone: client link tokens are stored only as hashes, and a"
        " hash gives no token back. Restore a backup taken before the upgrade instead."
    )
