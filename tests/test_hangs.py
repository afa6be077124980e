"""A hang costs its own exercise and nothing else, at any notebook time limit from 120 s up; a crash
keeps what was earned before it.

The class: every notebook's helper-and-hang student of tests/graded_class.py (its hanging exercise
called from at least three cells), a 04 student whose `flag_outliers` kills its own kernel when the
grader calls it, and a 06 student whose `build_resize_conv_decoder` returns a model whose
configuration makes the trusted process build a Dense layer of 1.5e9 units (the "codec bomb": that
process dies of it). It is graded twice by `python -m autograder grade`, at `--timeout 120` and at
the default 300, with the default call limits.

Run with `make test-hangs` (`-m hangs`; about 6 minutes on two cores); not in the main run, whose
class (tests/graded_class.py, `--timeout 150 --call-timeout 10`) holds the same hanging students.
"""

from __future__ import annotations

import csv
import pathlib
import subprocess
import sys
import time

import pytest

from autograder import selftest
from autograder.paths import ASSIGNMENTS, REPO
from tests.graded_class import (
    HANG_CALLS,
    cells_calling,
    hang_exercise,
    helper_hang_id,
    helper_student,
    put,
    source_tests,
)

pytestmark = [pytest.mark.hangs, pytest.mark.slow]

CRASH = ("04_gaussian_generative_models", "flag_outliers")
BOMB = ("06_checkerboard_artifacts", "build_resize_conv_decoder")
KERNEL_CRASH = """import inspect as _inspect, os as _os


def flag_outliers(x, weights, mus, sigmas, threshold):
    if any("kernel_server" in f.filename for f in _inspect.stack()):  # called by the grader's tests
        _os._exit(1)
    return mixture_log_pdf(x, weights, mus, sigmas) < threshold
"""
TRUSTED_BOMB = '''import json as _json


class _Bomb(tf.keras.Model):
    """Claims to be a Sequential with a Dense layer of 1.5e9 units: whoever rebuilds it from its configuration
    allocates 6 GB per input unit."""

    def to_json(self, **kwargs):
        small = tf.keras.Sequential([tf.keras.Input(shape=(2,)), layers.Dense(3)])
        return small.to_json().replace('"units": 3', '"units": 1500000000')

    def get_weights(self):
        return []


def build_resize_conv_decoder(latent_dim):
    return _Bomb()
'''  # noqa: E501  (verbatim text: its lines are what the code feeds on)


def _rows(out: pathlib.Path, name: str) -> list[dict]:
    with open(out / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module", params=[120, 300], ids=["timeout-120", "timeout-default"])
def graded(request, tmp_path_factory):
    """(grades.csv rows by (student, notebook), tests.csv rows, the run's
    wall seconds, the limit)."""
    root = tmp_path_factory.mktemp(f"hangs{request.param}")
    cls, out = root / "class", root / "out"
    for a in ASSIGNMENTS:
        nb = helper_student(a)
        assert len(cells_calling(nb, hang_exercise(a))) >= HANG_CALLS, a
        put(cls, helper_hang_id(a), a, nb)
    put(
        cls,
        "kernel-crash-04",
        CRASH[0],
        selftest.build_submission(CRASH[0], {CRASH[1]: KERNEL_CRASH}),
    )
    put(
        cls, "trusted-bomb-06", BOMB[0], selftest.build_submission(BOMB[0], {BOMB[1]: TRUSTED_BOMB})
    )
    args = [
        sys.executable,
        "-m",
        "autograder",
        "grade",
        str(cls),
        "--out",
        str(out),
        "--workers",
        "3",
        "--memory",
        "2",
    ]
    if request.param != 300:
        args += ["--timeout", str(request.param)]
    start = time.monotonic()
    proc = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=1800)
    seconds = time.monotonic() - start
    assert proc.returncode == 0, proc.stderr[-3000:]
    grades = {(r["student_id"], r["notebook"]): r for r in _rows(out, "grades.csv")}
    return grades, _rows(out, "tests.csv"), seconds, request.param


def _tests(graded, sid: str, assignment: str) -> dict:
    return {
        r["test_id"]: r for r in graded[1] if r["student_id"] == sid and r["notebook"] == assignment
    }


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_a_hang_called_from_many_cells_costs_only_its_own_exercise(graded, assignment):
    """Does the helper-and-hang student lose exactly its hanging exercise's
    tests, every other one at full marks, graded, within the notebook's
    limit, with the later cells that call it stopped after a short grace?"""
    sid, hang = helper_hang_id(assignment), hang_exercise(assignment)
    row, tests = graded[0][(sid, assignment)], _tests(graded, sid, assignment)
    failed = {t for t, r in tests.items() if float(r["score"]) < float(r["max_score"])}
    assert row["status"] == "graded" and failed == {
        t for t in tests if t.startswith(f"test_{hang}")
    }, (row, failed)
    assert float(row["seconds"]) < graded[3], row
    # the second cell that calls it: a grace
    assert "than 3 s and was stopped" in row["detail"], row["detail"]


def test_a_kernel_that_dies_during_the_tests_keeps_the_verdicts_before_it(graded):
    """Does a kernel that dies in the tests of flag_outliers leave its notebook crashed, with the
    points of every test before and the reason naming the test?"""
    row, tests = (
        graded[0][("kernel-crash-04", CRASH[0])],
        _tests(graded, "kernel-crash-04", CRASH[0]),
    )
    failed = {t for t, r in tests.items() if float(r["score"]) < float(r["max_score"])}
    assert row["status"] == "crashed" and failed == {
        "test_flag_outliers",
        "test_flag_outliers_hidden",
    }, (row, failed)
    assert (
        float(row["score"])
        == sum(float(r["max_score"]) for t, r in tests.items() if t not in failed)
        > 0
    )
    assert "test_flag_outliers" in row["detail"], row["detail"]


def test_a_grading_run_that_dies_keeps_the_verdicts_before_it(graded):
    """Does a trusted process killed while rebuilding a student's model (the codec bomb) leave the
    notebook crashed with the points of every test that finished before, not 0?"""
    row, tests = graded[0][("trusted-bomb-06", BOMB[0])], _tests(graded, "trusted-bomb-06", BOMB[0])
    order = [t.test_id for t in source_tests(BOMB[0])]
    first = order.index(f"test_{BOMB[1]}")
    passed = {t for t, r in tests.items() if float(r["score"]) >= float(r["max_score"])}
    assert row["status"] == "crashed" and passed == set(order[:first]), (row, passed)
    assert float(row["score"]) > 0 and f"test_{BOMB[1]}" in row["detail"], row


def test_the_worst_hanging_student_is_measured(graded, record_property):
    """How long does the slowest hanging notebook take to grade (for the
    README)? It must stay within its limit."""
    worst = max(
        (float(r["seconds"]), nb)
        for (sid, nb), r in graded[0].items()
        if sid.startswith("helper-hang")
    )
    record_property(f"worst_hang_seconds_at_{graded[3]}", worst)
    print(
        f"\n--timeout {graded[3]}: the slowest hanging notebook took {worst[0]:.0f} s "
        f"({worst[1]}); the whole class {graded[2]:.0f} s"
    )
    assert worst[0] < graded[3]
