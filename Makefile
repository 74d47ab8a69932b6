# Two commands: `make run` (dry-run reconcile of the demo) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench clean

$(BIN)/syncd: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test-deps: $(BIN)/syncd
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: $(BIN)/syncd
	$(BIN)/syncd reconcile --dry-run --config config.example.yaml

test: $(VENV)/.test-deps
	$(BIN)/ruff check syncd tests bench
	$(BIN)/mypy --strict syncd
	$(BIN)/pytest

bench: $(BIN)/syncd
	$(BIN)/python bench/reconcile_local.py

clean:
	rm -rf $(VENV) build *.egg-info
