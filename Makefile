# Two commands do all set-up on a fresh Debian machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
PG_ADMIN_URL ?= postgresql://postgres@127.0.0.1:5432/test
PG_TEST_DB ?= intake_test
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/$(PG_TEST_DB)
# WeasyPrint needs Pango and a font; poppler-utils turns brief PDFs into images for tests.
# The browser tests drive Debian's Chromium (never a downloaded browser) and inject axe-core,
# which npm installs from package-lock.json.
# The job fault tests start a Redis server of their own on another port (redis-server).
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils redis-server
BROWSER_PACKAGES := chromium nodejs
# The live-process tests (Procfile, two instances, faults, backups) start their own Redis and
# use PostgreSQL's pg_dump and pg_restore.
LIVE_PACKAGES := redis-server postgresql-client
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# The suite runs on every core (pytest-xdist); TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= auto
PYTEST := $(BIN)/pytest -n $(TEST_WORKERS)
# The PostgreSQL pass waits much of its time (on the server, on browsers, on the live
# processes the fault tests start and stop), so it runs one worker more than there are cores
# (on 2 cores, the same tests on a busy machine: 7 min 52 s with 3 workers, 11 min 25 s with 2).
PG_TEST_WORKERS ?= $(if $(filter auto,$(TEST_WORKERS)),$(shell echo $$(( $$(nproc) + 1 ))),$(TEST_WORKERS))

.PHONY: run test test-sqlite test-postgres test-browser lint install system-deps browser-deps node-deps assets translations messages bench bench-load example-briefs clean

# Links (printed, copied, emailed) use the address served here unless INTAKE_PUBLIC_BASE_URL
# names another: the seed and the server get the same one.
run: install assets
	@export INTAKE_PUBLIC_BASE_URL=$${INTAKE_PUBLIC_BASE_URL:-http://$(HOST):$(PORT)}; \
	$(BIN)/flask --app intake seed-demo && \
	echo "Serving on http://$(HOST):$(PORT)/ (links use $$INTAKE_PUBLIC_BASE_URL; Ctrl-C to stop)" && \
	exec $(BIN)/flask --app intake run --host $(HOST) --port $(PORT)

test: install lint test-sqlite test-postgres

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/flask --app intake forms check

# The browser tests run once, in the PostgreSQL pass (what a browser sees does not depend on
# the database; run twice they took a quarter of CI's 20 minutes), or here when PostgreSQL is
# not reachable (see test-postgres).
test-sqlite: install browser-deps assets
	$(PYTEST) -m "not browser"

# PostgreSQL is required in CI; on a laptop without it this step says so and passes.
test-postgres: install browser-deps assets
	@$(MAKE) --no-print-directory system-deps SYSTEM_PACKAGES="$(LIVE_PACKAGES)"
	@if ! $(BIN)/python -c "import psycopg; psycopg.connect('$(PG_ADMIN_URL)', connect_timeout=3).close()" 2>/dev/null; then \
	  if [ -n "$$CI" ]; then echo "PostgreSQL is not reachable at $(PG_ADMIN_URL)"; exit 1; fi; \
	  echo "PostgreSQL not reachable at $(PG_ADMIN_URL): skipping the PostgreSQL run; browser tests on SQLite"; \
	  $(PYTEST) -m browser; exit $$?; \
	fi; \
	$(BIN)/python -c "import psycopg; c = psycopg.connect('$(PG_ADMIN_URL)', autocommit=True); \
	  c.execute(\"SELECT 1 FROM pg_database WHERE datname = '$(PG_TEST_DB)'\").fetchone() or c.execute('CREATE DATABASE $(PG_TEST_DB)')"; \
	INTAKE_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -n $(PG_TEST_WORKERS)

install: $(VENV)/.installed system-deps translations

# The browser tests alone (they also run within test-postgres).
test-browser: install browser-deps assets
	$(PYTEST) -m browser

# Interface translations: the .po files are the source; the .mo files are built here.
translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d translations

# After changing interface texts: re-extract them and add the new ones to each .po.
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F translations/babel.cfg -k lazy_gettext --no-location \
	  --sort-output --omit-header -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --ignore-obsolete -N

browser-deps: system-deps node-deps
	@$(MAKE) --no-print-directory system-deps SYSTEM_PACKAGES="$(BROWSER_PACKAGES)"

# Node.js and the npm packages of package-lock.json (axe-core, CodeMirror, esbuild).
node-deps:
	@$(MAKE) --no-print-directory system-deps SYSTEM_PACKAGES=nodejs
	@$(MAKE) --no-print-directory node_modules/.package-lock.json

# The questionnaire editor (CodeMirror 6 from npm), bundled into the package's static files:
# served from our origin, never a CDN. The page works without it (a plain text box).
EDITOR_BUNDLE := intake/static/vendor/editor.js
assets: node-deps
	@$(MAKE) --no-print-directory $(EDITOR_BUNDLE)

$(EDITOR_BUNDLE): assets/editor.js package-lock.json node_modules/.package-lock.json
	node_modules/.bin/esbuild assets/editor.js --bundle --minify --format=iife \
	  --target=es2020 --legal-comments=linked --outfile=$@ --log-level=warning

node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends npm; }
	npm ci --no-audit --no-fund --loglevel=error

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

system-deps:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:" $$missing; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

bench: install
	$(BIN)/python bench/brief.py

# Page saves vs a bare app, render workers 2 vs 1, the dashboard under load (README: Performance).
bench-load: install
	@$(MAKE) --no-print-directory system-deps SYSTEM_PACKAGES="$(LIVE_PACKAGES)"
	$(BIN)/python bench/load.py

# The three worked examples' brief PDFs, for anyone to look at (git-ignored).
example-briefs: install
	$(BIN)/python -m intake.brief.samples artifacts/briefs

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
