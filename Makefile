# `make demo` and `make test` build their own virtual environment in $(VENV)
# with a Python >= 3.12 found by scripts/find-python.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
PYTEST_ARGS ?=

.PHONY: demo test venv bench clean

$(PY):
	@python=$$(scripts/find-python) && echo "using $$python" && "$$python" -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.runtime: pyproject.toml | $(PY)
	$(PIP) install --quiet -e .
	@touch $@

$(VENV)/.test: pyproject.toml | $(PY)
	$(PIP) install --quiet -e ".[test]"
	@touch $@

venv: $(VENV)/.test

demo: $(VENV)/.runtime
	$(VENV)/bin/bayesreg demo

# The whole suite, slow tests included (plain `pytest` skips those marked slow).
test: $(VENV)/.test
	$(PY) -m pytest -m "slow or not slow" $(PYTEST_ARGS)

bench: $(VENV)/.test
	$(PY) benchmarks/bench_core.py

clean:
	rm -rf $(VENV) build *.egg-info
