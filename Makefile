# Two commands are all a newcomer needs: `make demo` and `make test`.
# Each creates .venv on first use and installs everything into it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo lint test test-stacks test-slurm slurm-deps test-demo test-fast test-browser test-shipped test-other-python browser-deps lab lab-solutions release check-release venv clean bench kit constraints

venv: $(STAMP)

# every version pinned by constraints.txt (the Gradescope bundle and the student kit install the same)
$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	@touch $(STAMP)

## demo: regenerate the release, then check every solution passes and every release fails its tests
demo: venv
	$(BIN)/python -m autograder demo

## lint: ruff over the grader, the course kit, the tests, the data and bench scripts and nbgrader_config.py (the
## rules: [tool.ruff] in pyproject.toml); fails on a finding. `make test` runs it first.
LINTED := autograder aekit tests data bench nbgrader_config.py
lint: venv
	$(BIN)/python -m ruff check --config pyproject.toml $(LINTED)
	$(BIN)/python -m ruff format --check --config pyproject.toml $(LINTED)

## test: lint, then the main suite, browser tests included (notebook-executing tests run two at a time), the
## Gradescope bundle, `make demo`, the longer end-to-end checks and the hanging students, then
## the fast tests again on a second Python version
test: venv lint browser-deps
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup --durations=15 -m "not shipped and not demo" tests
	$(MAKE) --no-print-directory test-shipped
	$(MAKE) --no-print-directory test-demo
	$(MAKE) --no-print-directory test-long
	$(MAKE) --no-print-directory test-hangs
	$(MAKE) --no-print-directory test-other-python

## test-shipped: the Gradescope bundle built into a fresh venv by its own setup.sh and run at a stand-in /autograder
test-shipped: venv
	$(BIN)/python -m pytest -q -p no:cacheprovider -m shipped tests

## test-demo: `make demo` run by a test exactly as the README shows it (about 2 minutes)
test-demo: venv
	$(BIN)/python -m pytest -q -p no:cacheprovider -m demo tests

## test-long: end-to-end checks beyond the main run's 6 minutes (a three-week term with Canvas zips, a job that
## fills a small disk beside honest students, every visible failure message against the closed forms)
test-long: venv
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup -p no:cacheprovider -m long tests

## test-hangs: a hanging student of every notebook graded at --timeout 120 and at the default: each loses only
## its hanging exercise (about 6 minutes)
test-hangs: venv
	$(BIN)/python -m pytest -q -p no:cacheprovider -m hangs tests

## test-stacks: every notebook, pretrained model and explorer on Colab's oldest stack (TensorFlow 2.19, Keras 3.10,
## ipywidgets 7.7; a fresh venv on Python 3.12, the kit installed by the Colab setup cell) and on constraints.txt's,
## then the student kit resolved for macOS arm64, Windows x86-64 and Linux on Python 3.10 to 3.13 (network)
test-stacks: venv
	$(BIN)/python -m pytest -q -p no:cacheprovider -m "stacks or platforms" tests

## test-slurm: a class graded by a Slurm array started on this machine (munge, slurmctld, slurmd) and merged, the
## Kubernetes Indexed Job's manifests validated and its pods' command run here, three shards writing one PostgreSQL
## gradebook at once; each must equal one machine's grades; two TAs in formgrader (Chromium) on one PostgreSQL
## gradebook; a run whose cgroups turn read-only mid-run exits 75 (Debian's slurm-wlm, munge and postgresql-15
## installed when missing; kubernetes-validate and psycopg from PyPI)
test-slurm: venv slurm-deps browser-deps
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[scaleout]'
	$(BIN)/python -m pytest -q -s -p no:cacheprovider -m slurm tests

