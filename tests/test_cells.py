"""How a submitted notebook is merged with its source before it runs (autograder.cells; no kernel)."""
import copy
import json

from autograder import cells, selftest
from autograder.paths import source_notebook

A = "01_conv_as_matrix"


def _source():
    return json.loads(source_notebook(A).read_text(encoding="utf-8"))


def _ids(nb):
    return [cells.nbgrader_meta(c).get("grade_id") for c in nb["cells"]]


def test_tests_always_come_from_the_source_wherever_the_student_put_them():
    """Are deleted, edited and moved test cells replaced by the source's, in the source's places, and never run?"""
    source = _source()
    nb = selftest.build_submission(A)
    tests = [c for c in nb["cells"] if cells.nbgrader_meta(c).get("grade")]
    nb["cells"].remove(tests[0])
    tests[1]["source"] = "print('all good')"
    nb["cells"].remove(tests[2])
    nb["cells"].insert(0, tests[2])
    plan = cells.plan(source, nb)
    test_ids = [t.test_id for t in cells.test_cells(source)]
    assert [t.test_id for t in plan.tests] == test_ids
    assert [g for g in _ids(plan.notebook) if g in test_ids] == test_ids
    assert not any(label in test_ids for _, label, _ in plan.run)
    assert any(tests[0]["metadata"]["nbgrader"]["grade_id"] in n for n in plan.notes)
    hidden = next(c for c in plan.notebook["cells"] if cells.nbgrader_meta(c).get("grade_id") == test_ids[1])
    assert "BEGIN HIDDEN TESTS" not in cells.source_text(hidden)


def test_locked_cells_are_restored_and_the_students_own_cells_kept_in_order():
    """Is an edited setup cell restored (with a note), and do cells the student added run where they put them?"""
    source = _source()
    nb = selftest.build_submission(A)
    setup = next(c for c in nb["cells"] if cells.nbgrader_meta(c).get("grade_id") == "setup")
    setup["source"] = "import os\nos.system('rm -rf /')"
    first = next(i for i, c in enumerate(nb["cells"]) if cells.nbgrader_meta(c).get("solution"))
    nb["cells"].insert(first, {"cell_type": "code", "metadata": {}, "source": "HELPER = 1", "outputs": []})
    plan = cells.plan(source, nb)
    codes = [code for _, _, code in plan.run]
    assert "rm -rf" not in "".join(codes)
    original = next(cells.source_text(c) for c in source["cells"] if cells.nbgrader_meta(c).get("grade_id") == "setup")
    # the restored setup cell runs first (after the release's Colab cell, an unmarked cell, where it has one)
    order = [label for _, label, _ in plan.run]
    assert plan.run[order.index("setup")][2] == original
    assert all(label.startswith("cell ") for label in order[:order.index("setup")])  # only unmarked cells before it
    assert any("setup" in n for n in plan.notes)
    exercise = cells.nbgrader_meta(nb["cells"][first + 1])["grade_id"]
    labels = [label for _, label, _ in plan.run]
    assert codes.index("HELPER = 1") == labels.index(exercise) - 1


def test_metadata_a_student_invents_or_inflates_is_not_kept():
    """Do points, ids or a changed cell type on an exercise cell, and nbgrader metadata on an added cell, count for nothing?"""
    source = _source()
    nb = selftest.build_submission(A)
    exercise = next(c for c in nb["cells"] if cells.nbgrader_meta(c).get("solution"))
    exercise["metadata"]["nbgrader"].update(points=99, grade=True)
    nb["cells"].append({"cell_type": "code", "source": "x = 1", "outputs": [],
                        "metadata": {"nbgrader": {"grade": True, "grade_id": "bonus", "points": 50, "solution": False}}})
    plan = cells.plan(source, nb)
    assert "bonus" not in [t.test_id for t in plan.tests]
    merged = next(c for c in plan.notebook["cells"]
                  if cells.nbgrader_meta(c).get("grade_id") == exercise["metadata"]["nbgrader"]["grade_id"])
    assert cells.nbgrader_meta(merged).get("points") is None and not cells.nbgrader_meta(merged).get("grade")
    assert sum(t.points for t in plan.tests) == sum(t.points for t in cells.test_cells(source))


def test_a_deleted_exercise_cell_is_noted_and_nothing_else_changes():
    """Is a deleted exercise cell reported, with every other cell still run?"""
    source = _source()
    nb = selftest.build_submission(A)
    full = cells.plan(source, copy.deepcopy(nb))
    gone = next(c for c in nb["cells"] if cells.nbgrader_meta(c).get("grade_id") == "conv_matrix")
    nb["cells"].remove(gone)
    plan = cells.plan(source, nb)
    assert any("conv_matrix" in n and "missing" in n for n in plan.notes)
    assert [code for _, _, code in plan.run] == [code for _, label, code in full.run if label != "conv_matrix"]
