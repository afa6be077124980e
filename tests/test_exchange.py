"""Does nbgrader's exchange carry a notebook from the instructor to a student and back, and does the
course grader take what `nbgrader collect` gathered? (docs/courses.md describes the flow)"""

import json
import os
import subprocess
import sys

import pytest

from autograder import selftest
from autograder.paths import REPO, release_notebook
from tests.graded_class import source_tests

A = "01_conv_as_matrix"
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("autograder")]


def _config(folder, exchange, extra=""):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        "c.CourseDirectory.course_id = 'autoencoders'\n"
        f"c.Exchange.root = {str(exchange)!r}\n" + extra
    )


def _nbgrader(cwd, *args, env):
    import time

    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    print(f"nbgrader {args[0]}: {time.monotonic() - start:.1f} s")
    assert proc.returncode == 0, f"nbgrader {' '.join(args)}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout + proc.stderr


def test_release_fetch_submit_collect_then_grade(tmp_path):
    """Does release_assignment -> fetch_assignment -> submit -> collect
    move the released notebook to a student and the student's answers back,
    into a folder `python -m autograder grade` grades to full marks?"""
    exchange, course, student = tmp_path / "exchange", tmp_path / "course", tmp_path / "student"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    env.update(
        JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter-config"),
        JUPYTER_DATA_DIR=str(tmp_path / "jupyter-data"),
        # collect runs alembic
        PATH=os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")]),
    )
    # instructor: the release (what `python -m autograder release` writes to notebooks/) goes out
    _config(course, exchange, f"c.CourseDirectory.root = {str(course)!r}\n")
    (course / "release" / A).mkdir(parents=True)
    (course / "release" / A / f"{A}.ipynb").write_bytes(release_notebook(A).read_bytes())
    _nbgrader(course, "release_assignment", A, env=env)
    assert (exchange / "autoencoders" / "outbound" / A / f"{A}.ipynb").is_file()
    # student: list, fetch, answer, submit
    _config(student, exchange)
    assert A in _nbgrader(student, "list", env=env)
    _nbgrader(student, "fetch_assignment", A, env=env)
    fetched = student / A / f"{A}.ipynb"
    assert json.loads(fetched.read_text()) == json.loads(release_notebook(A).read_text())
    answered = selftest.build_submission(A)
    fetched.write_text(json.dumps(answered))
    _nbgrader(student, "submit", A, env=env)
    assert list((exchange / "autoencoders" / "inbound").iterdir())
    # instructor: collect into submitted/<student>/<assignment>/, then grade that folder
    _nbgrader(course, "collect", A, env=env)
    collected = list((course / "submitted").glob(f"*/{A}/{A}.ipynb"))
    assert len(collected) == 1 and json.loads(collected[0].read_text()) == answered
    out = tmp_path / "results"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "autograder",
            "grade",
            str(course / "submitted"),
            "--out",
            str(out),
            "--notebooks",
            "01",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )
    assert proc.returncode == 0, proc.stderr
    import csv

    with open(out / "grades.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 1, rows
    assert (
        rows[0]["student_id"] == collected[0].parent.parent.name and rows[0]["status"] == "graded"
    )
    assert float(rows[0]["score"]) == sum(c.points for c in source_tests(A)), rows
