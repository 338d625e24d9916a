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
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test test-sqlite test-postgres lint install system-deps bench clean

run: install
	$(BIN)/flask --app intake seed-demo
	@echo "Serving on http://$(HOST):$(PORT)/ (Ctrl-C to stop)"
	$(BIN)/flask --app intake run --host $(HOST) --port $(PORT)

test: install lint test-sqlite test-postgres

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/flask --app intake forms check

test-sqlite: install
	$(BIN)/pytest

# PostgreSQL is required in CI; on a laptop without it this step says so and passes.
test-postgres: install
	@if ! $(BIN)/python -c "import psycopg; psycopg.connect('$(PG_ADMIN_URL)', connect_timeout=3).close()" 2>/dev/null; then \
	  if [ -n "$$CI" ]; then echo "PostgreSQL is not reachable at $(PG_ADMIN_URL)"; exit 1; fi; \
	  echo "PostgreSQL not reachable at $(PG_ADMIN_URL): skipping the PostgreSQL run"; exit 0; \
	fi; \
	$(BIN)/python -c "import psycopg; c = psycopg.connect('$(PG_ADMIN_URL)', autocommit=True); \
	  c.execute(\"SELECT 1 FROM pg_database WHERE datname = '$(PG_TEST_DB)'\").fetchone() or c.execute('CREATE DATABASE $(PG_TEST_DB)')"; \
	INTAKE_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest

install: $(VENV)/.installed system-deps

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
	$(BIN)/python bench/brief_render.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
