# Two commands matter: `make run` (the product on this machine) and `make test` (the whole suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/9
TEST_ENV = DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) FLOWBUILDER_TESTING=true
# The browser suite runs beside the integration suite, in its own test database (test_<name>_e2e) and its
# own Redis database, two above TEST_REDIS_URL's (the unit suite's second process took the one above).
TEST_E2E_REDIS_URL ?= $(shell url='$(TEST_REDIS_URL)'; echo "$${url%/*}/$$(( ($${url##*/} + 2) % 16 ))")
export REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: run test lint venv deps dev-deps frontend frontend-test chromium migrate demo unit bench clean

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.deps: requirements.txt $(VENV)/bin/activate
	$(PIP) install -q -r requirements.txt
	touch $@

$(VENV)/.dev-deps: requirements.txt requirements-dev.txt $(VENV)/.deps
	$(PIP) install -q -r requirements-dev.txt
	touch $@

deps: $(VENV)/.deps
dev-deps: $(VENV)/.dev-deps

# The editor: built into static/app/ (not committed). Skipped with a warning when Node.js is missing.
frontend:
	@if command -v npm >/dev/null && [ -f frontend/package.json ]; then \
		cd frontend && npm ci --no-audit --no-fund --loglevel=error && npm run build; \
	else echo "WARNING: npm not found: the editor is not built (install Node.js 20+ and run make frontend)"; fi

frontend-test:
	@if [ -f frontend/package.json ]; then cd frontend && npm ci --no-audit --no-fund --loglevel=error \
		&& npm run typecheck && npm test && npm run build; fi

chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

migrate: export DEBUG ?= true
migrate: deps
	$(PY) manage.py migrate --noinput

demo: export DEBUG ?= true
demo: migrate
	$(PY) manage.py load_demo

## make run: set up everything and run web, worker, beat and the sandbox systems (SQLite by default).
# A laptop: DEBUG lets the public development keys be used (settings.py refuses them otherwise).
run: export DEBUG ?= true
run: deps frontend
	mkdir -p var
	$(PY) -m flowbuilder.devtools.services
	$(MAKE) --no-print-directory migrate
	$(PY) manage.py runlocal --load-demo

# What `manage.py check --deploy` sees: a production environment (throw-away keys, HTTPS public URL).
DEPLOY_ENV = DEBUG=false FLOWBUILDER_TESTING=false DATABASE_URL=sqlite:///:memory: \
	FLOWBUILDER_SECRET_KEY=lint-only-4c7d1e9a0b2f6e8d3a5c7b9e1f0a2d4c6b8e0f1a3c5d7e9b \
	FLOWBUILDER_SECRET_KEYS=bGludC1vbmx5LWtleS1ub3QtZm9yLXByb2R1Y3Rpb24= \
	ALLOWED_HOSTS=flows.example.com CSRF_TRUSTED_ORIGINS=https://flows.example.com \
	FLOWBUILDER_PUBLIC_URL=https://flows.example.com

lint: dev-deps
	$(VENV)/bin/ruff check .
	DEBUG=true DATABASE_URL=sqlite:///:memory: $(PY) manage.py check
	$(DEPLOY_ENV) $(PY) manage.py check --deploy --fail-level WARNING
	DEBUG=true DATABASE_URL=sqlite:///:memory: $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/lint-imports
	$(PY) -m flowbuilder.devtools.import_cycles
	@# The committed frontend/src/api/schema.d.ts must match the API's OpenAPI schema (npm run gen:api).
	@if command -v npm >/dev/null && [ -f frontend/package.json ]; then \
		[ -x frontend/node_modules/.bin/openapi-typescript ] || (cd frontend && npm ci --no-audit --no-fund --loglevel=error); \
		FLOWBUILDER_PYTHON=$(CURDIR)/$(PY) frontend/scripts/gen-api-types.sh --check; \
	else echo "WARNING: npm not found: frontend/src/api/schema.d.ts not checked against the API schema"; fi

## make test: install what tests need, start PostgreSQL and Redis if needed, run every suite.
test: dev-deps lint frontend-test chromium
	$(TEST_ENV) $(PY) -m flowbuilder.devtools.services --postgres
	$(TEST_ENV) $(VENV)/bin/pytest -m "not browser and not integration" -q -n 2
	@# Both suites mostly wait on real processes, so they run side by side (about 5 minutes less than one
	@# after the other); the browser suite's output is shown when both have ended.
	@log=$$(mktemp); \
	$(TEST_ENV) REDIS_URL=$(TEST_E2E_REDIS_URL) DJANGO_ALLOW_ASYNC_UNSAFE=true \
		$(VENV)/bin/pytest -m browser -q tests/e2e > $$log 2>&1 & browser=$$!; \
	echo "integration suite (the browser suite runs beside it; its output follows):"; \
	$(TEST_ENV) $(VENV)/bin/pytest -m "integration and not browser" -q; integration=$$?; \
	wait $$browser; browser=$$?; \
	echo "browser suite:"; cat $$log; rm -f $$log; \
	test $$integration -eq 0 && test $$browser -eq 0

unit: dev-deps
	$(TEST_ENV) $(VENV)/bin/pytest -m "not browser and not integration" -q -n 2

bench: dev-deps
	$(PY) bench/w5_plan.py
	$(PY) bench/w1_chain.py

clean:
	rm -rf var static/app frontend/node_modules
