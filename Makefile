# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
VENDOR := web/static/vendor/htmx.min.js

.PHONY: lint run test setup migrate serve bench messages clean test-pg test-calendar system-deps

setup: $(STAMP) $(VENDOR)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Tsunagu needs $(PYTHON) (Debian: apt-get install -y python3.11 python3.11-venv), then run make again."; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

# htmx and axe-core come from the npm registry at the exact versions in package.json;
# they are copied into place here and never committed.
$(VENDOR): node_modules/.package-lock.json
	mkdir -p web/static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js web/static/vendor/htmx.min.js

migrate: setup
	$(VENV)/bin/tsunagu migrate

# Demo mode on loopback only; seeds the demo town when the database is empty.
run: setup
	TSUNAGU_DEMO=1 $(VENV)/bin/tsunagu migrate
	TSUNAGU_DEMO=1 $(VENV)/bin/tsunagu seed-demo --if-empty
	TSUNAGU_DEMO=1 $(VENV)/bin/tsunagu serve --host 127.0.0.1 --port 8000

# Chromium and the CJK fonts for the browser tests: installed when missing (Debian, as root),
# otherwise one sentence says what to install.
system-deps:
	@bash .ci/system-deps

# The whole suite on SQLite, browser tests included (Debian's Chromium at /usr/bin/chromium), on the
# suite's fixed clock (tests/clock.py), then the calendar sweep.
test: system-deps setup lint
	$(PY) -m pytest -q -n 2 --dist loadfile
	$(MAKE) --no-print-directory test-calendar

# ruff over server/, tests/ and bench/, then the import contracts (both configured in pyproject.toml);
# part of make test.
lint: setup
	$(VENV)/bin/ruff check server tests bench
	$(VENV)/bin/lint-imports --no-cache

# Every test marked `calendar` at each instant of tests/clock.py:SWEEP (fiscal year, term end,
# year end, leap day, month end at 23:59 Tokyo, a Monday holiday), in one run.
test-calendar: setup
	$(PY) -m pytest -q -n 2 -m calendar --calendar-sweep

# The database tests again on PostgreSQL: TSUNAGU_TEST_DATABASE_URL must point at a throwaway database.
test-pg: setup
	$(PY) -m pytest -q -m "not browser" -n 2 --dist loadfile

bench: setup
	$(PY) -m bench

messages: setup
	$(PY) -m server.i18n_tools extract

clean:
	rm -rf $(VENV) node_modules web/static/vendor var

# A new migration from the models (developers): make migration NAME="salons" REV=0008
# Landed migrations are never rewritten; each change adds a file.
migration: setup
	rm -f var/makemigration.db*
	TSUNAGU_DATABASE_URL=sqlite+aiosqlite:///$(CURDIR)/var/makemigration.db $(VENV)/bin/tsunagu migrate
	TSUNAGU_DATABASE_URL=sqlite+aiosqlite:///$(CURDIR)/var/makemigration.db $(VENV)/bin/tsunagu makemigration "$(NAME)" --rev-id $(REV)
	rm -f var/makemigration.db*
