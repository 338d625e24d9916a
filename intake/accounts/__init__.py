"""Staff accounts: sign-in and sessions, emailed single-use links, and the team's changes."""
