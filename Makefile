# Two commands are all a newcomer needs: `make demo` and `make test`.
# Each creates .venv on first use and installs everything into it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-fast test-browser browser-deps lab lab-solutions release check-release venv clean bench

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

## demo: regenerate the release, then check every solution passes and every release fails its tests
demo: venv
	$(BIN)/python -m autograder demo

## test: the whole suite, browser tests included (notebook-executing tests run two at a time)
test: venv browser-deps
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup tests

## test-browser: only the JupyterLab-in-Chromium tests
test-browser: venv browser-deps
	$(BIN)/python -m pytest -q -m browser tests

## browser-deps: Debian's Chromium for the browser tests (Playwright never downloads a browser here)
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ -f /etc/debian_version ] && [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "chromium not found and cannot be installed here: browser tests will skip"; \
	  fi; \
	fi

## test-fast: everything that does not execute a notebook (well under a minute)
test-fast: venv
	$(BIN)/python -m pytest -q -m "not slow and not browser" tests

## lab: JupyterLab on the student notebooks
lab: venv
	TF_CPP_MIN_LOG_LEVEL=2 $(BIN)/jupyter lab --notebook-dir=notebooks

## lab-solutions: JupyterLab on the solution notebooks (the instructor's live demo, pretrained models)
lab-solutions: venv
	TF_CPP_MIN_LOG_LEVEL=2 $(BIN)/jupyter lab --notebook-dir=solutions

## release: regenerate notebooks/ from solutions/
release: venv
	$(BIN)/python -m autograder release

check-release: venv
	$(BIN)/python -m autograder release --check

clean:
	rm -rf .nbgrader build *.egg-info .pytest_cache
