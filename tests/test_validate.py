"""Can students trust `python -m autograder validate`? (runs the notebooks: slow)"""

import json
import os
import subprocess
import sys

import pytest

from autograder import selftest
from autograder.paths import REPO
from autograder.validate import HIDDEN, plain, report

# the wrong answer's notebook (no TensorFlow: a kernel starts in 1 s)
WRONG = "04_gaussian_generative_models"


def _validate(path, timeout=900):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    # as a student's shell: TensorFlow logs its start-up on stderr
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    return subprocess.run(
        [sys.executable, "-m", "autograder", "validate", str(path)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# validate's report is the same code for every notebook: here one that trains with TensorFlow (03,
# the notebook without an explorer) and one that does not import it (04); the wrong answer below is
# 04's too. The other notebooks' cells and visible tests run in a kernel in tests/test_browser.py
# (ungraded: the solutions in JupyterLab), and every notebook's cells run graded (NBGRADER_EXECUTION
# set, as validate runs them) in tests/graded_class.py
VALIDATED = ["03_conv_autoencoder", "04_gaussian_generative_models"]


@pytest.mark.slow
@pytest.mark.xdist_group("validate")
@pytest.mark.parametrize("assignment", VALIDATED)
def test_a_correct_notebook_validates(assignment, tmp_path):
    """Does a fully correct notebook, as a student submits it, pass
    validate with exit code 0 and plain text?"""
    path = tmp_path / f"{assignment}.ipynb"
    path.write_text(json.dumps(selftest.build_submission(assignment)), encoding="utf-8")
    proc = _validate(path)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    assert "FAIL" not in proc.stdout and "all visible tests passed" in proc.stdout
    assert "<span" not in proc.stdout and "\x1b[" not in proc.stdout
    # hidden test cells run nothing in the student's copy: they say so instead of "ok"
    for line in proc.stdout.splitlines():
        if line.split()[1:2] and line.split()[1].rstrip(":").endswith("_hidden"):
            assert HIDDEN in line, line


@pytest.mark.slow
@pytest.mark.xdist_group("validate")
def test_a_wrong_answer_is_named_in_plain_text(tmp_path):
    """Does a wrong gaussian_pdf (the variance where the standard deviation belongs) fail validate
    (exit 1), naming its visible tests in plain text?"""
    case = next(c for c in selftest.cases(WRONG) if c.name == "gaussian_variance")
    path = tmp_path / f"{WRONG}.ipynb"
    path.write_text(json.dumps(selftest.build_submission(WRONG, case.overrides)), encoding="utf-8")
    proc = _validate(path)
    assert proc.returncode == 1, proc.stdout + proc.stderr[-3000:]
    fails = [line for line in proc.stdout.splitlines() if line.startswith("FAIL")]
    assert {line.split(":")[0].split()[1] for line in fails} == {
        t for t in case.expect_failed if not t.endswith("_hidden")
    }, proc.stdout
    assert all("<" not in line and "\x1b[" not in line for line in fails), fails


def _cell(source, outputs, grade_id=None, points=1):
    from nbformat.v4 import new_code_cell

    cell = new_code_cell(source, outputs=outputs)
    if grade_id:
        cell.metadata["nbgrader"] = {
            "grade": True,
            "grade_id": grade_id,
            "points": points,
            "solution": False,
            "locked": True,
            "schema_version": 3,
        }
    return cell


def test_report_ignores_stderr_and_marks_hidden_cells():
    """Does the report pass a test whose only output is TensorFlow's stderr
    log, and call a docstring-only test hidden?"""
    from nbformat import from_dict
    from nbformat.v4 import new_notebook, new_output

    log = new_output(
        "stream",
        name="stderr",
        text="I0000 00:00:1 cpu_feature_guard.cc oneDNN custom operations are on\n",
    )
    nb = new_notebook(
        cells=[
            _cell("import tensorflow as tf", [log]),
            _cell("assert 1 + 1 == 2", [log], grade_id="test_sum"),
            _cell(
                '"""Does it hold for random inputs?"""\n# aekit: trusted',
                [],
                grade_id="test_sum_hidden",
            ),
            _cell(
                "assert 1 == 2",
                [
                    new_output(
                        "error",
                        ename="AssertionError",
                        evalue="\x1b[0;31mwant 2, got 1\x1b[0m",
                        traceback=[],
                    )
                ],
                grade_id="test_bad",
            ),
        ]
    )
    ok, lines = report({}, from_dict(nb))
    assert not ok
    assert lines == [
        "ok    test_sum",
        f"-     test_sum_hidden: {HIDDEN}",
        "FAIL  test_bad: AssertionError: want 2, got 1",
    ]


def test_plain_strips_html_and_colour():
    """Does plain() turn nbgrader's HTML and ANSI colours into plain text?"""
    assert (
        plain('<span class="ansi-red-fg">AssertionError</span>: x &lt; y\x1b[0m')
        == "AssertionError: x < y"
    )


def test_the_validator_hands_back_the_notebook_it_executed(tmp_path):
    """Does `run_validator` give nbgrader's results and the notebook as
    nbgrader's Validator executed it (its outputs and errors: what the report
    is made from), through nbgrader's public preprocessors setting; and None
    when the Validator stopped before running it (a cell's type changed)?"""
    import nbformat

    from autograder.validate import run_validator

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("x = 6 * 7\nprint(x)"),
        nbformat.v4.new_code_cell("assert x == 41, 'x is 42'"),
    ]
    nb.cells[1].metadata["nbgrader"] = {
        "grade": True,
        "grade_id": "test_x",
        "points": 1,
        "solution": False,
        "locked": True,
        "schema_version": 3,
    }
    nbformat.write(nb, tmp_path / "tiny.ipynb")
    results, executed = run_validator(tmp_path / "tiny.ipynb", 60)
    assert list(results) == ["failed"]
    assert executed.cells[0].outputs[0]["text"] == "42\n"
    assert report(results, executed) == (False, ["FAIL  test_x: AssertionError: x is 42"])
    # as if the student had made it a code cell
    nb.cells[1].metadata["nbgrader"]["cell_type"] = "markdown"
    nbformat.write(nb, tmp_path / "tiny.ipynb")
    results, executed = run_validator(tmp_path / "tiny.ipynb", 60)
    assert "type_changed" in results and executed is None
