"""Do the notebooks' tests grade every imagined student as they must? (real nbgrader autograde)"""
import pytest

from autograder import selftest
from autograder.paths import available_assignments

ASSIGNMENTS = available_assignments()
CASES = [c for a in ASSIGNMENTS for c in selftest.cases(a)]

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reference_solution_earns_full_marks(assignment, grade_nb):
    """Does the solution notebook pass all its visible and hidden tests under nbgrader?"""
    result = grade_nb(selftest.build_submission(assignment), assignment)
    problems = selftest.check_case(result, None)
    assert not problems, problems


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_untouched_release_earns_nothing(assignment, grade_nb):
    """Does the released notebook, handed in untouched, fail every test cell?"""
    result = grade_nb(selftest.build_submission(assignment, blank=True), assignment)
    assert not selftest.check_case(result, None, blank=True)
    assert result.score == 0
    assert all("not done yet" in t.message for t in result.tests), [t.message for t in result.tests]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.assignment[:2]}-{c.name}" for c in CASES])
def test_imagined_student_gets_the_expected_score(case, grade_nb):
    """Does this correct-but-different or plausible-but-wrong submission lose exactly the expected tests?"""
    result = grade_nb(selftest.build_submission(case.assignment, case.overrides), case.assignment)
    problems = selftest.check_case(result, case)
    assert not problems, f"{case.description}: {problems}"


def test_every_notebook_has_right_and_wrong_submissions():
    """Does each notebook keep at least two correct-but-different and three wrong submissions?"""
    for a in ASSIGNMENTS:
        cs = selftest.cases(a)
        right = [c for c in cs if not c.expect_failed]
        wrong = [c for c in cs if c.expect_failed]
        assert len(right) >= 2 and len(wrong) >= 3, f"{a}: {len(right)} right, {len(wrong)} wrong"
