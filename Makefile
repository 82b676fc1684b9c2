# alliance-sim: `make run` and `make test` work on a fresh clone with only git, make and
# a Python >= 3.12 somewhere on the machine (on PATH, or installed through pyenv).

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
REPLICATES ?= 300
SEED ?= 7

.PHONY: run test test-slow lint format bench baseline posterior clean help

help:
	@echo "make run        set up .venv, run the calibrated CSTO baseline, write results/baseline"
	@echo "make test       set up .venv and run the test suite"
	@echo "make test-slow  also run the slow cases"
	@echo "make lint       ruff (lint, format), mypy and the layer contract (lint-imports)"
	@echo "make format     format the code and apply ruff's safe fixes"
	@echo "make bench      measure every performance target in one run (docs/performance.md);"
	@echo "                make bench BENCH_ARGS=--quick for a smoke test"
	@echo "make baseline   refresh the pinned regression baseline (after a deliberate change)"
	@echo "make posterior  remake the CSTO baseline's posterior (seeds/csto_2022.posterior.yaml)"

# Find a Python >= 3.12: $PYTHON if set, then python3.13 / python3.12 / python3 on PATH,
# then any 3.12+ that pyenv holds. Prints its path, or explains what to install.
define FIND_PYTHON
ok() { "$$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }; \
for cand in "$${PYTHON:-}" python3.14 python3.13 python3.12 python3 python; do \
  [ -n "$$cand" ] || continue; \
  p=$$(command -v "$$cand" 2>/dev/null) || continue; \
  if ok "$$p"; then echo "$$p"; exit 0; fi; \
done; \
root=$$(pyenv root 2>/dev/null || echo "$$HOME/.pyenv"); \
for p in $$(ls -d "$$root"/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do \
  if ok "$$p"; then echo "$$p"; exit 0; fi; \
done; \
echo "alliance-sim needs Python 3.12 or newer (Mesa 3.5 requires it), and none was found." >&2; \
echo "Install one, for example 'pyenv install 3.12' or your system's python3.12 package," >&2; \
echo "or point to it with: make PYTHON=/path/to/python3.12 ..." >&2; \
exit 1
endef

$(STAMP): pyproject.toml
	@base=$$($(FIND_PYTHON)) || exit 1; \
	echo "Using $$base ($$($$base --version))"; \
	if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)'; then \
	  rm -rf $(VENV) && $$base -m venv $(VENV) || exit 1; \
	fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,app,dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/alliance-sim run scenarios/csto_2022.yaml --replicates $(REPLICATES) --seed $(SEED) --out results/baseline --plot --overwrite

# The shipped posterior of the CSTO baseline: the same file on any number of workers.
posterior: $(STAMP)
	$(VENV)/bin/alliance-sim calibrate scenarios/csto_2022.yaml --workers 0 --overwrite

test: $(STAMP)
	$(PY) -m pytest -m "not slow" -q

test-slow: $(STAMP)
	$(PY) -m pytest -q

# Every check runs even when an earlier one fails (so one run shows all problems); the
# target fails if any did.
LINT_PATHS := alliance_sim tests bench
lint: $(STAMP)
	@status=0; \
	$(VENV)/bin/ruff check $(LINT_PATHS) || status=1; \
	$(VENV)/bin/ruff format --check $(LINT_PATHS) || status=1; \
	$(VENV)/bin/mypy || status=1; \
	$(VENV)/bin/lint-imports --no-logo || status=1; \
	exit $$status

format: $(STAMP)
	$(VENV)/bin/ruff format $(LINT_PATHS)
	$(VENV)/bin/ruff check --fix $(LINT_PATHS)

BENCH_ARGS ?=
bench: $(STAMP)
	$(PY) bench/run_all.py $(BENCH_ARGS)

baseline: $(STAMP)
	$(PY) tests/regression/refresh_baseline.py

clean:
	rm -rf $(VENV) results .pytest_cache