## slurm-deps: Debian's Slurm, munge and PostgreSQL 15 for `make test-slurm`
slurm-deps:
	@if ! command -v slurmctld >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1 \
	    || [ ! -x /usr/lib/postgresql/15/bin/pg_ctl ]; then \
	  if [ -f /etc/debian_version ] && [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian's slurm-wlm, munge and postgresql-15 for the scale-out tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge postgresql-15 \
	      >/dev/null; \
	  else \
	    echo "slurm-wlm, munge or postgresql-15 not found and cannot be installed here: their tests will skip"; \
	  fi; \
	fi

## test-other-python: install the course into a fresh venv of another Python (3.12, 3.13 or 3.10:
## OTHER_PYTHON=path overrides) with constraints.txt and run the fast tests there
OTHER_VENV := build/other-python
OTHER_PYTHON ?= $(shell for v in 3.12 3.13 3.10; do \
	  p=$$(ls -d "$$(pyenv root 2>/dev/null || echo $$HOME/.pyenv)"/versions/$$v.*/bin/python 2>/dev/null | tail -1); \
	  [ -n "$$p" ] || p=$$(command -v python$$v 2>/dev/null); \
	  [ -n "$$p" ] && "$$p" -c 'import venv, ensurepip' 2>/dev/null && { echo "$$p"; break; }; done)
test-other-python:
	@if [ -z "$(OTHER_PYTHON)" ]; then echo "no Python 3.10, 3.12 or 3.13 found: second-Python tests skipped"; exit 0; fi; \
	set -e; rm -rf $(OTHER_VENV); "$(OTHER_PYTHON)" -m venv $(OTHER_VENV); \
	$(OTHER_VENV)/bin/python -m pip install --quiet --upgrade pip; \
	$(OTHER_VENV)/bin/python -m pip install --quiet -c constraints.txt '.[test]'; \
	echo "fast tests on $$($(OTHER_VENV)/bin/python --version)"; \
	$(OTHER_VENV)/bin/python -m pytest -q -p no:cacheprovider -m "not slow and not browser" tests

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

## lab: JupyterLab on the student notebooks: assignment list and Validate, no formgrader or
## Create Assignment, no news pop-up (settings in etc/student)
lab: venv
	JUPYTER_CONFIG_PATH=$(CURDIR)/etc/student TF_CPP_MIN_LOG_LEVEL=2 $(BIN)/jupyter lab --notebook-dir=notebooks

## lab-solutions: JupyterLab on the solution notebooks (the instructor's live demo, pretrained models),
## every nbgrader tool, no news pop-up (settings in etc/instructor)
lab-solutions: venv
	JUPYTER_CONFIG_PATH=$(CURDIR)/etc/instructor TF_CPP_MIN_LOG_LEVEL=2 $(BIN)/jupyter lab --notebook-dir=solutions

## kit: the student release zip (notebooks, aekit with its data, environment files, README)
kit: venv
	$(BIN)/python -m autograder student-kit --out build/course.zip

## constraints: re-resolve constraints.txt for Python 3.10 to 3.13 (network; minutes)
constraints: venv
	$(BIN)/python -m autograder.studentkit --lock

## release: regenerate notebooks/ from solutions/
release: venv
	$(BIN)/python -m autograder release

check-release: venv
	$(BIN)/python -m autograder release --check

clean:
	rm -rf .nbgrader build *.egg-info .pytest_cache

## test-cgroup2: a class of notebook 04 graded inside a cgroup v2 kernel (Debian's user-mode-linux where it can
## run Python here, else Debian's kernel in QEMU) from the root, a delegated cgroup and a container's cgroup
## namespace, the refusal without the memory controller and a grader killed mid-run; two guests at a time
## (each grades with one worker) (about 20 minutes under QEMU's TCG)
.PHONY: test-cgroup2 cgroup2-deps test-container container-deps
test-cgroup2: venv cgroup2-deps
	$(BIN)/python -m pytest -q -p no:cacheprovider -n 2 --dist load -m cgroup2 tests/test_cgroup2_uml.py

cgroup2-deps:
	@if ! command -v linux.uml >/dev/null 2>&1 || ! command -v qemu-system-x86_64 >/dev/null 2>&1 \
	    || ! ls /boot/vmlinuz-* >/dev/null 2>&1 || [ ! -x /bin/busybox ]; then \
	  if [ -f /etc/debian_version ] && [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian's user-mode-linux, qemu-system-x86, linux-image-amd64 and busybox-static"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	      user-mode-linux qemu-system-x86 linux-image-amd64 busybox-static cpio >/dev/null; \
	  else \
	    echo "user-mode-linux or QEMU with a Debian kernel not found and cannot be installed here: cgroup2 tests will skip"; \
	  fi; \
	fi

## test-container: build the grader's image (Containerfile, container/build.sh: mmdebstrap, no registry) and grade
## a small class in it with the full sandbox, and without privileges (a refusal) (about 10 minutes)
test-container: venv container-deps
	$(BIN)/python -m pytest -q -p no:cacheprovider -m container tests/test_container.py

container-deps:
	@if ! command -v podman >/dev/null 2>&1 || ! command -v mmdebstrap >/dev/null 2>&1; then \
	  if [ -f /etc/debian_version ] && [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian's podman, runc and mmdebstrap for the container tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc mmdebstrap >/dev/null; \
	  else \
	    echo "podman or mmdebstrap not found and cannot be installed here: container tests will skip"; \
	  fi; \
	fi
