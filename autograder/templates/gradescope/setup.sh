#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image; the bundle is unpacked in
# /autograder/source. AUTOGRADER_BASE_PYTHON, AUTOGRADER_VENV and AUTOGRADER_SOURCE let a test use
# another interpreter and places (defaults: Ubuntu's python3 - 3.10 on 22.04, 3.12 on 24.04 -,
# /autograder/venv and /autograder/source).
set -euo pipefail
SOURCE="${AUTOGRADER_SOURCE:-/autograder/source}"
PYTHON="${AUTOGRADER_BASE_PYTHON:-python3}"
VENV="${AUTOGRADER_VENV:-/autograder/venv}"
if ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    # Ubuntu ships python3 without venv/ensurepip: its own python3-venv package adds them
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-venv
fi
"$PYTHON" -m venv "$VENV"
# every version pinned by the course's constraints.txt, so a bundle rebuilt mid-term grades the same
"$VENV/bin/python" -m pip install --no-input --disable-pip-version-check -c "$SOURCE/constraints.txt" "$SOURCE"
"$VENV/bin/python" -c "import tensorflow, nbgrader, aekit.data; print('autograder environment ready')"
