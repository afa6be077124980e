"""How a submitted notebook is merged with its source before it runs
(autograder.cells; no kernel), and the one notebook-cell API (aekit.nbcells,
re-exported by autograder.cells) that every reader of a cell uses."""

import ast
import copy
import pathlib
import re

import nbformat
import pytest
from nbgrader import utils as nbgrader_utils

from autograder import cells, selftest
from autograder.paths import ASSIGNMENTS, REPO, release_notebook, source_notebook

A = "01_conv_as_matrix"


def _source():
    return cells.read_notebook(source_notebook(A))


def _ids(nb):
    return [cells.grade_id(c) for c in nb["cells"]]


def test_tests_always_come_from_the_source_wherever_the_student_put_them():
    """Are deleted, edited and moved test cells replaced by the source's,
    in the source's places, and never run?"""
    source = _source()
    nb = selftest.build_submission(A)
    tests = [c for c in nb["cells"] if cells.is_grade(c)]
    nb["cells"].remove(tests[0])
    tests[1]["source"] = "print('all good')"
    nb["cells"].remove(tests[2])
    nb["cells"].insert(0, tests[2])
    plan = cells.plan(source, nb)
    test_ids = [t.test_id for t in cells.test_cells(source)]
    assert [t.test_id for t in plan.tests] == test_ids
    assert [g for g in _ids(plan.notebook) if g in test_ids] == test_ids
    assert not any(label in test_ids for _, label, _ in plan.run)
    assert any(cells.grade_id(tests[0]) in n for n in plan.notes)
    hidden = [
        c
        for c in plan.notebook["cells"]
        if cells.grade_id(c) in {t.test_id for t in plan.tests if t.hidden}
    ]
    assert hidden and not [c for c in hidden if cells.HIDDEN_BEGIN in cells.source_text(c)]


def test_locked_cells_are_restored_and_the_students_own_cells_kept_in_order():
    """Is an edited setup cell restored (with a note), and do cells the
    student added run where they put them?"""
    source = _source()
    nb = selftest.build_submission(A)
    setup = next(c for c in nb["cells"] if cells.grade_id(c) == "setup")
    setup["source"] = "import os\nos.system('rm -rf /')"
    first = next(i for i, c in enumerate(nb["cells"]) if cells.is_solution(c))
    nb["cells"].insert(
        first, {"cell_type": "code", "metadata": {}, "source": "HELPER = 1", "outputs": []}
    )
    plan = cells.plan(source, nb)
    codes = [code for _, _, code in plan.run]
    assert "rm -rf" not in "".join(codes)
    original = next(cells.source_text(c) for c in source["cells"] if cells.grade_id(c) == "setup")
    # the restored setup cell runs first (after the release's Colab cell,
    # an unmarked cell, where it has one)
    order = [label for _, label, _ in plan.run]
    assert plan.run[order.index("setup")][2] == original
    # only unmarked cells before it
    assert all(label.startswith("cell ") for label in order[: order.index("setup")])
    assert any("setup" in n for n in plan.notes)
    exercise = cells.grade_id(nb["cells"][first + 1])
    labels = [label for _, label, _ in plan.run]
    assert codes.index("HELPER = 1") == labels.index(exercise) - 1


def test_metadata_a_student_invents_or_inflates_is_not_kept():
    """Do points, ids or a changed cell type on an exercise cell, and
    nbgrader metadata on an added cell, count for nothing?"""
    source = _source()
    nb = selftest.build_submission(A)
    exercise = next(c for c in nb["cells"] if cells.is_solution(c))
    exercise["metadata"]["nbgrader"].update(points=99, grade=True)
    nb["cells"].append(
        {
            "cell_type": "code",
            "source": "x = 1",
            "outputs": [],
            "metadata": {
                "nbgrader": {"grade": True, "grade_id": "bonus", "points": 50, "solution": False}
            },
        }
    )
    plan = cells.plan(source, nb)
    assert "bonus" not in [t.test_id for t in plan.tests]
    merged = next(
        c for c in plan.notebook["cells"] if cells.grade_id(c) == cells.grade_id(exercise)
    )
    assert cells.nbgrader_meta(merged).get("points") is None and not cells.nbgrader_meta(
        merged
    ).get("grade")
    assert sum(t.points for t in plan.tests) == sum(t.points for t in cells.test_cells(source))


