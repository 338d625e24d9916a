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
