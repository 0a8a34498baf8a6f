# Forsøgsportalen — the two set-up commands are `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 5000
STAMP := $(VENV)/.installed
VENDOR := portal/static/vendor/dkfds

.PHONY: install system-packages demo test lint assets translations messages clean

# The one list of Debian packages the project needs at run and test time: Pango and the
# HarfBuzz subset library for WeasyPrint, poppler-utils (pdftotext, pdftoppm) for the PDF
# checks, Chromium for the browser tests. Node.js/npm come from Debian only when absent.
# CI adds its database server with EXTRA_PACKAGES=postgresql-15.
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils chromium
EXTRA_PACKAGES ?=

install: system-packages $(STAMP) $(VENDOR)/.stamp translations

# Installs what is missing when running as root with apt; otherwise names it in one line.
system-packages:
	@missing=""; \
	for p in $(SYSTEM_PACKAGES) $(EXTRA_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' \
	    || missing="$$missing $$p"; \
	done; \
	command -v npm >/dev/null 2>&1 || missing="$$missing nodejs npm"; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing Debian packages:$$missing"; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq \
	  && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	       $$missing >/dev/null; \
	else \
	  echo "Missing system packages; install them first: sudo apt-get install$$missing" >&2; \
	  exit 1; \
	fi

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Det Fælles Designsystem, from the npm registry, served by the app itself (no CDN).
$(VENDOR)/.stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/css $(VENDOR)/js
	cp node_modules/dkfds/dist/css/dkfds-virkdk.min.css $(VENDOR)/css/
	cp node_modules/dkfds/dist/js/dkfds.min.js $(VENDOR)/js/
	cp -r node_modules/dkfds/dist/fonts node_modules/dkfds/dist/img $(VENDOR)/
	cp node_modules/dkfds/dist/LICENSE.md $(VENDOR)/
	touch $@

assets: $(VENDOR)/.stamp

translations: $(STAMP)
	$(VENV)/bin/pybabel compile --use-fuzzy -d portal/translations -D messages --statistics 2>&1 | tail -1

demo: install
	FLASK_DEMO_MODE=true $(VENV)/bin/flask --app portal demo --port $(PORT)

test: install
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy selection geo portal

clean:
	rm -rf $(VENV) node_modules portal/static/vendor instance

# After changing user-facing texts: extract the Danish message ids and update the English catalog.
messages: $(STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k N_ --ignore-dirs='.venv node_modules' -o portal/translations/messages.pot .
	$(VENV)/bin/pybabel update -i portal/translations/messages.pot -d portal/translations --no-fuzzy-matching
