# Two commands are all a newcomer needs: `make demo` and `make test`.
# Each creates .venv on first use and installs everything into it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-fast lab release check-release venv clean bench

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

## demo: regenerate the release, then check every solution passes and every release fails its tests
demo: venv
	$(BIN)/python -m autograder demo

## test: the whole suite (fast tests, then the notebook-executing ones in parallel)
test: venv
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup tests

## test-fast: everything that does not execute a notebook (well under a minute)
test-fast: venv
	$(BIN)/python -m pytest -q -m "not slow and not browser" tests

## lab: JupyterLab on the student notebooks
lab: venv
	$(BIN)/jupyter lab --notebook-dir=notebooks

## release: regenerate notebooks/ from solutions/
release: venv
	$(BIN)/python -m autograder release

check-release: venv
	$(BIN)/python -m autograder release --check

clean:
	rm -rf .nbgrader build *.egg-info .pytest_cache