def test_a_deleted_exercise_cell_is_noted_and_nothing_else_changes():
    """Is a deleted exercise cell reported, with every other cell still run?"""
    source = _source()
    nb = selftest.build_submission(A)
    full = cells.plan(source, copy.deepcopy(nb))
    gone = next(c for c in nb["cells"] if cells.grade_id(c) == "conv_matrix")
    nb["cells"].remove(gone)
    plan = cells.plan(source, nb)
    assert any("conv_matrix" in n and "missing" in n for n in plan.notes)
    assert [code for _, _, code in plan.run] == [
        code for _, label, code in full.run if label != "conv_matrix"
    ]


# ---- the notebook-cell API (aekit.nbcells)
# ---------------------------------------------------------------------

COURSE_NOTEBOOKS = [f(a) for a in ASSIGNMENTS for f in (source_notebook, release_notebook)]


@pytest.mark.parametrize("path", COURSE_NOTEBOOKS, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_cell_kinds_agree_with_nbgrader_on_every_cell_of_the_course(path):
    """Do is_grade, is_solution and is_locked say what nbgrader's own utils
    say of every cell (read by nbformat, as nbgrader reads it), and do the
    course's kinds split the nbgrader cells as nbgrader's cell types do?"""
    nb = nbformat.read(str(path), as_version=4)
    assert nb.cells
    for cell in nb.cells:
        assert cells.is_grade(cell) == bool(nbgrader_utils.is_grade(cell)), cell.get("id")
        assert cells.is_solution(cell) == bool(nbgrader_utils.is_solution(cell)), cell.get("id")
        assert cells.is_locked(cell) == bool(nbgrader_utils.is_locked(cell)), cell.get("id")
        assert cells.source_text(cell) == cell.source
        kinds = [
            cells.is_test_cell(cell),
            cells.is_exercise_cell(cell),
            cells.is_written_cell(cell),
            cells.is_read_only(cell),
        ]
        # every cell with nbgrader metadata is exactly one kind; every other cell none
        assert sum(kinds) == (1 if "nbgrader" in cell.metadata else 0), (cell.get("id"), kinds)
    found = {
        kind
        for cell in nb.cells
        for kind, yes in (
            ("test", cells.is_test_cell(cell)),
            ("exercise", cells.is_exercise_cell(cell)),
            ("written", cells.is_written_cell(cell)),
            ("read-only", cells.is_read_only(cell)),
        )
        if yes
    }
    assert found == {"test", "exercise", "written", "read-only"}


def test_test_cells_and_manual_cells_are_the_graded_cells_of_the_source():
    """Are test_cells and manual_cells, together, every graded cell of each
    source (nbgrader's points), in order?"""
    for a in ASSIGNMENTS:
        source = cells.read_notebook(source_notebook(a))
        graded = [
            (cells.grade_id(c), float(cells.nbgrader_meta(c)["points"]))
            for c in source["cells"]
            if cells.is_grade(c)
        ]
        tests, manual = cells.test_cells(source), cells.manual_cells(source)
        assert tests and manual
        assert sorted([(t.test_id, t.points) for t in tests] + manual) == sorted(graded)
        assert [t.test_id for t in tests] == [g for g, _ in graded if g not in dict(manual)]
        assert all(t.hidden == (cells.HIDDEN_BEGIN in t.code) for t in tests) and any(
            t.hidden for t in tests
        )


JUNK_CELLS = [
    None,
    3,
    "cell",
    [],
    {},
    {"source": 5},
    {"source": [1, None]},
    {"metadata": []},
    {"metadata": {"nbgrader": []}},
    {"metadata": {"nbgrader": {"grade_id": ["x"], "points": "lots", "grade": 1, "solution": 0}}},
    {"cell_type": ["code"], "metadata": None},
]


@pytest.mark.parametrize("cell", JUNK_CELLS, ids=repr)
def test_a_strangers_junk_cell_reads_as_no_text_and_no_metadata(cell):
    """Does every helper take whatever a submission holds in place of a cell without raising?"""
    assert isinstance(cells.source_text(cell), str) and isinstance(cells.nbgrader_meta(cell), dict)
    assert cells.grade_id(cell) is None
    assert cells.points(cell) == 0.0
    assert (
        not cells.is_code(cell)
        and not cells.is_test_cell(cell)
        and not cells.is_exercise_cell(cell)
    )
    for predicate in (
        cells.is_grade,
        cells.is_solution,
        cells.is_locked,
        cells.is_written_cell,
        cells.is_read_only,
    ):
        assert isinstance(predicate(cell), bool)


def test_a_submission_of_junk_cells_is_planned_with_the_sources_tests():
    """Does a notebook whose cells are all junk still get every test of the
    source, and nothing of its own run?"""
    source = _source()
    plan = cells.plan(source, {"cells": list(JUNK_CELLS)})
    assert [t.test_id for t in plan.tests] == [t.test_id for t in cells.test_cells(source)]
    assert not [
        label
        for _, label, _ in plan.run
        if label.startswith("cell ")
        and label
        not in {
            f"cell {i + 1}"
            for i, c in enumerate(plan.notebook["cells"])
            if not cells.grade_id(c) and cells.source_text(c)
        }
    ]


def test_marked_blocks_and_what_the_release_keeps():
    """Do marked_blocks and outside_marked_blocks split a cell at
    nbgrader's markers, an open block left out?"""
    text = "\n".join(
        [
            "def f(x):",
            "    ### BEGIN SOLUTION",
            "    return x",
            "    ### END SOLUTION",
            "assert f(1) == 1",
            "### BEGIN HIDDEN TESTS",
            "assert f(2) == 2",
            "### END HIDDEN TESTS",
            "### BEGIN SOLUTION",
            "never closed",
        ]
    )
    assert cells.marked_blocks(text, cells.SOLUTION_BEGIN, cells.SOLUTION_END) == ["    return x"]
    assert cells.marked_blocks(text, cells.HIDDEN_BEGIN, cells.HIDDEN_END) == ["assert f(2) == 2"]
    assert cells.outside_marked_blocks(text) == "def f(x):\nassert f(1) == 1"
    assert cells.visible_part(text).startswith("def f(x):") and "f(2)" not in cells.visible_part(
        text
    )
    assert cells.visible_part("assert True") == "assert True"
    for a in ASSIGNMENTS:  # every exercise has one answer block, every hidden test one hidden block
        for c in cells.read_notebook(source_notebook(a))["cells"]:
            src = cells.source_text(c)
            if cells.is_exercise_cell(c):
                assert (
                    len(cells.marked_blocks(src, cells.SOLUTION_BEGIN, cells.SOLUTION_END)) == 1
                ), cells.grade_id(c)
            if cells.is_test_cell(c) and cells.has_hidden_tests(src):
                assert len(cells.marked_blocks(src, cells.HIDDEN_BEGIN, cells.HIDDEN_END)) == 1, (
                    cells.grade_id(c)
                )


# ---- one home: nobody reads a cell the long way
# ----------------------------------------------------------------

SCANNED = ("autograder", "aekit", "data", "bench", "tests")
HOME = REPO / "aekit" / "nbcells.py"
# what reads cells the long way on purpose, by (file, what), each with why
PENDING: dict[tuple[str, str], str] = {
    (
        "tests/attacks/read_solutions.py",
        "marker 'BEGIN HIDDEN TESTS'",
    ): (
        "a student's submission: it runs alone in the kernel and looks "
        "for the marker in what it reads"
    ),
}
_JOIN_SOURCE = re.compile(r"""join\(\s*\w+\[["']source["']\]""")
_GET_NBGRADER = re.compile(r"""\.get\(\s*["']nbgrader["']""")
_MARKER_WORDS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


def _long_way(path: pathlib.Path) -> list[tuple[int, str]]:
    """(line, what) wherever a Python file joins a cell's source, looks up
    nbgrader metadata, writes a marker in a string (not a docstring), or
    defines `test_cells` or a `DATA_SUFFIXES` list outside their one home."""
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    docstrings = [
        n.body[0].value
        for n in ast.walk(tree)
        if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
        and n.body
        and isinstance(n.body[0], ast.Expr)
        and isinstance(n.body[0].value, ast.Constant)
    ]
    lines = text.splitlines()
    for d in docstrings:  # prose may name an idiom: blank the docstrings before looking for code
        for i in range(d.lineno - 1, d.end_lineno):
            lines[i] = ""
    found = [
        (n, m.group(0))
        for n, line in enumerate(lines, 1)
        for pattern in (_JOIN_SOURCE, _GET_NBGRADER)
        for m in pattern.finditer(line)
    ]
    docstring_ids = {id(d) for d in docstrings}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstring_ids
        ):
            found += [(node.lineno, f"marker {w!r}") for w in _MARKER_WORDS if w in node.value]
        if (
            isinstance(node, ast.FunctionDef)
            and node.name == "test_cells"
            and path != REPO / "autograder/cells.py"
        ):
            found.append((node.lineno, "def test_cells"))
        if (
            isinstance(node, ast.Assign)
            and any(
                isinstance(t, ast.Name) and t.id.lstrip("_") == "DATA_SUFFIXES"
                for t in node.targets
            )
            and path != REPO / "autograder/paths.py"
        ):
            found.append((node.lineno, "DATA_SUFFIXES"))
    return found


