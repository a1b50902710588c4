# wsconform: every target works on a fresh clone of a machine that has only python3.
# The virtual environment is built on first use and refreshed when pyproject.toml changes.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Where `make test-conformance` writes; `reports/` is kept in git, its content is not.
REPORTS ?= reports

.PHONY: all venv test lint types pytest fuzz bench test-conformance docker-engine test-targets test-full-grid clean

all: test

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check reference harness cases tests bench wsconform/__init__.py
	$(BIN)/ruff format --check reference harness cases tests bench wsconform/__init__.py

types: $(STAMP)
	$(BIN)/mypy

# ci-sized Hypothesis settings unless the caller names a profile (harness/fuzz/profiles.py).
pytest: $(STAMP)
	WSCONFORM_HYPOTHESIS_PROFILE=$${WSCONFORM_HYPOTHESIS_PROFILE:-ci} $(BIN)/python -m pytest -n auto --durations=25

# Long in-process fuzzing of the reference core: the tests marked `fuzz`, nightly profile.
fuzz: $(STAMP)
	WSCONFORM_HYPOTHESIS_PROFILE=$${WSCONFORM_HYPOTHESIS_PROFILE:-nightly} $(BIN)/python -m pytest -n auto -m fuzz --timeout=0 tests/reference

test: lint types pytest

# Sections 12 and 13 whole against both third-party servers (make test runs a sample of
# the larger messages: tests/integration/harness/test_third_party_servers.py).
test-full-grid: $(STAMP)
	WSCONFORM_FULL_GRID=1 $(BIN)/python -m pytest -n auto tests/integration/harness/test_third_party_servers.py

bench: $(STAMP)
	$(BIN)/python -m bench

# A Docker engine for the --docker-image tests: installs docker.io and starts dockerd
# when needed (root on Debian); then the target tests against it.
docker-engine:
	.ci/docker-engine

test-targets: $(STAMP) docker-engine
	WSCONFORM_REQUIRE_DOCKER=1 $(BIN)/python -m pytest -n 2 tests/integration/harness/targets

test-conformance: $(STAMP)
	$(BIN)/wsconform conformance --outdir $(REPORTS)

clean:
	rm -rf $(VENV) build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
	find $(REPORTS) -mindepth 1 ! -name .gitkeep -exec rm -rf {} +
