# The two commands: `make run` (API on http://127.0.0.1:8000, embedded database) and `make test`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PYTHON ?= python3

.PHONY: install run test test-unit lint format bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first and pinned: a bare `torch` requirement would pull a multi-GB CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/hybrid-search serve

test: $(STAMP)
	$(PY) -m pytest -q

# The fast tests alone: no database, no model (tests/unit, under a minute).
test-unit: $(STAMP)
	$(PY) -m pytest -q -m unit

# The benchmark on ../shared/data/zh_scale (docs/performance.md), LanceDB alongside; ARGS for options.
bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	$(VENV)/bin/hybrid-search bench --out bench-report.json $(ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check app tests migrations examples
	$(VENV)/bin/ruff format --check app tests migrations examples
	$(VENV)/bin/mypy app

format: $(STAMP)
	$(VENV)/bin/ruff format app tests migrations examples
	$(VENV)/bin/ruff check --fix app tests migrations examples

clean:
	rm -rf $(VENV) .hybrid-search .pytest_cache .mypy_cache .ruff_cache
