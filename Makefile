# Two commands for a newcomer: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Where `make demo` writes, as the README says; `make demo DB=x.duckdb` (or DEMO=…, PORT=…) on
# the command line changes it. Not ?=: a DB, DEMO or PORT set in the environment for some other
# tool or server (a shell's DB=postgres://…) is not taken for them.
DB = data/refscope.duckdb
DEMO = data/demo
# The dashboard's port: `make demo PORT=8502` when 8501 is taken.
PORT = 8501

.PHONY: demo test install install-dev dashboard

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# pip's own progress, not -q: the first install takes a minute or more.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	@echo "installing refscope and its dependencies into $(VENV), once (a minute or more)"
	$(BIN)/pip install -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	@echo "installing refscope, its dependencies and its dev tools into $(VENV), once (a few minutes)"
	$(BIN)/pip install -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# The demo logs are written once: written again on a later day (they end yesterday), the same
# files would hold other events, and the database would keep both.
$(DEMO)/.written: | $(VENV)/.installed
	$(BIN)/refscope demo-data --out $(DEMO)
	touch $@

# The demo pages' usernames and names (ingest/demo_catalog.py PAGES): the dashboard then shows
# "Acme Bakery", not 1122334455667788, and makes links to m.me/acmebakery.
demo: install $(DEMO)/.written
	$(BIN)/refscope pages set 1122334455667788 --username acmebakery --name "Acme Bakery" --db $(DB)
	$(BIN)/refscope pages set 203948571620394 --username northwindcoffee --name "Northwind Coffee" --db $(DB)
	$(BIN)/refscope links import $(DEMO)/tracked-links.csv --db $(DB)
	$(BIN)/refscope ingest $(DEMO) --db $(DB)
	$(BIN)/refscope dashboard --db $(DB) --port $(PORT)

# The dashboard on the database as it is (after `make demo` was stopped), nothing read again.
dashboard: install
	$(BIN)/refscope dashboard --db $(DB) --port $(PORT)

test: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -n auto --dist loadfile
