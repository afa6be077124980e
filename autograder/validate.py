"""`python -m autograder validate PATH.ipynb`: run a student's notebook and
report its visible tests.

Plain-text report, one line per test cell:

    ok    test_conv_output_size
    FAIL  test_conv2d_naive: AssertionError: conv2d_naive(image, kernel) differs from ...
    -     test_conv2d_naive_hidden: hidden: checked when graded

What nbgrader's own Validator gets wrong for students, and this does not: with `validate_all` it
counts anything a cell writes to stderr as a failure (TensorFlow's start-up log, a Keras warning),
its messages are HTML (`<span class="ansi-red-fg">`), and a hidden test cell - released with only
its docstring - "passes" although nothing ran. Here a cell fails only on an error or on fewer points
than it is worth, messages are plain text, and a test cell with no code is reported as hidden.
"""

from __future__ import annotations

import ast
import logging
import os
import pathlib
import re

from nbconvert.preprocessors import Preprocessor

from . import cells
from .paths import UsageError, assignment_of
from .pipeline import read_submission

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_TAGS = re.compile(r"<[^>]+>")
HIDDEN = "hidden: checked when graded"
log = logging.getLogger(__name__)


def plain(text: str) -> str:
    """Text without terminal colour codes or HTML tags."""
    import html

    return html.unescape(_TAGS.sub("", _ANSI.sub("", text or "")))


def validate(path: pathlib.Path, timeout: int = 300) -> tuple[bool, list[str]]:
    """Run the notebook as nbgrader's Validate does; return (every visible
    test passed, report lines)."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise UsageError(
            f"{path} does not exist: give the path of a notebook such as "
            f"notebooks/01_conv_as_matrix/01_conv_as_matrix.ipynb"
        )
    assignment_of(path)
    nb, problem = read_submission(path)
    if nb is None:
        raise UsageError(f"{path} cannot be validated: {problem}")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("MPLBACKEND", "Agg")
    return report(*run_validator(path, timeout))


def run_validator(path: pathlib.Path, timeout: int) -> tuple[dict, object]:
    """nbgrader's Validator on `path` (every cell, `timeout` seconds each): (its
    results, the notebook as it executed it, or None when it stopped before
    running it). The executed notebook is handed over by a last preprocessor
    added to the Validator's own list (its `preprocessors` setting)."""
    from nbgrader.validator import Validator
    from traitlets.config import Config

    config = Config()
    config.Validator.validate_all = True
    config.Execute.timeout = timeout
    validator = Validator(config=config)
    validator.preprocessors = [*validator.preprocessors, _KeepExecuted]
    validator.executed = None
    results = validator.validate(str(path))
    return results, validator.executed


class _KeepExecuted(Preprocessor):
    """The last of the Validator's preprocessors: keeps the notebook they
    executed on the Validator."""

    def preprocess(self, nb, resources):
        self.parent.executed = nb
        return nb, resources


def _is_hidden(source: str) -> bool:
    """A released test cell whose code was all hidden: nothing but a docstring and comments."""
    try:
        body = ast.parse(source).body
    except SyntaxError as exc:
        log.debug("a released test cell that does not parse (%s): not hidden", exc)
        return False
    return all(isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant) for n in body)


def _error_of(cell) -> str | None:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return (
                plain(f"{out.get('ename', 'Error')}: {out.get('evalue', '')}").strip().rstrip(":")
            )
    return None


def report(results: dict, nb) -> tuple[bool, list[str]]:
    """Report lines from nbgrader's results and the executed notebook (None when it did not run)."""
    lines: list[str] = []
    if results.get("type_changed"):
        return False, ["FAIL  a cell's type was changed: restore it from the released notebook"]
    if results.get("changed"):
        lines.append("FAIL  a test cell was edited: restore it from the released notebook")
    ok = not lines
    if nb is None:
        return False, lines or ["FAIL  the notebook did not run"]
    from nbgrader import utils

    for i, cell in enumerate(nb.cells, 1):
        if cell.cell_type != "code":
            continue
        name = cells.grade_id(cell) or f"cell {i}"
        error = _error_of(cell)
        if utils.is_grade(cell):
            if _is_hidden(cell.source):
                lines.append(f"-     {name}: {HIDDEN}")
                continue
            quiet = cell.copy()  # stderr (TensorFlow's start-up log, warnings) is not a failure
            quiet.outputs = [
                o for o in cell.outputs if not (o.output_type == "stream" and o.name == "stderr")
            ]
            score, max_score = utils.determine_grade(quiet, None)
            if error or (score is not None and score < max_score):
                lines.append(
                    f"FAIL  {name}: {error or 'partial credit: passed some but not all checks'}"
                )
                ok = False
            else:
                lines.append(f"ok    {name}")
        elif error:
            # an answer or setup cell that raised: the tests after it cannot pass
            lines.append(f"FAIL  {name}: {error}")
            ok = False
    return ok, lines
