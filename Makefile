# Relief: `make run` serves the app with demo data (and runs the task worker beside it);
# `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Development server settings (never used by `make test` or in production).
DEV_ENV := DEBUG=true

.PHONY: catalogs run serve nginx test test-clock lint schema install install-dev browser node bench bench-tools load faults clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[dev]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed catalogs
install-dev: $(VENV)/.installed-dev catalogs

# The server's translations (backend/locale/<lang>/LC_MESSAGES/django.po, committed) compiled
# to the .mo files Django reads (generated, never committed; a missing or stale one stops
# start-up: core/checks.py). msgfmt is what `relief compilemessages` runs, with the same
# checks; called directly it compiles only these files, never a package's under .venv.
PO_FILES := $(wildcard backend/locale/*/LC_MESSAGES/*.po)
MO_FILES := $(PO_FILES:.po=.mo)

%.mo: %.po
	@command -v msgfmt >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null; \
	  else echo "compiling the translations needs msgfmt: apt-get install gettext"; exit 1; fi; }
	msgfmt --check-format -o $@ $<

catalogs: $(MO_FILES)

# The web app's npm files (plotly.js partial bundle, axe-core for the browser tests).
node_modules/.installed: package.json package-lock.json
	npm install --no-audit --no-fund
	touch $@

node: node_modules/.installed

run: install node
	@mkdir -p var
	$(DEV_ENV) $(BIN)/relief migrate --noinput
	$(DEV_ENV) $(BIN)/relief seed_demo
	$(DEV_ENV) $(BIN)/relief collectstatic --noinput -v 0
	@echo ""
	@echo "  Relief is starting on http://127.0.0.1:$(PORT)/"
	@echo "  Demo physician: doctor@relief.example  / relief-demo"
	@echo "  Demo patient:   patient@relief.example / relief-demo"
	@echo "  API docs:       http://127.0.0.1:$(PORT)/api/docs/"
	@echo "  Mail (invitations, resets, reminders): files in var/mail/, named below as sent"
	@echo ""
	$(DEV_ENV) PORT=$(PORT) $(BIN)/python deploy/dev.py

# The production topology on one machine (deploy/serve.py): nginx on PORT in front of gunicorn
# on a unix socket under var/run/, DEBUG off, secrets from the environment or var/secrets.env
# (generated on first use, mode 0600), migrate + collectstatic first. Ctrl-C stops both.
# DATABASE_URL / CACHE_URL as set (SQLite and local memory when unset); TLS_CERT + TLS_KEY for
# HTTPS at nginx; HOST (127.0.0.1) to listen elsewhere. See README, "Run it for real".
serve: install node nginx
	@mkdir -p var
	PORT=$(PORT) $(BIN)/python deploy/serve.py

# Debian's nginx (make serve, and the tests that start make serve's topology).
nginx:
	@if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's nginx-light for make serve"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null; \
	  else \
	    echo "warning: nginx is missing (apt-get install nginx-light); make serve will stop and the deploy tests will be skipped outside CI"; \
	  fi; \
	fi

# Debian's Chromium for the browser tests (Playwright drives it; it cannot download one),
# and dbus-daemon: the notification-tap test runs a desktop notification server on D-Bus.
browser:
	@if [ ! -x /usr/bin/chromium ] || ! command -v dbus-daemon >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium and dbus-daemon for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium dbus-daemon >/dev/null; \
	  else \
	    echo "warning: /usr/bin/chromium is missing (apt-get install chromium); browser tests will be skipped outside CI"; \
	  fi; \
	fi

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	cd backend && ../$(BIN)/lint-imports --config ../pyproject.toml
	DEBUG=true $(BIN)/mypy

schema: install-dev
	$(BIN)/python -m pytest -q tests/test_schema.py

# The OpenAPI schema goes to var/openapi.json first: tests/js/labels.test.mjs checks the web
# app's labels against its enums. PYTHONPATH as pytest's pythonpath (this checkout's code);
# DEBUG=true only spares the command a secret key (nothing is served; the schema is the same).
test: install-dev browser nginx lint node
	@mkdir -p var
	PYTHONPATH=backend DEBUG=true $(BIN)/relief spectacular --format openapi-json --file var/openapi.json
	node --test tests/js/
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The suite on SQLite with the clock set (libfaketime) just before and after the patients'
# and physicians' local midnights and in summer time: tests that count calendar days from
# "now" must pass at any hour. Browser tests (Chromium keeps the real clock) and the
# subprocess tests with timeouts are left out. Not part of `make test` (about 2 min a time).
CLOCK_TIMES ?= 2026-11-29T22:40:00 2026-11-29T23:30:00 2026-11-30T04:30:00 2026-06-30T21:50:00
test-clock: install-dev
	@command -v faketime >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime >/dev/null; \
	  else echo "test-clock needs faketime: apt-get install faketime"; exit 1; fi; }
	@for t in $(CLOCK_TIMES); do \
	  echo "== clock at $$t UTC"; \
	  env -u DATABASE_URL TZ=UTC faketime -f "@$$(echo $$t | tr T ' ')" $(BIN)/python -m pytest -q \
	    --ignore=tests/e2e --ignore=tests/fuzz --deselect tests/config/test_health.py $(PYTEST_ARGS) || exit 1; \
	done

# Benchmarks print ratios measured side by side and rewrite their tables in BENCHMARKS.md.
# They need PostgreSQL (DATABASE_URL's server; each uses a throwaway database of its own).
# bench/run_all.py runs every one even when one misses a goal or crashes, then names the
# missed goals and crashed scripts and fails.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/relief
bench: install-dev node browser bench-tools
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python bench/run_all.py

# wrk drives bench/api.py; pgbench gives its write floor (Debian packages).
bench-tools:
	@if ! command -v wrk >/dev/null || ! command -v pgbench >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk postgresql-client >/dev/null; \
	  else \
	    echo "bench/api.py needs wrk and pgbench: apt-get install wrk postgresql-client"; exit 1; \
	  fi; \
	fi

# Reliability (RELIABILITY.md): long runs, not part of `make test`; each prints PASS/FAIL.
# Both run through make serve's topology (deploy/serve.py: nginx in front of gunicorn).
# load: locust against it on a seeded relief_load database (LOAD_SECONDS, default 300).
load: install-dev nginx
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python bench/load/run.py

# faults: PostgreSQL restarted (pg_ctlcluster: every user of the cluster notices) and gunicorn
# workers killed under write load, then reconciled (FAULTS_OUTAGE=proxy: a socat proxy is cut
# instead of restarting PostgreSQL; socat is installed when missing).
faults: install-dev nginx
	@if [ "$${FAULTS_OUTAGE:-restart}" = proxy ] && ! command -v socat >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq socat >/dev/null; \
	fi
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python bench/faults/run.py

clean:
	rm -rf $(VENV) var test-artifacts

# Lighthouse's accessibility score (must be 100) of a signed-in patient's check-in screen,
# in English and in Spanish: tests/e2e/test_lighthouse.py, through Debian's Chromium (nothing
# is downloaded). Reports: test-artifacts/lighthouse-checkin-<lang>.report.html (and .json).
# Part of `make test` as well; this runs only it.
.PHONY: lighthouse
lighthouse: install-dev browser node
	$(BIN)/python -m pytest -q tests/e2e/test_lighthouse.py $(PYTEST_ARGS)
