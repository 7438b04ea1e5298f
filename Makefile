# whodecides: `make run` and `make test` set everything up on a fresh clone (venv, CPU torch, deps, index).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: run test bench lint index install postgres clean

run: install index
	$(BIN)/whodecides run

test: install index postgres
	$(BIN)/python -m pytest

bench: install index
	$(BIN)/python benchmarks/run.py

lint: install
	$(BIN)/ruff check bot tests benchmarks
	$(BIN)/ruff format --check bot tests benchmarks

index: install
	$(BIN)/whodecides index --if-stale

install: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# CPU torch first: any other torch pulls several GB of CUDA.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

# The scale-out tests (issue 6) need a PostgreSQL server binary; they start their own on a temp dir.
postgres:
	@bash scripts/ensure-postgres.sh || echo "warning: PostgreSQL could not be installed; its tests will skip loudly"

clean:
	rm -rf $(VENV) index var .pytest_cache
