"""`make demo`, the README's first command, run exactly as a newcomer types
it; and the demo's table."""

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
    """A reference with 13 automatic points and 2 written-answer points
    waiting reads as full automatic marks; one that loses an automatic
    point does not; a crashed notebook is not full marks."""
    _write(
        tmp_path / "grades.csv",
        ["student_id", "notebook", "score", "max_score", "status", "manual_score"],
        [
            ["ada", "01", "13", "15", "graded", ""],
            ["bob", "01", "12", "15", "graded", ""],
            ["cy", "01", "0", "15", "crashed", ""],
        ],
    )
    tests = []
    for sid, lost in (("ada", 0), ("bob", 1), ("cy", 13)):
        tests += [
            [sid, "01", "t1", f"{10 - min(lost, 10)}", "10", "no", "", ""],
            [sid, "01", "t1_hidden", f"{3 - max(0, lost - 10)}", "3", "yes", "", ""],
        ]
    _write(
        tmp_path / "tests.csv",
        ["student_id", "notebook", "test_id", "score", "max_score", "hidden", "message", "manual"],
        tests,
    )
    table = demo.read_table(tmp_path)
    ada, bob, cy = table[("ada", "01")], table[("bob", "01")], table[("cy", "01")]
    assert (ada.auto_score, ada.auto_max, ada.manual_max) == (13, 13, 2)
    assert ada.full_auto_marks() and ada.cell() == "13/13 +2"
    assert not bob.full_auto_marks() and bob.cell() == "12/13 +2"
    assert not cy.full_auto_marks() and cy.cell() == "crashed"


@pytest.mark.demo
@pytest.mark.slow
def test_make_demo_exits_0_with_full_reference_marks():
    """The README's first command: `make demo` on this checkout exits 0, every reference earns full
    automatic marks and every untouched release 0, and the table says which points wait for a TA."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    proc = subprocess.run(
        ["make", "demo"], cwd=REPO, env=env, capture_output=True, text=True, timeout=1200
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "PROBLEM" not in proc.stdout
    assert "every reference solution earns full automatic marks" in proc.stdout
    ada = next(line for line in proc.stdout.splitlines() if line.startswith("ada_full "))
    # written answers counted apart, every notebook graded
    assert "+" in ada and "graded" not in ada, ada
    table = demo.read_table(demo.DEMO_OUT / "results")
    for a in demo.resolve_assignments(None):
        assert table[("ada_full", a)].full_auto_marks(), a
        assert table[("ben_blank", a)].auto_score == 0, a


def test_the_demo_grades_into_a_fresh_results_folder(tmp_path, monkeypatch, capsys):
    """An earlier demo's results folder (its gradebook holds the cells the sources had then) is
    removed before the demo grades, and the demo passes when every reference earns its automatic
    marks and every release 0. The release, the class and the grading are faked here: the demo
    marker's test runs them for real."""
    from autograder import grade, release, sampleclass

    a = demo.resolve_assignments(None)[0]
    monkeypatch.setattr(demo, "DEMO_OUT", tmp_path / "demo-out")
    monkeypatch.setattr(demo, "REPO", tmp_path)
    stale = tmp_path / "demo-out" / "results" / "gradebook.db"
    stale.parent.mkdir(parents=True)
    stale.write_text("an earlier demo's gradebook")
    monkeypatch.setattr(demo, "resolve_assignments", lambda spec: [a])
    monkeypatch.setattr(release, "release", lambda assignments: [])
    monkeypatch.setattr(
        sampleclass, "make", lambda dest, assignments: {"ada_full": "", "ben_blank": ""}
    )

    def graded(class_dir, results, settings, stream):
        assert not results.exists(), "the earlier demo's results were not removed"
        assert settings.final and settings.assignments == (a,)
        results.mkdir(parents=True)
        _write(
            results / "grades.csv",
            ["student_id", "notebook", "score", "max_score", "status"],
            [["ada_full", a, "13", "15", "graded"], ["ben_blank", a, "0", "15", "graded"]],
        )
        _write(
            results / "tests.csv",
            ["student_id", "notebook", "test_id", "score", "max_score"],
            [["ada_full", a, "t1", "13", "13"], ["ben_blank", a, "t1", "0", "13"]],
        )
        return {
            "notebooks": 2,
            "students": 2,
            "regraded": 2,
            "reused": 0,
            "statuses": {"graded": 2},
            "out": str(results),
        }

    monkeypatch.setattr(grade, "grade", graded)
    assert demo.demo() == 0, capsys.readouterr().out
    out = capsys.readouterr().out
    assert "PROBLEM" not in out and "13/13 +2" in out
