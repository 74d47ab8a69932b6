# Two commands: `make run` (dry-run reconcile of the demo) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test systemd-test soak bench clean

$(BIN)/syncd: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test-deps: $(BIN)/syncd
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: $(BIN)/syncd
	@# A fixed moment, so the demo shows the same plan whenever it is run.
	$(BIN)/syncd reconcile --dry-run --config config.example.yaml --now 2026-11-25T09:00:00+01:00

test: $(VENV)/.test-deps
	$(BIN)/ruff check syncd tests bench
	$(BIN)/mypy --strict syncd
	@# tests/integration/test_systemd_units.py needs systemd-analyze: as root (CI on Debian)
	@# it is installed here when missing; otherwise that test says what to install.
	command -v systemd-analyze >/dev/null || [ "$$(id -u)" != 0 ] || { apt-get update -q && \
		apt-get install -y -q --no-install-recommends systemd; }
	@# tests/integration/test_report_browser.py screenshots the HTML report in Chromium
	@# (~420 MB): installed the same way; otherwise those tests are skipped with a hint.
	command -v chromium >/dev/null || command -v chromium-browser >/dev/null || [ "$$(id -u)" != 0 ] || \
		{ apt-get update -q && apt-get install -y -q --no-install-recommends chromium; }
	@# Branch coverage of syncd/ (subprocesses included): a table per module; under 85% fails.
	@# One worker per core (pytest-xdist): the suite waits mostly on subprocesses and servers.
	$(BIN)/pytest -n auto --dist worksteal --cov=syncd --cov-report=json:.cache/coverage.json --cov-report=
	$(BIN)/python .ci/coverage_floor.py .cache/coverage.json 85

# The units under a real systemd in a container (root; see tests/system/prepare.sh).
systemd-test: $(VENV)/.test-deps
	tests/system/prepare.sh
	$(BIN)/pytest -o addopts=-q tests/system

# The state machines of tests/stateful with the long, randomised profile (40-60 min).
soak: $(VENV)/.test-deps
	SYNCD_SOAK=1 $(BIN)/pytest -o addopts=-q tests/stateful --hypothesis-show-statistics

# One table, each figure beside its reference measured in the same run, written to
# bench/RESULTS.md (BEFORE=<git rev> adds that revision's figures, measured in turn).
bench: $(VENV)/.test-deps
	$(BIN)/python bench/run.py $(if $(BEFORE),--before $(BEFORE))

clean:
	rm -rf $(VENV) build *.egg-info