def test_cells_are_read_through_the_one_notebook_cell_module():
    """Does no module of the grader, the kit, the data scripts, the benchmarks or the
    tests join a cell's source, look up its nbgrader metadata, spell nbgrader's
    markers, define a second test_cells or a second list of data suffixes, but
    through aekit.nbcells / autograder.cells (and paths.DATA_SUFFIXES)?"""
    files = [
        p
        for folder in SCANNED
        for p in sorted((REPO / folder).rglob("*.py"))
        if p not in (HOME, pathlib.Path(__file__)) and "__pycache__" not in p.parts
    ]
    assert len(files) > 100
    found = {(str(p.relative_to(REPO)), what): line for p in files for line, what in _long_way(p)}
    assert not set(found) - set(PENDING), "\n".join(
        f"{p}:{line}: {what}" for (p, what), line in found.items() if (p, what) not in PENDING
    )
    assert not set(PENDING) - set(found), (
        f"done, take them out of PENDING: {sorted(set(PENDING) - set(found))}"
    )


def test_the_one_home_check_finds_the_long_way(tmp_path):
    """Does the check above find each idiom it looks for (so that its passing means something)?"""
    bad = tmp_path / "bad.py"
    bad.write_text(
        '"""A docstring may say ### BEGIN SOLUTION."""\n'
        'src = "".join(cell["source"])\nmeta = cell.get("metadata", {}).get("nbgrader", {})\n'
        'MARK = "### BEGIN HIDDEN TESTS"\n_DATA_SUFFIXES = '
        '(".npz",)\n\n\ndef test_cells(a):\n    pass\n'
    )
    found = _long_way(bad)
    # line 1, the docstring, is prose
    assert sorted(line for line, _ in found) == [2, 3, 4, 5, 8], found


def test_the_cell_api_imports_nothing_but_the_standard_library():
    """Does `import aekit.nbcells` (what aekit and the data scripts use, in a student's Colab too)
    load no module of the grader, nbgrader, nbconvert, NumPy or TensorFlow?"""
    import subprocess
    import sys

    code = "import sys, aekit.nbcells; print(sorted({m.split('.')[0] for m in sys.modules}))"
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO
    )
    assert proc.returncode == 0, proc.stderr
    loaded = set(ast.literal_eval(proc.stdout.strip().splitlines()[-1]))
    assert "aekit" in loaded
    assert not loaded & {
        "autograder",
        "nbgrader",
        "nbconvert",
        "nbformat",
        "numpy",
        "tensorflow",
        "keras",
    }, loaded
