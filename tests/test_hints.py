"""Do the visible tests keep the answers of the derive, predict and design exercises to themselves?

docs/contracts/closed_forms.md lists, per notebook, the closed forms of the exercises a student
works out before a test checks them. A visible test may say what is wrong with a result (shape,
sign, which case) but never state one of those forms: not in its code, which the student reads in
the release, and not in a failure message, which the student reads in the feedback. The fast
tests read the release; the slow one runs the untouched release and every wrong imagined student
through the visible tests and reads every failure message.
"""

from __future__ import annotations

import json
import re

import pytest

from autograder import cells, course, selftest
from autograder.paths import REPO, available_assignments, release_notebook, source_notebook

FORMS_FILE = REPO / "docs" / "contracts" / "closed_forms.md"
ASSIGNMENTS = available_assignments()
_LINE = re.compile(r"^- `([A-Za-z_0-9]+)`: (.+)$")
_SYMBOLS = str.maketrans({"−": "-", "–": "-", "·": "*", "×": "*", "⋅": "*", "`": None})


def normalise(text: str) -> str:
    """Lower case, no spaces or backticks, one spelling for minus and times."""
    return re.sub(r"\s+", "", text.translate(_SYMBOLS).lower())


def closed_forms() -> dict[str, dict[str, list[str]]]:
    """{assignment: {exercise: [form, ...]}} from docs/contracts/closed_forms.md."""
    out: dict[str, dict[str, list[str]]] = {}
    section = None
    for line in FORMS_FILE.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            section = out.setdefault(line[3:].strip(), {})
        elif section is not None and (m := _LINE.match(line)):
            section[m.group(1)] = re.findall(r"`([^`]+)`", m.group(2))
    return out


def stated_forms(assignment: str, text: str) -> list[str]:
    """The closed forms of `assignment` that `text` contains."""
    flat = normalise(text)
    return [
        f"{exercise}: {form}"
        for exercise, forms in closed_forms()[assignment].items()
        for form in forms
        if normalise(form) in flat
    ]


def test_every_notebook_lists_closed_forms_of_its_own_exercises():
    """Does every notebook have a list of closed forms, each under an
    exercise or written question it has?"""
    forms = closed_forms()
    assert set(forms) == set(ASSIGNMENTS), sorted(set(forms) ^ set(ASSIGNMENTS))
    for a in ASSIGNMENTS:
        source = json.loads(source_notebook(a).read_text(encoding="utf-8"))
        graded = {
            cells.nbgrader_meta(c).get("grade_id")
            for c in source["cells"]
            if cells.nbgrader_meta(c).get("solution")
        }
        assert forms[a], f"{a}: no closed form listed"
        assert set(forms[a]) <= graded, f"{a}: no exercise named {sorted(set(forms[a]) - graded)}"
        assert all(forms[a].values()), f"{a}: an exercise without forms"


def test_the_check_recognises_hints_that_gave_answers_away():
    """Would the check have caught the hints issue 29 found (both output
    lengths printed, the puzzle solved)?"""
    assert stated_forms("01_conv_as_matrix", "off by one: VALID has (n - k) // stride + 1 outputs")
    assert stated_forms("01_conv_as_matrix", "SAME has ceil(n / stride) outputs (rounded up)")
    assert stated_forms("01_conv_as_matrix", "VALID gives ⌊(n − k)/stride⌋ + 1 outputs")
    assert stated_forms(
        "03_conv_autoencoder", "32x32: start from 7x7 and upsample twice (7 -> 14 -> 28), or crop"
    )
    assert not stated_forms(
        "01_conv_as_matrix", "one window too few: the window that starts at 0 counts too"
    )


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_visible_test_cells_state_no_closed_form(assignment):
    """Does no visible test cell of the release (the code a student reads,
    its messages) state a closed form?"""
    release = json.loads(release_notebook(assignment).read_text(encoding="utf-8"))
    found = {}
    for cell in release["cells"]:
        meta = cells.nbgrader_meta(cell)
        if meta.get("grade") and cell.get("cell_type") == "code":
            stated = stated_forms(assignment, cells.source_text(cell))
            if stated:
                found[meta["grade_id"]] = stated
    assert not found, found


def _blank_overrides(assignment: str) -> dict[str, str]:
    """The release's exercise cells, untouched: what a student who did nothing submits."""
    release = json.loads(release_notebook(assignment).read_text(encoding="utf-8"))
    return {
        cells.nbgrader_meta(c)["grade_id"]: cells.source_text(c)
        for c in release["cells"]
        if cells.nbgrader_meta(c).get("solution") and c.get("cell_type") == "code"
    }


@pytest.mark.slow
# make test-long: beyond the main run's 6 minutes # shares each notebook's
# reference run with tests/test_students.py
@pytest.mark.long
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_failure_messages_of_visible_tests_state_no_closed_form(assignment):
    """Does no visible test tell the blank release or a wrong imagined
    student a closed form when it fails?"""
    tests = {t.test_id for t in course.CHECKOUT.tests(assignment)}
    visible = {t.test_id for t in course.CHECKOUT.tests(assignment) if not t.hidden}
    students = [("release (blank)", _blank_overrides(assignment))]
    students += [
        (c.name, c.overrides)
        for c in selftest.cases(assignment)
        if c.expect_failed and not c.name.startswith("forge")
    ]
    messages, found = 0, {}
    for name, overrides in students:
        # in-process, as tests/test_students.py grades them: only the
        # visible tests that run the student's code
        run = visible & selftest.tests_touching(assignment, overrides)
        for test in selftest._run_tests(assignment, overrides, skip=tests - run):
            if not test.passed:
                messages += 1
                stated = stated_forms(assignment, test.message)
                if stated:
                    found[f"{name} / {test.test_id}"] = (stated, test.message)
    assert messages > len(visible), (
        f"only {messages} failure messages: the blank release alone fails every visible test"
    )
    assert not found, found
