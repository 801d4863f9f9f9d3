# One entry point for people and CI. `make test` is what README and .ci/run use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install web test lint e2e run

$(BIN)/conectafy: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/conectafy

install: $(BIN)/conectafy

## Build the dashboard (web/dist, served by the API at /) and run its Vitest tests; skipped without npm.
web:
	@if command -v npm >/dev/null; then \
		cd web && { [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund; } \
			&& npm test && npm run build; \
	else \
		echo "npm not found: skipping the dashboard build (browser tests will be skipped)"; \
	fi

## Lint, type-check and run the whole test-suite (e2e tests run when KUBECONFIG points at a reachable
## cluster; browser tests when Debian's chromium is installed).
test: install web lint
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	MYPY=$(BIN)/mypy ./scripts/typecheck.sh

## e2e against KUBECONFIG's cluster, or a throw-away kind cluster when KUBECONFIG is unset.
e2e: install
	PYTEST=$(BIN)/pytest scripts/e2e-kind.sh

## Run the operator against the cluster in KUBECONFIG.
run: install
	$(BIN)/conectafy operator --all-namespaces

## The whole system on this machine with Kubernetes, WAHA and WhatsApp simulated: no Docker, no cluster.
.PHONY: demo
demo: install web
	$(BIN)/conectafy demo --seed

## Run the whole system on a kind cluster: image build, helm install, dashboard (needs Docker).
.PHONY: up
up:
	scripts/up.sh
