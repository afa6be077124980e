"""A cgroup lost under a running grader, for real: the run stops with exit 75
(a scheduler retries it), records nothing graded after the loss, keeps
everything before, and its rerun grades only the rest.

The grader runs in a private mount namespace of its own; once it has recorded its first notebook,
the test makes the cgroup hierarchy its jobs go under read-only there (`mount -o remount,ro,bind`,
as a node whose cgroup file system went read-only would show it; nothing outside that namespace sees
the change). The fast checks of the watch itself, on fake trees, are in tests/test_shard.py.

Run with `make test-slurm` (the scale-out checks); not in the main run.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys
import time

import pytest

from autograder import cgroups, exitcodes, selftest
from tests import scaleout_class

pytestmark = pytest.mark.slurm
A = "01_conv_as_matrix"
STUDENTS = ("ada", "bob", "cy")


def _hierarchy() -> pathlib.Path:
    """The cgroup folder this machine's jobs go under: the v1 memory hierarchy, or the v2 base."""
    if cgroups.version() == "v1":
        return cgroups.v1_roots()["memory"]
    return cgroups.place().base


def _recorded(out: pathlib.Path) -> list[str]:
    return sorted(
        p.parent.name
        for p in (out / ".state").glob(f"*/{A}.json")
        if not p.parent.name.startswith(".")
    )


def test_a_cgroup_file_system_gone_read_only_mid_run_exits_75_and_loses_nothing(tmp_path):
    """Does a run whose cgroup hierarchy turns read-only after its first notebook exit 75 with one
    line, with that first notebook recorded and nothing after it, and does the next run (cgroups
    whole again) grade only the rest?"""
    if os.geteuid() != 0 or not all(shutil.which(tool) for tool in ("unshare", "nsenter", "mount")):
        pytest.skip(
            "needs root, unshare, nsenter and mount: the hierarchy is made read-only in the "
            "grader's own mount namespace"
        )
    if cgroups.missing_reason() is not None:
        pytest.skip(f"the grader's cgroups are missing here: {cgroups.missing_reason()}")
    checkout, env = scaleout_class.shared_checkout()
    cls, out = tmp_path / "class", tmp_path / "results"
    for sid in STUDENTS:
        (cls / sid).mkdir(parents=True)
        (cls / sid / f"{A}.ipynb").write_text(
            json.dumps(selftest.build_submission(A)), encoding="utf-8"
        )
    command = [
        sys.executable,
        "-m",
        "autograder",
        "grade",
        str(cls),
        "--out",
        str(out),
        "--notebooks",
        "01",
        "--timeout",
        "240",
        "--workers",
        "1",
    ]
    hierarchy = _hierarchy()
    grader = subprocess.Popen(
        ["unshare", "--mount", "--propagation", "private", "--", *command],
        cwd=checkout,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 900
        while not _recorded(out) and grader.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert grader.poll() is None, grader.communicate()
        first = _recorded(out)
        assert len(first) == 1, first
        subprocess.run(
            [
                "nsenter",
                "--target",
                str(grader.pid),
                "--mount",
                "--",
                "mount",
                "--bind",
                str(hierarchy),
                str(hierarchy),
            ],
            check=True,
            capture_output=True,
        )
        remount = [
            "nsenter",
            "--target",
            str(grader.pid),
            "--mount",
            "--",
            "mount",
            "-o",
            "remount,ro,bind",
            str(hierarchy),
        ]
        # a remount read-only fails with EBUSY while one of the grader's processes has a file of
        # the hierarchy open for writing (a limit being set): the admin's command is tried again
        for _ in range(100):
            done = subprocess.run(remount, capture_output=True, text=True)
            if done.returncode == 0 or "busy" not in done.stderr:
                break
            time.sleep(0.05)
        assert done.returncode == 0, done.stderr
        _, err = grader.communicate(timeout=900)
    finally:
        if grader.poll() is None:
            grader.kill()
            grader.wait()
        # a job's cgroup the read-only file system
        for left in hierarchy.glob(f"{cgroups.PREFIX}{grader.pid}-*"):
            # kept (this grader's alone, by its process id; the next run's
            # clean-up would remove it too)
            for folder in sorted(left.glob("**/"), key=lambda p: len(p.parts), reverse=True):
                folder.rmdir()
    assert grader.returncode == exitcodes.INFRASTRUCTURE == 75, err[-3000:]
    last = err.strip().splitlines()[-1]
    assert last.startswith(
        "autograder: the machine failed, not the class: the cgroups the jobs are held in were "
        f"lost while grading ({hierarchy} became read-only)"
    ), last
    assert "run the same command again" in last
    assert _recorded(out) == first  # the notebook graded after the loss was not recorded
    rerun = subprocess.run(
        command, cwd=checkout, env=env, capture_output=True, text=True, timeout=900
    )
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert f"({len(STUDENTS) - 1} graded now, 1 unchanged)" in rerun.stdout, rerun.stdout
    assert _recorded(out) == sorted(STUDENTS)
