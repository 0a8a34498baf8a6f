# Forsøgsportalen — the two set-up commands are `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 5000
STAMP := $(VENV)/.installed
VENDOR := portal/static/vendor/dkfds

.PHONY: install demo test lint assets translations messages clean

install: $(STAMP) $(VENDOR)/.stamp translations

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
