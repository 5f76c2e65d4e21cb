# The two commands: `make run` and `make test`. Everything else they need, they do.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Development defaults (a development SECRET_KEY and encryption key) need DEBUG; production
# settings come from the environment instead.
export DEBUG ?= 1

.PHONY: install run test test-browser lint format clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	@mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py demo_setup
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start --procfile Procfile

test: install
	@mkdir -p var
	$(BIN)/pytest $(PYTEST_ARGS)

# Only the browser tests (Playwright + Debian's Chromium at /usr/bin/chromium, or
# BROWSER_EXECUTABLE); `make test` runs them too, and says loudly when they were skipped.
test-browser: install
	@mkdir -p var
	$(BIN)/pytest -m browser $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var *.egg-info

# --- The demo with a real Vendure cart (issue 8) -----------------------------------------------
# Installs and starts Vendure 3.7.3 (kept running afterwards; `python scripts/vendure/vendure.py
# stop` stops it), seeds it, adds a merchant whose cart is on it, then runs the Procfile.
.PHONY: demo-vendure
demo-vendure: install
	@mkdir -p var
	$(BIN)/python scripts/vendure/demo.py
