# DafnckMachine developer commands. `make run` starts the platform, `make test` checks it.
# Both create the virtualenv (.venv) on first use; the platform's servers (Kafka, Postgres,
# Redis) are installed and started by `dafnck` itself.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint unit bench stack-down clean help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	@echo "[setup] creating $(VENV) and installing DafnckMachine with its test tools (first run only)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)
	@echo "[setup] done"

run: $(STAMP)  ## start the whole platform in the foreground (Ctrl-C stops it)
	$(BIN)/dafnck up

lint: $(STAMP)  ## ruff, mypy, the import contracts and the schema contract check
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/dafnck schemas check --since $$(cat schemas/RELEASED)

test: lint  ## lint, then every test tier but perf (starts the local stack if needed)
	$(BIN)/pytest -q

unit: $(STAMP)  ## the fast tiers only: unit and contract tests, no servers
	$(BIN)/pytest -q tests/unit tests/contract

bench: $(STAMP)  ## the benchmarks in tests/perf (prints ratios against in-run baselines)
	$(BIN)/python tests/perf/bench_pipeline.py

stack-down: $(STAMP)  ## stop the local Kafka, Postgres and Redis
	$(BIN)/dafnck stack down

clean:  ## remove the virtualenv (not the stack's state in .dafnck/)
	rm -rf $(VENV)
