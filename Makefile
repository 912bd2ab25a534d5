# Consent Gate: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PORT ?= 5000
HOST ?= 127.0.0.1

.PHONY: run dev test unit lint bench screenshots setup migrate samples translations banner clean

# Serving needs CONSENT_PUBLIC_URL: unless it is set (in the environment or instance/config.py),
# make serves at its own address, with the demo pages on another host of this machine, so the
# trackers they load never see the console's cookies (a host's cookies reach all its ports).
DEMO_HOST = $(if $(filter localhost,$(HOST)),127.0.0.1,localhost)
CONFIGURED = $(or $(CONSENT_PUBLIC_URL),$(shell grep -s '^PUBLIC_URL' instance/config.py))
SERVE_ENV = $(if $(CONFIGURED),,CONSENT_PUBLIC_URL=http://$(HOST):$(PORT) \
  $(if $(CONSENT_DEMO_URL),,CONSENT_DEMO_URL=http://$(DEMO_HOST):$(PORT)))

run: setup samples ## Set up and serve the demo with gunicorn on the embedded database
	$(SERVE_ENV) $(BIN)/gunicorn -c gunicorn.conf.py --bind $(HOST):$(PORT) wsgi:app

dev: setup samples ## Serve with the Flask reloader and debugger
	$(FLASK) sites register-banners  # gunicorn does this at start; flask run does not
	$(SERVE_ENV) CONSENT_DEV=1 $(FLASK) run --debug --host $(HOST) --port $(PORT)

setup: $(VENV)/.installed instance/config.py translations banner migrate

test: $(VENV)/.installed-test translations banner chromium redis lint ## Install test dependencies and run every test
	$(BIN)/python -m pytest

unit: $(VENV)/.installed-test ## Run the fast layer: service, chain, catalog, schema with fakes
	$(BIN)/python -m pytest tests/unit -q

lint: $(VENV)/.installed-test ## Check style with ruff
	$(BIN)/ruff check app tests bench wsgi.py gunicorn.conf.py tools
	node --check static/banner/consent-gate.js && node --check static/banner/consent-gate-deferred.js

bench: $(VENV)/.installed-test translations banner chromium valgrind ## Run the benchmarks and write bench/RESULTS.md
	$(BIN)/python -m bench

screenshots: $(VENV)/.installed-test translations banner chromium ## Photograph the banner and the console into docs/screenshots/
	$(BIN)/python tools/screenshots.py docs/screenshots

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@# Playwright is optional (banner screenshots, `flask sites scan`): offered where Chromium is.
	@if command -v chromium >/dev/null 2>&1; then \
	  $(BIN)/python -m pip install --quiet -e '.[scanner]' || \
	    echo "note: could not install playwright; screenshots and scans need: pip install -e '.[scanner]'"; \
	else \
	  echo "note: no Chromium here; banner screenshots and 'flask sites scan' need it and pip install -e '.[scanner]'"; \
	fi
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# A fresh machine gets its own random secret; an existing one is never replaced.
instance/config.py:
	mkdir -p instance
	umask 077 && $(BIN)/python -c "import secrets; print(f'SECRET_KEY = {secrets.token_hex(32)!r}')" > $@
	chmod 600 $@

# The banner's gate is minified with terser from the npm registry (offline once installed).
banner: static/banner/consent-gate.min.js static/banner/consent-gate-deferred.min.js

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

static/banner/consent-gate.min.js static/banner/consent-gate-deferred.min.js &: static/banner/consent-gate.js static/banner/consent-gate-deferred.js tools/build-banner.mjs node_modules/.installed
	npm run -s build

translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d translations -f --statistics 2>&1 | tail -n 1

migrate: $(VENV)/.installed instance/config.py ## Create or upgrade the database schema
	$(FLASK) db upgrade
	$(FLASK) ledger keygen

samples: setup ## Load the sample sites that are not there yet; existing data is kept
	$(FLASK) sites import --only-new sites/

.PHONY: chromium
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

.PHONY: redis
redis:
	@command -v redis-server >/dev/null 2>&1 || { \
	  echo "Installing Debian's redis-server for the shared rate-limit tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; }

.PHONY: valgrind
valgrind:
	@command -v valgrind >/dev/null 2>&1 || { \
	  echo "Installing Debian's valgrind to count instructions in the benchmark"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null; }

clean:
	rm -rf $(VENV) .pytest_cache node_modules static/banner/*.min.js
