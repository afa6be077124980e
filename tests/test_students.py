"""Do the notebooks' tests score every imagined student as they must? (in-process: our own students)

Each non-forging student in tests/submissions is scored here with the
notebook's tests, as the grader's trusted process runs them (setup and locked
cells, the exercise functions, the test's own code). The forging students, the
reference and the untouched release go through the real grader in
tests/test_grading.py.
"""

import pytest

from autograder import selftest
from autograder.paths import available_assignments

ASSIGNMENTS = available_assignments()
CASES = [c for a in ASSIGNMENTS for c in selftest.cases(a) if not c.name.startswith("forge")]

# on one worker: each notebook's reference run (which every student's
# verdicts start from) is made once
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("students")]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reference_answers_pass_every_test(assignment):
    """Do the reference answers pass every visible and hidden test of their notebook?"""
    result = selftest.grade_in_process(assignment, {})
    assert not selftest.check_case(result, None), [t.message for t in result.tests if not t.passed]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.assignment[:2]}-{c.name}" for c in CASES])
def test_imagined_student_gets_the_expected_score(case):
    """Does this correct-but-different or plausible-but-wrong student lose
    exactly the expected tests?"""
    result = selftest.grade_in_process(case.assignment, case.overrides)
    problems = selftest.check_case(result, case)
    assert not problems, f"{case.description}: {problems}"


def test_every_notebook_has_right_and_wrong_submissions():
    """Does each notebook keep at least two correct-but-different and three wrong submissions?"""
    for a in ASSIGNMENTS:
        cs = selftest.cases(a)
        right = [c for c in cs if not c.expect_failed]
        wrong = [c for c in cs if c.expect_failed]
        assert len(right) >= 2 and len(wrong) >= 3, f"{a}: {len(right)} right, {len(wrong)} wrong"
