"""Example per-deployment settings: copy to instance/config.py and edit."""

# A long random string; required when INTAKE_PRODUCTION=1.
# python -c 'import secrets; print(secrets.token_hex(32))'
# SECRET_KEY = "..."

# PostgreSQL in production (the default is SQLite in this folder):
# SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://intake@127.0.0.1:5432/intake"

# The address clients reach, used in the links that commands print.
# PUBLIC_BASE_URL = "https://intake.example-clinic.org"

# Which built-in questionnaire new invitations use (a file in forms/).
# DEFAULT_QUESTIONNAIRE = "readiness"

# Keys of client data at rest (required when INTAKE_PRODUCTION=1; each from
# `flask --app intake keys generate`). The first encryption key encrypts, all decrypt: to
# rotate, put a new one first, restart, run `flask --app intake keys rotate`, then drop the old.
# ENCRYPTION_KEYS = "new-key,old-key"
# The name-search keys: the first writes, all are looked up. To rotate (README, "Rotating the
# search key"): "old,new" everywhere, then "new,old" everywhere, `keys rotate --search`, then
# "new" alone. SEARCH_KEYS takes the place of SEARCH_KEY (one key, as before).
# SEARCH_KEYS = "new-key,old-key"
# SEARCH_KEY = "..."
