"""Can a TA review a graded submission in nbgrader's formgrader, in Chromium, and see the change in the results?

The grader's results folder is an nbgrader course folder: JupyterLab started in it
serves formgrader, which shows the autograded notebook (the student's code and
outputs, each test's verdict) from the gradebook the grader wrote. The TA
overrides a score and comments on an exercise; the next run of the grader
rebuilds grades.csv and the feedback page with them.
"""
import csv
import json
import os
import subprocess
import sys
import time

import pytest

from autograder import cells, selftest
from autograder.course import manual_points, max_score
from autograder.paths import REPO

from tests.browser.lab import browser, chromium_path, running_lab

A = "01_conv_as_matrix"

if chromium_path() is None and not os.environ.get("CI"):
    pytest.skip("Chromium not found (/usr/bin/chromium): browser tests skipped; "
                "on Debian run `apt-get install chromium`", allow_module_level=True)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]


def manual_points_of(name: str) -> float:
    source = json.loads((REPO / "solutions" / A / f"{A}.ipynb").read_text(encoding="utf-8"))
    return dict(cells.manual_cells(source))[name]


def _grade(cls, out):
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", str(cls), "--out", str(out),
                           "--notebooks", "01"], cwd=REPO, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_a_ta_overrides_a_score_and_comments_in_formgrader(tmp_path):
    """Does a score and a comment set in formgrader reach grades.csv, tests.csv and the student's feedback?"""
    cls, out = tmp_path / "class", tmp_path / "out"
    (cls / "ada").mkdir(parents=True)
    (cls / "ada" / f"{A}.ipynb").write_text(json.dumps(selftest.build_submission(A)))
    _grade(cls, out)
    from nbgrader.api import Gradebook

    with open(out / "grades.csv", encoding="utf-8") as f:
        row = next(csv.DictReader(f))
    written = [name for name in row["needs_manual_grade"].split() if name.startswith("q_")]
    assert written, "the notebook's written answers should wait for a TA"
    assert float(row["max_score"]) == max_score(A) + manual_points(A)
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gb:
        submission_id = gb.find_submission_notebook(A, A, "ada").id
    with running_lab(out) as (base, token), browser() as ctx:
        page = ctx.new_page()
        page.goto(f"{base}/lab?token={token}")  # the TA opens the link JupyterLab prints: that logs in
        page.goto(f"{base}/formgrader/submissions/{submission_id}/")
        score = page.locator("input.score#test_conv2d_naive")
        score.wait_for(timeout=60_000)
        # the inputs are in the page's HTML, but formgrader saves their changes only once it has fetched the grades
        # and comments and bound its handlers: an edit before that is lost (as it would be for a quick TA)
        page.wait_for_function("() => window.formgrader && formgrader.grades && formgrader.grades.loaded"
                               " && formgrader.comments && formgrader.comments.loaded", timeout=60_000)
        assert "def conv2d_naive" in page.locator("body").inner_text()  # the student's code is there to read
        score.fill("0")
        score.press("Tab")
        for name in written:  # the written answers: full marks
            box = page.locator(f"input.score#{name}")
            box.fill(f"{manual_points_of(name):g}")
            box.press("Tab")
        comment = page.locator("textarea#conv2d_naive-comment")
        comment.fill("the loops are copied from the lecture notes")
        comment.press("Tab")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gb:
                grade = gb.find_grade("test_conv2d_naive", A, A, "ada")
                note = gb.find_comment("conv2d_naive", A, A, "ada").manual_comment
                answered = all(gb.find_grade(n, A, A, "ada").manual_score is not None for n in written)
                if grade.manual_score == 0 and note and answered:
                    break
            time.sleep(0.5)
        assert grade.manual_score == 0 and note and answered, "formgrader did not save the scores and comment"
    _grade(cls, out)  # the next run rebuilds the tables and pages from the gradebook
    with open(out / "grades.csv", encoding="utf-8") as f:
        row = next(csv.DictReader(f))
    assert float(row["score"]) == max_score(A) - 1 + manual_points(A) and row["needs_manual_grade"] == ""
    assert float(row["manual_score"]) == manual_points(A)  # the TA's scores: the override (0) and the answers
    page = (out / "feedback" / "ada" / A / f"{A}.html").read_text()
    assert "set by a TA" in page and "copied from the lecture notes" in page
