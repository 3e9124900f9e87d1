# NOMAD web — set-up, run, test, lint, bench. Every target installs what is missing.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
MANAGE := $(PY) manage.py
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Debian packages: gettext compiles translations; pango lets WeasyPrint make the PDFs;
# the tests drive Chromium, read PDFs and check the compose file (docker-compose config
# needs no Docker daemon).
RUN_DEBS := gettext libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
TEST_DEBS := gettext chromium poppler-utils libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
	docker-compose
# The source map too: collectstatic (production) refuses a script whose map is missing.
VENDOR := static/vendor/htmx.min.js static/vendor/signature_pad.min.js \
	static/vendor/signature_pad.min.js.map static/vendor/nunjucks-slim.min.js \
	static/vendor/nunjucks-slim.min.js.map
# The document templates, precompiled for the tablet (its CSP forbids compiling them there).
DOCUMENT_TEMPLATES := $(wildcard templates/documents/*.html)
PRECOMPILED := static/vendor/document-templates.js

.PHONY: run test lint bench setup-run setup-test messages seal clean vendor

run: setup-run
	$(MANAGE) migrate --noinput
	$(MANAGE) load_default_catalogue
	$(MANAGE) seed_demo
	$(MANAGE) runserver 127.0.0.1:8000

test: setup-test
	$(VENV)/bin/pytest $(PYTEST_ARGS)
	node --test tests/js/

lint: $(VENV)/.dev-installed node_modules/.package-lock.json
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	node_modules/.bin/eslint .
	node_modules/.bin/tsc -p jsconfig.json

# Every benchmark, then bench/RESULTS.md from bench/results.json. The load, quality and
# dashboard benchmarks need PostgreSQL and Redis (see bench/_server.py); a failing
# benchmark does not stop the others, and the target fails at the end.
bench: setup-test
	@failed=""; for b in bench/bench_*.py; do echo "== $$b"; \
		$(PY) $$b || failed="$$failed $$b"; done; \
	$(PY) bench/report.py; \
	if [ -n "$$failed" ]; then echo "failed:$$failed"; exit 1; fi

setup-run: debs-run $(VENV)/.installed $(VENDOR) $(PRECOMPILED) messages seal
setup-test: debs-test $(VENV)/.dev-installed $(VENDOR) $(PRECOMPILED) messages seal

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(VENV)/bin/python
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PIP) install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

# The front-end files alone (the container image's node stage runs it, with
# NPM_CI_FLAGS=--omit=dev).
vendor: $(VENDOR) $(PRECOMPILED)

# Lighthouse (a dev dependency, for make bench) drives Debian's Chromium: never download one.
node_modules/.package-lock.json: package.json package-lock.json
	PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund $(NPM_CI_FLAGS)
	touch $@

# Front-end files come from npm, never from git.
$(VENDOR): node_modules/.package-lock.json
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/
	cp node_modules/signature_pad/dist/signature_pad.min.js static/vendor/
	cp node_modules/signature_pad/dist/signature_pad.min.js.map static/vendor/
	cp node_modules/nunjucks/browser/nunjucks-slim.min.js static/vendor/
	cp node_modules/nunjucks/browser/nunjucks-slim.min.js.map static/vendor/

# Written whole then moved, so a failed compilation never leaves half a file behind.
$(PRECOMPILED): $(DOCUMENT_TEMPLATES) node_modules/.package-lock.json
	mkdir -p static/vendor
	node_modules/.bin/nunjucks-precompile templates/documents > $@.tmp
	mv $@.tmp $@

# A self-signed development seal per brand (stored and demo ones) that has none in
# NOMAD_SEAL_DIR; refused in production.
seal: | $(VENV)/bin/python
	$(MANAGE) generate_seal_certificate

messages: | $(VENV)/bin/python
	$(MANAGE) compilemessages --ignore=.venv --ignore=node_modules -v0

.PHONY: debs-run debs-test
debs-run:
	@(command -v msgfmt >/dev/null && /sbin/ldconfig -p | grep -q libpangoft2-1.0) || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $(RUN_DEBS))

debs-test:
	@(command -v msgfmt && command -v chromium && command -v pdftoppm && command -v docker-compose \
		&& /sbin/ldconfig -p | grep -q libpangoft2-1.0) >/dev/null || \
		($(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(TEST_DEBS))

clean:
	rm -rf $(VENV) node_modules static/vendor staticfiles
