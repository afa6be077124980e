"""One notebook cell as nbformat's JSON holds it: its source text, its nbgrader metadata, which kind
of cell nbgrader makes of it, and the markers nbgrader's preprocessors look for in its source.

The one home of these helpers for the whole repository: `autograder.cells` re-exports them (the
grader's code and the tests use `autograder.cells`), aekit (`aekit.colab`) and the data scripts use
this module. It lives in aekit, not in the grader, because imports between the two packages run one
way: the grader imports aekit (`aekit.checks` in calls.py and kernel_server.py), never the reverse,
and aekit is what a student's Colab and kernel import, where the grader's modules (nbconvert,
nbgrader, the sandbox) are not wanted. So this module imports nothing but the standard library.

Every function takes a cell as a plain dict (`json.loads`) or an `nbformat.NotebookNode`, and never
raises on what a stranger's notebook may hold instead (a cell that is not a dict, metadata that is a
list, a source that is a number): such a cell has no source text and no nbgrader metadata. The
predicates mean what nbgrader's "Create Assignment" cell types mean (`nbgrader.utils.is_grade`,
`is_solution`, `is_locked`, which need a `NotebookNode` and raise on malformed metadata);
tests/test_cells.py checks that they agree with nbgrader's on every cell of `solutions/`.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

# nbgrader's markers (ClearSolutions' and ClearHiddenTests' delimiters, as
# the course's sources write them)
SOLUTION_BEGIN = "### BEGIN SOLUTION"
SOLUTION_END = "### END SOLUTION"
HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_END = "### END HIDDEN TESTS"
MARKERS = (SOLUTION_BEGIN, SOLUTION_END, HIDDEN_BEGIN, HIDDEN_END)


def multiline_text(value) -> str:
    """nbformat's multiline string (a string, or a list of lines: a cell's source, an output's text)
    as one string; anything else as ""."""
    if isinstance(value, list):
        return "".join(s for s in value if isinstance(s, str))
    return value if isinstance(value, str) else ""


def source_text(cell) -> str:
    """A cell's source as one string."""
    return multiline_text(cell.get("source", "") if isinstance(cell, dict) else "")


def nbgrader_meta(cell) -> dict:
    """A cell's nbgrader metadata (`metadata.nbgrader`), or {} when it has
    none (or a malformed one)."""
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    nbg = meta.get("nbgrader") if isinstance(meta, dict) else None
    return nbg if isinstance(nbg, dict) else {}


def grade_id(cell) -> str | None:
    """A cell's nbgrader grade_id, or None when it has none (or one that is not a string)."""
    gid = nbgrader_meta(cell).get("grade_id")
    return gid if isinstance(gid, str) else None


def points(cell) -> float:
    """The points nbgrader gives a graded cell (0 for any other)."""
    try:
        return float(nbgrader_meta(cell).get("points", 0) or 0)
    except (TypeError, ValueError) as exc:
        log.debug(
            "cell %r: points %r are not a number (%s): 0",
            grade_id(cell),
            nbgrader_meta(cell)["points"],
            exc,
        )
        return 0.0


def is_code(cell) -> bool:
    return isinstance(cell, dict) and cell.get("cell_type") == "code"


def is_grade(cell) -> bool:
    """nbgrader's `is_grade`: the cell carries points (a test cell or a manually graded answer)."""
    return bool(nbgrader_meta(cell).get("grade"))


def is_solution(cell) -> bool:
    """nbgrader's `is_solution`: the student writes in the cell (an
    exercise or a written answer)."""
    return bool(nbgrader_meta(cell).get("solution"))


def is_locked(cell) -> bool:
    """nbgrader's `is_locked`: nbgrader restores the cell from the source
    (tests and read-only cells)."""
    if is_solution(cell):
        return False
    return is_grade(cell) or bool(nbgrader_meta(cell).get("locked"))


def is_test_cell(cell) -> bool:
    """An autograder test cell: graded code the student does not write
    (nbgrader's "Autograder tests")."""
    return is_code(cell) and is_grade(cell) and not is_solution(cell)


def is_exercise_cell(cell) -> bool:
    """A code cell the student fills in (nbgrader's "Autograded answer";
    its grade_id is the function's name)."""
    return is_code(cell) and is_solution(cell)


def is_written_cell(cell) -> bool:
    """A written answer a TA grades by hand (nbgrader's "Manually graded
    answer" in a markdown cell)."""
    return (
        isinstance(cell, dict)
        and cell.get("cell_type") != "code"
        and is_grade(cell)
        and is_solution(cell)
    )


def is_read_only(cell) -> bool:
    """Provided code or text the student may not change (nbgrader's
    "Read-only": locked, no points, no answer)."""
    meta = nbgrader_meta(cell)
    return bool(meta.get("locked")) and not meta.get("grade") and not meta.get("solution")


def has_hidden_tests(code: str) -> bool:
    return HIDDEN_BEGIN in code


def visible_part(code: str) -> str:
    """A test cell's code as the student saw it: a hidden test keeps only
    what precedes its hidden part."""
    if HIDDEN_BEGIN not in code:
        return code
    return code.split(HIDDEN_BEGIN, 1)[0].rstrip() + "\n# (hidden tests: run only when graded)"


def marked_blocks(text: str, begin: str, end: str) -> list[str]:
    """The text between each line that holds `begin` and the next line that holds `end` (markers
    excluded); a block left open at the end of `text` is not returned."""
    out, inside, block = [], False, []
    for line in text.splitlines():
        if begin in line:
            inside, block = True, []
        elif end in line and inside:
            inside = False
            out.append("\n".join(block))
        elif inside:
            block.append(line)
    return out


def outside_marked_blocks(text: str) -> str:
    """`text` without its solution and hidden-test blocks (markers
    included): what the release shows of it."""
    keep, depth = [], 0
    for line in text.splitlines():
        if SOLUTION_BEGIN in line or HIDDEN_BEGIN in line:
            depth += 1
        elif (SOLUTION_END in line or HIDDEN_END in line) and depth:
            depth -= 1
        elif not depth:
            keep.append(line)
    return "\n".join(keep)
