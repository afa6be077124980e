"""Shared fixtures: one nbgrader grading course per test worker."""
from __future__ import annotations

import json
import pathlib
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from autograder.paths import available_assignments  # noqa: E402


@pytest.fixture(scope="session")
def assignments():
    return available_assignments()


@pytest.fixture(scope="session")
def grading_course(tmp_path_factory):
    """An nbgrader course prepared once per test worker, for grading single notebooks."""
    from autograder.course import GradingCourse

    course = GradingCourse(tmp_path_factory.mktemp("course"), available_assignments())
    course.prepare()
    return course


@pytest.fixture
def grade_nb(grading_course, tmp_path):
    """Grade a notebook given as a dict; return the NotebookResult."""
    counter = iter(range(10**6))

    def grade(nb: dict, assignment: str, timeout: float = 240):
        i = next(counter)
        path = tmp_path / f"in{i}" / f"{assignment}.ipynb"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(nb), encoding="utf-8")
        return grading_course.grade(path, assignment, tmp_path / f"job{i}", timeout=timeout)

    return grade
