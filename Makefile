# The README's two commands: `make demo` and `make test`. Both set up from scratch on a fresh machine.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test setup setup-dev lint typecheck bench clean

$(BIN)/er: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(BIN)/er

$(BIN)/pytest: $(BIN)/er
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/pytest

setup: $(BIN)/er
setup-dev: $(BIN)/pytest

## Generate the demo data set and run the whole pipeline on it (embedded DuckDB, no server needed).
demo: setup
	$(BIN)/er demo --out demo_out

## Install dev tools and a managed Neo4j, start it, run every test (Neo4j ones included), stop it.
test: setup-dev
	scripts/test.sh

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: setup-dev
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python -m benchmarks accuracy

clean:
	rm -rf demo_out .pytest_cache .mypy_cache .ruff_cache
