"""How often a fork bomb's notebook is graded as it must be (`graded`, the bomb's cell stopped
at its limit) rather than `crashed` (README, the cgroup v2 section).

    .venv/bin/python bench/fork_bombs.py [--students 4] [--classes 2]

Grades `--classes` classes at once, each of `--students` copies of tests/attacks/fork_bomb.py in
notebook 01, with tests/graded_class.py's limits (as root, on this machine's cgroups), and prints
each notebook's status and detail, then the count of each status.
"""

from __future__ import annotations

import argparse
import collections
import csv
import pathlib
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests import graded_class  # the class's limits and the attack's notebook


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=4, help="fork bombs per class")
    parser.add_argument("--classes", type=int, default=2, help="classes graded at once")
    args = parser.parse_args()
    attack = next(p for p in graded_class.ATTACKS if p.stem == "fork_bomb")
    with tempfile.TemporaryDirectory(prefix="fork-bombs-") as tmp:
        runs = []
        for c in range(args.classes):
            root = pathlib.Path(tmp) / f"class{c}"
            for i in range(args.students):
                graded_class.put(
                    root / "class",
                    f"fork_bomb{i}",
                    graded_class.A,
                    graded_class._attack_notebook(attack, 1),
                )
            argv = [sys.executable, "-m", "autograder", "grade", str(root / "class")]
            argv += ["--out", str(root / "out"), "--notebooks", "01", *graded_class.LIMITS]
            # our own command line, on notebooks this script wrote
            proc = subprocess.Popen(  # noqa: S603
                argv, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            runs.append((root, proc))
        start = time.monotonic()
        statuses = collections.Counter()
        for root, proc in runs:
            proc.wait()
            with open(root / "out" / "grades.csv", encoding="utf-8", newline="") as f:
                for row in csv.DictReader(f):
                    statuses[row["status"]] += 1
                    who = f"{root.name} {row['student_id']}"
                    print(f"{who}: {row['status']} {row['score']} ({row['detail']})")
        seconds = time.monotonic() - start
        print(f"{sum(statuses.values())} notebooks in {seconds:.0f} s: {dict(statuses)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
