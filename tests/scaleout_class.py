"""The class the scale-out tests (tests/test_slurm.py, tests/test_kubernetes.py) grade in shards,
and the one-machine run their merged results must equal.

Eleven students of notebook 01 (the cheapest to grade): the five of `autograder.sampleclass` (full
marks, the blank release, a partial answer, a kernel that dies, a student with one notebook) and six
of tests/submissions (right and wrong answers), each graded once by one `grade` run on this machine.
"""

from __future__ import annotations

import atexit
import csv
import dataclasses
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

from autograder import sampleclass, selftest
from autograder.paths import REPO

A = "01_conv_as_matrix"
CASES = 6
GRADE_OPTIONS = ("--notebooks", "01", "--timeout", "240")
# the columns of grades.csv that do not depend on when or how fast a notebook was graded
TEST_COLUMNS = ("student_id", "notebook", "test_id", "score", "max_score", "hidden", "manual")
TIMELESS_GRADE_COLUMNS = (
    "student_id",
    "notebook",
    "score",
    "max_score",
    "status",
    "detail",
    "manual_score",
    "needs_manual_grade",
    "late",
)
_reference: dict = {}  # "run": the Reference, "checkout": (folder, env)


def make(dest: pathlib.Path) -> list[str]:
    """Write the class into `dest` (one folder per student); return the student ids."""
    sampleclass.make(dest, [A])
    picked = [c for c in selftest.cases(A) if not c.name.startswith("forge")][:CASES]
    for case in picked:
        path = dest / f"case-{case.name}" / f"{A}.ipynb"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(selftest.build_submission(A, case.overrides)), encoding="utf-8")
    return sorted(p.name for p in dest.iterdir())


@dataclasses.dataclass(frozen=True)
class Reference:
    """The class, its one-machine results, how long that run took, and the
    checkout every run grades with."""

    cls: pathlib.Path
    out: pathlib.Path
    seconds: float
    checkout: pathlib.Path
    env: dict


def snapshot(dest: pathlib.Path) -> pathlib.Path:
    """The checkout's files (tracked and new) copied to `dest`: every run of a
    test grades with the same code and sources even while the working tree
    changes (a verdict's key names both, so a change would regrade)."""
    files = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for name in files.splitlines():
        if (REPO / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, dest / name)
    return dest


def shared_checkout() -> tuple[pathlib.Path, dict]:
    """A snapshot of the checkout (made once per test session, removed at its end) and the
    environment whose `python -m autograder` grades with it (AEKIT_REPO and PYTHONPATH name it)."""
    if "checkout" not in _reference:
        # in a folder every user may enter, as the checkout is: the kernels
        # (user ids of their own) import aekit
        checkout = snapshot(pathlib.Path(tempfile.mkdtemp(prefix="aekit-scaleout-checkout-")))
        os.chmod(checkout, 0o755)
        atexit.register(shutil.rmtree, checkout, True)
        _reference["checkout"] = (
            checkout,
            dict(os.environ, AEKIT_REPO=str(checkout), PYTHONPATH=str(checkout)),
        )
    return _reference["checkout"]


def reference(root: pathlib.Path) -> Reference:
    """The class (made once per test session) graded by one `grade` run on
    this machine, from a snapshot of the checkout that the scale-out runs
    use too (`Reference.env`: AEKIT_REPO and PYTHONPATH name it)."""
    if "run" not in _reference:
        checkout, env = shared_checkout()
        cls = root / "class"
        make(cls)
        out = root / "one-machine"
        start = time.monotonic()
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "autograder",
                "grade",
                str(cls),
                "--out",
                str(out),
                *GRADE_OPTIONS,
            ],
            cwd=checkout,
            env=env,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        _reference["run"] = Reference(cls, out, time.monotonic() - start, checkout, env)
    return _reference["run"]


def rows(path: pathlib.Path, columns: tuple[str, ...] | None = None) -> list[tuple]:
    """A table's rows, as sorted tuples of `columns` (default: all)."""
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        columns = columns or tuple(reader.fieldnames or ())
        return sorted(tuple(r[c] for c in columns) for r in reader)


def _unseeded(row: tuple) -> tuple:
    """A tests.csv row whose message, when a seed drew its inputs, has
    every number replaced by `#`."""
    *head, message = row
    return (
        *head,
        re.sub(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", "#", message) if "[seed " in message else message,
    )


def assert_same_grades(merged: pathlib.Path, one_machine: pathlib.Path) -> None:
    """grades.csv (every column that does not depend on timing) and tests.csv
    (all) of the merged folder equal the one-machine run's, score for score;
    the collection reports list the same files with the same decisions."""
    assert rows(merged / "grades.csv", TIMELESS_GRADE_COLUMNS) == rows(
        one_machine / "grades.csv", TIMELESS_GRADE_COLUMNS
    )
    # a hidden test draws its inputs from a seed of each run's own ("[seed N]" in its message): its
    # message is compared as far as the seed leaves it alone, every score in full
    assert rows(merged / "tests.csv", TEST_COLUMNS) == rows(one_machine / "tests.csv", TEST_COLUMNS)
    visible = [
        r
        for r in rows(merged / "tests.csv", (*TEST_COLUMNS, "message"))
        if r[TEST_COLUMNS.index("hidden")] == "no"
    ]
    assert visible == [
        r
        for r in rows(one_machine / "tests.csv", (*TEST_COLUMNS, "message"))
        if r[TEST_COLUMNS.index("hidden")] == "no"
    ]
    assert [
        _unseeded(r) for r in rows(merged / "tests.csv", ("student_id", "test_id", "message"))
    ] == [
        _unseeded(r) for r in rows(one_machine / "tests.csv", ("student_id", "test_id", "message"))
    ]
    report = ("source", "student_id", "notebook", "decision", "reason", "late")
    # every file the one machine saw, with its decision, and nothing else
    # (a shard run twice lists its files twice)
    assert set(rows(merged / "collection_report.csv", report)) == set(
        rows(one_machine / "collection_report.csv", report)
    )
    for sid in os.listdir(merged / "autograded"):
        assert (merged / "feedback" / sid / A / f"{A}.html").is_file()
