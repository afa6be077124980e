"""nbgrader's gradebook as the term's store: what the grader writes and what everything else reads.

Scores go in through nbgrader's API (`Gradebook`), so formgrader, `nbgrader
export` and `generate_feedback` see them; a TA's manual scores and comments
(formgrader) come back out through the same API into `grades.csv`,
`tests.csv`, the feedback pages and the exports.
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
import warnings

from .paths import COURSE_ID


@contextlib.contextmanager
def opened(db_url: str):
    from nbgrader.api import Gradebook

    bin_dir = os.path.dirname(sys.executable)  # a new gradebook runs `alembic` by name: find this environment's
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join([bin_dir, os.environ.get("PATH", "")])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SQLAlchemy 2.x notes on nbgrader's own queries
        with Gradebook(db_url, COURSE_ID) as gb:
            yield gb


def record(gb, student_id: str, result, timestamp: str | None = None, name: str | None = None) -> None:
    """Put one notebook's verdicts into the gradebook (an earlier run's rows for it are updated, not duplicated).

    A TA's manual score stays as it is; written answers (manual cells) need a manual grade until one is given.
    """
    from nbgrader.api import MissingEntry

    gb.update_or_create_student(student_id, **({"last_name": name} if name else {}))
    a = result.assignment
    kwargs = {"timestamp": timestamp} if timestamp else {}
    try:
        gb.find_submission(a, student_id)
        if kwargs:
            gb.update_or_create_submission(a, student_id, **kwargs)
    except MissingEntry:
        gb.add_submission(a, student_id, **kwargs)
    autograded = {t.test_id: t for t in result.tests}
    notebook = gb.find_submission_notebook(a, a, student_id)
    for grade in notebook.grades:
        test = autograded.get(grade.name)
        if test is not None:
            grade.auto_score = test.score
            grade.needs_manual_grade = False
        elif grade.manual_score is None and grade.auto_score is None:
            grade.needs_manual_grade = True
    gb.db.commit()


@dataclasses.dataclass
class CellGrade:
    name: str
    score: float | None        # nbgrader's score: the manual one when a TA gave it, else the autograded one
    max_score: float
    manual: bool               # a TA's score (override or written answer)
    needs_manual_grade: bool
    comment: str = ""


def grades_of(gb, assignment: str, student_id: str) -> list[CellGrade]:
    """Every graded cell of one submission, with comments on the cells that have one."""
    from nbgrader.api import MissingEntry

    try:
        notebook = gb.find_submission_notebook(assignment, assignment, student_id)
    except MissingEntry:
        return []
    comments = comments_of(gb, assignment, student_id)
    return [CellGrade(g.name, None if g.score is None and g.needs_manual_grade else float(g.score or 0.0),
                      float(g.max_score), g.manual_score is not None, bool(g.needs_manual_grade),
                      comments.get(g.name, "")) for g in notebook.grades]


def comments_of(gb, assignment: str, student_id: str) -> dict[str, str]:
    """A TA's comments on one submission, by cell (exercise cells and written answers)."""
    from nbgrader.api import MissingEntry

    try:
        notebook = gb.find_submission_notebook(assignment, assignment, student_id)
    except MissingEntry:
        return {}
    return {c.name: c.manual_comment for c in notebook.comments if c.manual_comment}
