"""Are the sources and the release well formed and in sync?"""

import json
import os
import shutil
import subprocess
import sys

import pytest

from autograder import cells, release
from autograder.paths import ASSIGNMENTS, REPO, release_notebook, source_notebook

SIX = list(ASSIGNMENTS)


_nb = cells.read_notebook


def _existing(kind):
    paths = [source_notebook(a) if kind == "source" else release_notebook(a) for a in SIX]
    return [p for p in paths if p.is_file()]


def test_the_six_notebooks_exist_in_order():
    """Does every one of the six notebooks have a source and a release under its exact name?"""
    missing = [
        a for a in SIX if not source_notebook(a).is_file() or not release_notebook(a).is_file()
    ]
    assert not missing, f"missing notebooks: {missing}"


@pytest.mark.parametrize(
    "path", _existing("source") + _existing("release"), ids=lambda p: str(p.relative_to(REPO))
)
def test_notebook_has_no_outputs_and_a_python3_kernel(path):
    """Does the notebook carry no outputs or execution counts, and kernelspec python3?"""
    nb = _nb(path)
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"cell {i} has outputs"
            assert cell.get("execution_count") is None, f"cell {i} has an execution count"


@pytest.mark.parametrize("path", _existing("source"), ids=lambda p: p.stem)
def test_source_cells_follow_the_conventions(path):
    """Are grade_ids unique, and does every exercise have a visible and a hidden test cell?"""
    nb = _nb(path)
    ids, exercises, tests = [], [], {}
    for cell in nb["cells"]:
        meta = cells.nbgrader_meta(cell)
        if not meta:
            continue
        ids.append(meta["grade_id"])
        src = cells.source_text(cell)
        if cells.is_exercise_cell(cell):
            exercises.append(meta["grade_id"])
            before = src.split(cells.SOLUTION_BEGIN)[0]
            assert f"def {meta['grade_id']}(" in before, (
                f"{meta['grade_id']}: signature must stay outside the solution"
            )
            assert '"""' in before, f"{meta['grade_id']}: docstring must stay outside the solution"
        if meta.get("grade"):
            assert meta.get("points", 0) > 0, f"{meta['grade_id']} must be worth points"
        if meta.get("grade") and cell["cell_type"] == "code":
            assert meta.get("locked"), f"{meta['grade_id']} must be locked"
            tests[meta["grade_id"]] = src
    assert len(ids) == len(set(ids)), (
        f"duplicate grade_ids: {sorted(i for i in ids if ids.count(i) > 1)}"
    )
    for ex in exercises:
        assert f"test_{ex}" in tests, f"{ex} has no visible test cell test_{ex}"
        assert f"test_{ex}_hidden" in tests, f"{ex} has no hidden test cell test_{ex}_hidden"
        assert cells.has_hidden_tests(tests[f"test_{ex}_hidden"])
    assert exercises, f"{path.name} has no exercise cell"


@pytest.mark.parametrize("path", _existing("release"), ids=lambda p: p.stem)
def test_release_hides_answers_and_hidden_tests(path):
    """Does the release show stubs that raise NotImplementedError and no hidden test?"""
    nb = _nb(path)
    stubs = 0
    for cell in nb["cells"]:
        src = cells.source_text(cell)
        assert not [m for m in cells.MARKERS if m in src], src[:200]
        if cells.is_exercise_cell(cell):
            assert "raise NotImplementedError()" in src
            stubs += 1
    assert stubs > 0


def test_release_is_in_sync_with_the_sources():
    """Does regenerating the release from solutions/ give exactly the committed notebooks/?"""
    assert release.check() == []


def test_release_check_names_a_stale_notebook(tmp_path):
    """Does `release --check` exit non-zero and name the notebook when the release is stale?"""
    copy = tmp_path / "repo"
    # not what make builds or writes (build/ holds whole virtual
    # environments once test-other-python has run)
    shutil.copytree(
        REPO,
        copy,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "demo-out", "*.egg-info", "build", "results"
        ),
    )
    a = next(a for a in SIX if source_notebook(a).is_file())
    stale = copy / "notebooks" / a / f"{a}.ipynb"
    nb = _nb(stale)
    nb["cells"][0]["source"] = "# edited by hand\n"
    stale.write_text(json.dumps(nb), encoding="utf-8")
    env = dict(os.environ, AEKIT_REPO=str(copy))
    proc = subprocess.run(
        [sys.executable, "-m", "autograder", "release", "--check", "--notebooks", a[:2]],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1
    assert a in proc.stdout


@pytest.mark.parametrize("path", _existing("source"), ids=lambda p: p.stem)
def test_setup_cell_is_locked_and_tests_are_graded_code_cells(path):
    """Is the first code cell a locked setup cell, and is every graded cell
    a locked code cell or a written answer?"""
    nb = _nb(path)
    from aekit import colab  # the Colab setup cell, an unmarked cell, may come before it

    first = next(c for c in nb["cells"] if c["cell_type"] == "code" and not colab.is_colab_cell(c))
    assert cells.is_read_only(first) and (cells.grade_id(first) or "").startswith("setup"), (
        "the first code cell must be the locked setup cell (grade_id 'setup')"
    )
    for cell in nb["cells"]:
        meta = cells.nbgrader_meta(cell)
        if meta.get("grade") and cell["cell_type"] == "code":
            assert meta.get("locked") and not meta.get("solution"), meta["grade_id"]
        elif meta.get("grade"):  # a written answer, graded by hand
            assert meta.get("solution") and meta["grade_id"].startswith("q_"), meta["grade_id"]
