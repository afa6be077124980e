"""Does `make lint` (ruff with the rules of pyproject.toml's [tool.ruff]) fail on
a finding and pass clean code, and does `make test` run it first? Each check
lints a small folder of its own (`LINTED=`), not the tree, so it takes a second;
the tree itself is linted by `make lint`, the first step of `make test`."""

from __future__ import annotations

import pathlib
import shutil
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
# `-o STAMP`: never reinstall the venv from a test (the suite runs in it)
MAKE = ["make", "--no-print-directory", "-C", str(REPO), "-o", ".venv/.installed"]

pytestmark = pytest.mark.skipif(
    shutil.which("make") is None, reason="GNU make is not installed here"
)

FINDINGS = """\
import os


def quiet(f):
    try:
        f()
    except Exception:
        pass


def stale():
    return 1  # noqa: BLE001
"""

# clean for the project's rules; ruff's own defaults (without
# pyproject.toml) would ask for collections.abc (UP035)
CLEAN = """\
from __future__ import annotations

import logging
from typing import Callable

log = logging.getLogger(__name__)


def loud(f: Callable[[], object]) -> None:
    try:
        f()
    except OSError as exc:
        log.debug("ignored: %s", exc)
"""


def _lint(folder: pathlib.Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*MAKE, "lint", f"LINTED={folder}"], capture_output=True, text=True, timeout=120
    )


def test_make_lint_fails_on_each_finding_of_the_projects_rules(tmp_path):
    """An unused import (pyflakes), a silent broad except (BLE, bandit) and
    a stale `noqa` (RUF100)."""
    (tmp_path / "bad.py").write_text(FINDINGS, encoding="utf-8")
    done = _lint(tmp_path)
    assert done.returncode != 0, done.stdout + done.stderr
    for code in ("F401", "BLE001", "S110", "RUF100"):
        assert code in done.stdout, (code, done.stdout)


def test_make_lint_passes_clean_code_by_the_projects_rules_not_ruffs_defaults(tmp_path):
    (tmp_path / "good.py").write_text(CLEAN, encoding="utf-8")
    done = _lint(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_make_test_lints_before_it_runs_a_test():
    done = subprocess.run([*MAKE, "-n", "test"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    ruff = [i for i, line in enumerate(lines) if " -m ruff check " in line]
    pytest_runs = [i for i, line in enumerate(lines) if " -m pytest " in line]
    assert ruff and pytest_runs and ruff[0] < pytest_runs[0], done.stdout


def test_make_lint_fails_on_a_line_over_100_characters_and_on_unformatted_code(tmp_path):
    """Issue 31: lines of at most 100 characters (E501), and the layout `ruff format` gives."""
    long_line = tmp_path / "long" / "wide.py"
    long_line.parent.mkdir()
    long_line.write_text(f'MESSAGE = "{"x" * 100}"\n', encoding="utf-8")
    done = _lint(long_line.parent)
    assert done.returncode != 0 and "E501" in done.stdout, done.stdout + done.stderr
    cramped = tmp_path / "cramped" / "tight.py"
    cramped.parent.mkdir()
    cramped.write_text("x = {'a':1,\n 'b':2}\n", encoding="utf-8")
    done = _lint(cramped.parent)
    assert done.returncode != 0 and "would be reformatted" in done.stdout + done.stderr, (
        done.stdout + done.stderr
    )
