# One entry point for people and CI. `make test` is what README and .ci/run use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install test lint e2e run bench

$(BIN)/conectafy: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/conectafy

install: $(BIN)/conectafy

## Run the whole test-suite (e2e tests run when KUBECONFIG points at a reachable cluster).
test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

## e2e against KUBECONFIG's cluster (see docs/development.md for a throw-away kind cluster).
e2e: install
	$(BIN)/pytest -m e2e -v

## Run the operator against the cluster in KUBECONFIG.
run: install
	$(BIN)/conectafy operator --all-namespaces
