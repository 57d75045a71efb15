# `make demo`, `make test` and `make docs` build their own virtual environment in $(VENV)
# with a Python >= 3.12 found by scripts/find-python.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
PYTEST_ARGS ?=

.PHONY: demo test venv bench docs clean

$(PY):
	@python=$$(scripts/find-python) && echo "using $$python" && "$$python" -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.runtime: pyproject.toml | $(PY)
	$(PIP) install --quiet -e .
	@touch $@

$(VENV)/.test: pyproject.toml | $(PY)
	$(PIP) install --quiet -e ".[test]"
	@touch $@

$(VENV)/.docs: pyproject.toml | $(PY)
	$(PIP) install --quiet -e ".[test,docs]"
	@touch $@

venv: $(VENV)/.test

demo: $(VENV)/.runtime
	$(VENV)/bin/bayesreg demo

# The whole suite, slow tests included (plain `pytest` skips those marked slow).
test: $(VENV)/.test
	$(PY) -m pytest -m "slow or not slow" $(PYTEST_ARGS)

$(VENV)/.bench: pyproject.toml | $(PY)
	$(PIP) install --quiet -e ".[test,bench]"
	@touch $@

# Every speed comparison in one run (about 25 minutes on 2 CPUs): writes
# docs/benchmarks.md and docs/benchmarks.json.  BENCH_ARGS: e.g. --quick, --only map.
BENCH_ARGS ?=
bench: $(VENV)/.bench
	$(PY) benchmarks/run.py $(BENCH_ARGS)

# The notebook pages show the copies that tests/test_notebooks.py executes into
# build/notebooks/ (`make test` does it).  When a copy is missing or older than its
# notebook, one run of the notebook tests executes them all, so that a build executes
# each notebook once.
NOTEBOOKS := $(wildcard notebooks/*.ipynb)
EXECUTED_NOTEBOOKS := $(NOTEBOOKS:notebooks/%=build/notebooks/%)

ifneq ($(EXECUTED_NOTEBOOKS),)
$(EXECUTED_NOTEBOOKS) &: $(NOTEBOOKS) | $(VENV)/.docs
	$(PY) -m pytest -n 2 --dist load -m slow tests/test_notebooks.py
endif

# The HTML documentation in build/html; any Sphinx warning fails the build.  Always a
# full build (-E, fresh API stubs): an incremental one would not repeat the warnings of
# pages it does not rebuild.
docs: $(VENV)/.docs $(EXECUTED_NOTEBOOKS)
	rm -rf docs/api/generated
	$(PY) -m sphinx -E -W --keep-going -b html -d build/doctrees docs build/html
	@echo "The documentation is in build/html/index.html"

clean:
	rm -rf $(VENV) build *.egg-info
