# The only entry points: install, run, test, lint, bench (and eval, bench-bus). CI calls lint and test.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install system-deps run test lint bench bench-bus eval clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

system-deps:
	bash scripts/install-system-deps.sh

run: install
	$(BIN)/mare demo

test: install system-deps
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: install system-deps
	$(BIN)/python -m bench

# The bus benchmark as the issue asks it: 10 minutes of the world feed, each lag run all of it
# at 5,000 msg/s (about 50 minutes; `make bench` runs a bounded version and says so).
bench-bus: install system-deps
	$(BIN)/python -m bench.bus --full

eval: install
	$(BIN)/python -m bench.eval

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
