# Praatmee. Two commands matter on a fresh clone:
#   make run    installs into .venv and starts the service on embedded defaults
#   make test   installs the test dependencies and runs the whole suite
# Everything else here is what those two need.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
export RASA_TELEMETRY_ENABLED := false
export PTB_TIMEDELTA := true

.PHONY: run test install browser lint bench clean help

help:
	@echo "make run   - start Praatmee on http://127.0.0.1:8080/ (embedded defaults)"
	@echo "make test  - run every test (Redis, PostgreSQL, Rasa and Chromium included)"

$(BIN)/.ok: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || \
	  { echo "Praatmee needs Python 3.11 (found $$($(PYTHON) --version)); set PYTHON=/path/to/python3.11" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

install: $(BIN)/.ok

run: install
	$(BIN)/praatmee serve

# Debian's Chromium for the browser tests (Playwright drives it; no browser download).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: install browser rasa-model
	$(BIN)/pytest -q -p no:cacheprovider

lint: install
	$(BIN)/python -m ruff check bot actions nlu moderation tests bench || true

$(BIN)/.bench: $(BIN)/.ok
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	touch $@

# Benchmarks print ratios against anchors measured in the same run (see bench/README.md).
bench: $(BIN)/.bench rasa-model
	for b in bench/[a-z]*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) var test-artifacts .pytest_cache

include nlu/rasa.mk
