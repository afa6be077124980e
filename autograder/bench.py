"""Benchmark: stock `nbgrader autograde` against `python -m autograder grade` on one class.

    .venv/bin/python -m autograder.bench [--students 20] [--notebooks 01,...] [--workers N]

Generates the same submissions for both (each student: the reference answers),
grades them with stock nbgrader (one `nbgrader autograde` per assignment over
all students, serially, as its documentation runs it) and with this grader,
and prints both wall times, their ratio, and the serial time per full
submission (stock time divided by the number of students).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

from . import cgroups, nbconfig, sandbox
from .paths import REPO, default_workers, resolve_assignments
from .reference import build_submission
from .zygote import safe_env

log = logging.getLogger(__name__)

# nbgrader's Execute.timeout for the stock run (as `grade --timeout`'s default)
STOCK_CELL_SECONDS = 300


def _stock(root: pathlib.Path, students: list[str], assignments: list[str], subs: dict) -> float:
    course = root / "stock"
    shutil.copytree(
        REPO / "solutions",
        course / "source",
        ignore=lambda d, names: [
            n for n in names if d == str(REPO / "solutions") and n not in assignments
        ],
    )
    nbconfig.write_config(
        course, f"sqlite:///{course / 'gradebook.db'}", execute_timeout=STOCK_CELL_SECONDS
    )
    for sid in students:
        for a in assignments:
            dest = course / "submitted" / sid / a / f"{a}.ipynb"
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(subs[a])
    env = safe_env()
    start = time.monotonic()
    for a in assignments:
        # the benchmark's own fixed commands, on the reference answers it made
        for step in ("generate_assignment", "autograde"):
            subprocess.run(  # noqa: S603
                [sys.executable, "-m", "nbgrader", step, a, "--force"],
                cwd=course,
                env=env,
                check=True,
                capture_output=True,
            )
    return time.monotonic() - start


def _ours(
    root: pathlib.Path, students: list[str], assignments: list[str], subs: dict, workers: int
) -> float:
    cls = root / "class"
    for sid in students:
        for a in assignments:
            dest = cls / sid / f"{a}.ipynb"
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(subs[a])
    # the same refusal as `grade`'s (kernels not isolated, a cgroup limit missing): the benchmark
    # then measures the unconfined grader, and says so
    reason = sandbox.unsafe_reason(private=(cls, root)) or cgroups.missing_reason()
    if reason:
        print(f"measured with --unsafe, since `grade` would refuse here: {reason}", file=sys.stderr)
    start = time.monotonic()
    subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "autograder",
            "grade",
            str(cls),
            "--out",
            str(root / "out"),
            "--workers",
            str(workers),
            "--notebooks",
            ",".join(a[:2] for a in assignments),
            *(["--unsafe"] if reason else []),
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    return time.monotonic() - start


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m autograder.bench")
    p.add_argument("--students", type=int, default=20)
    p.add_argument("--notebooks", default=None)
    p.add_argument(
        "--workers", type=int, default=default_workers(), help="as `autograder grade` (its default)"
    )
    args = p.parse_args(argv)
    assignments = resolve_assignments(args.notebooks)
    students = [f"s{i:03d}" for i in range(args.students)]
    subs = {a: json.dumps(build_submission(a)) for a in assignments}
    with tempfile.TemporaryDirectory(prefix="aekit-bench-") as tmp:
        tmp = pathlib.Path(tmp)
        stock = _stock(tmp, students, assignments, subs)
        ours = _ours(tmp, students, assignments, subs, args.workers)
    n = len(students) * len(assignments)
    print(
        f"{len(students)} students x {len(assignments)} notebooks = {n} "
        f"notebooks, {os.cpu_count()} cores"
    )
    print(
        f"stock nbgrader autograde (serial): {stock:7.1f} s  ({stock / n:.1f} s per notebook, "
        f"{stock / len(students):.1f} s per {len(assignments)}-notebook submission)"
    )
    print(
        f"python -m autograder grade -w {args.workers}: {ours:7.1f} s  "
        f"({ours / n:.1f} s per notebook)"
    )
    print(f"ratio: {ours / stock:.2f} x stock")
    return 0


if __name__ == "__main__":
    sys.exit(main())
