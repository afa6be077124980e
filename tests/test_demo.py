"""`make demo`, the README's first command, run exactly as a newcomer types it; and the demo's table."""
from __future__ import annotations

import csv
import os
import pathlib
import subprocess

import pytest

from autograder import demo

REPO = pathlib.Path(__file__).resolve().parent.parent


def _write(path: pathlib.Path, columns: list[str], rows: list[list[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(columns)
        w.writerows(rows)


def test_table_counts_written_answers_apart(tmp_path):
    """A reference with 13 automatic points and 2 written-answer points waiting reads as full automatic marks;
    one that loses an automatic point does not; a crashed notebook is not full marks."""
    _write(tmp_path / "grades.csv", ["student_id", "notebook", "score", "max_score", "status", "manual_score"],
           [["ada", "01", "13", "15", "graded", ""], ["bob", "01", "12", "15", "graded", ""],
            ["cy", "01", "0", "15", "crashed", ""]])
    tests = []
    for sid, lost in (("ada", 0), ("bob", 1), ("cy", 13)):
        tests += [[sid, "01", "t1", f"{10 - min(lost, 10)}", "10", "no", "", ""],
                  [sid, "01", "t1_hidden", f"{3 - max(0, lost - 10)}", "3", "yes", "", ""]]
    _write(tmp_path / "tests.csv", ["student_id", "notebook", "test_id", "score", "max_score", "hidden", "message",
                                    "manual"], tests)
    table = demo.read_table(tmp_path)
    ada, bob, cy = table[("ada", "01")], table[("bob", "01")], table[("cy", "01")]
    assert (ada.auto_score, ada.auto_max, ada.manual_max) == (13, 13, 2)
    assert ada.full_auto_marks() and ada.cell() == "13/13 +2"
    assert not bob.full_auto_marks() and bob.cell() == "12/13 +2"
    assert not cy.full_auto_marks() and cy.cell() == "crashed"


@pytest.mark.demo
@pytest.mark.slow
def test_make_demo_exits_0_with_full_reference_marks():
    """The README's first command: `make demo` on this checkout exits 0, every reference earns full automatic
    marks and every untouched release 0, and the table says which points wait for a TA."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    proc = subprocess.run(["make", "demo"], cwd=REPO, env=env, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "PROBLEM" not in proc.stdout
    assert "every reference solution earns full automatic marks" in proc.stdout
    ada = next(line for line in proc.stdout.splitlines() if line.startswith("ada_full "))
    assert "+" in ada and "graded" not in ada, ada  # written answers counted apart, every notebook graded
    table = demo.read_table(demo.DEMO_OUT / "results")
    for a in demo.resolve_assignments(None):
        assert table[("ada_full", a)].full_auto_marks(), a
        assert table[("ben_blank", a)].auto_score == 0, a
