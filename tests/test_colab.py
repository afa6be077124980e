"""Does the Colab setup cell install the course on Colab only, sit where
nbgrader ignores it, and survive the notebook's trip through Colab (a plain
nbformat read and write) with every grade intact?"""

from __future__ import annotations

import copy
import json
import os
import pathlib
import subprocess
import sys

import nbformat
import pytest

from aekit import colab, nbcells
from autograder import selftest
from autograder.paths import ASSIGNMENTS, source_notebook

REPO = pathlib.Path(__file__).resolve().parent.parent

# Runs the cell as a notebook would, with pip replaced by a recorder and aekit reported as not
# installed (this checkout's aekit is), then prints what pip was asked to do.
RECORDER = pathlib.Path(__file__).resolve().parent / "colab_cell_recorder.py"


def _run_cell(tmp_path, env_extra=None, colab_module=False, files=()):
    for name in files:
        (tmp_path / name).write_bytes(b"")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("COLAB_") and k not in ("AEKIT_WHEEL_URL", "NBGRADER_EXECUTION")
    }
    env.update(env_extra or {})
    proc = subprocess.run(
        [sys.executable, str(RECORDER), "--fake-colab-module" if colab_module else "--no-colab"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return proc


def test_cell_does_nothing_off_colab(tmp_path):
    """Off Colab (no google.colab module, no COLAB_ variable: JupyterLab, VS Code, the grader's
    kernel), does the cell call no pip and print nothing?"""
    proc = _run_cell(tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[-1]) == {"pip": [], "printed": ""}


def test_cell_does_nothing_while_graded_even_on_colab(tmp_path):
    """When nbgrader or the grader runs the notebook (NBGRADER_EXECUTION set), does the cell stay a
    no-op even where Colab's variables are set?"""
    proc = _run_cell(
        tmp_path, {"COLAB_RELEASE_TAG": "x", "NBGRADER_EXECUTION": "autograde"}, colab_module=True
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[-1]) == {"pip": [], "printed": ""}


@pytest.mark.parametrize("how", ["module", "variable"])
def test_cell_on_colab_installs_the_wheel_without_dependencies(tmp_path, how):
    """On Colab (google.colab imported, or a COLAB_ variable set), does the
    cell install the instructor's wheel with `pip install --no-deps`, so
    Colab keeps its TensorFlow, Keras and ipywidgets?"""
    url = "https://course.example.org/aekit-0.1.0-py3-none-any.whl"
    extra = {"AEKIT_WHEEL_URL": url} | (
        {"COLAB_RELEASE_TAG": "release-colab_20261201-060000"} if how == "variable" else {}
    )
    proc = _run_cell(tmp_path, extra, colab_module=how == "module")
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout.splitlines()[-1])
    assert len(got["pip"]) == 1
    args = got["pip"][0]
    assert args[1:] == ["-m", "pip", "install", "--quiet", "--no-deps", url]
    assert "aekit is installed" in got["printed"]


def test_cell_on_colab_uses_an_uploaded_wheel_or_says_what_to_do(tmp_path):
    """With no address set, does the cell install a wheel uploaded beside the notebook, and with
    none either, stop with one sentence that says what to upload?"""
    proc = _run_cell(tmp_path, {"COLAB_GPU": ""}, files=["aekit-0.1.0-py3-none-any.whl"])
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[-1])["pip"][0][-1] == "aekit-0.1.0-py3-none-any.whl"
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = _run_cell(empty, {"COLAB_GPU": ""})
    assert proc.returncode != 0
    assert "upload aekit-*.whl to Colab's Files pane" in proc.stderr.strip().splitlines()[-1]


def test_wheel_address_is_set_in_one_place():
    """Is WHEEL_URL assigned once, in aekit/colab_cell.py, and nowhere else in the package?"""
    hits = [p for p in (REPO / "aekit").rglob("*.py") if "WHEEL_URL = " in p.read_text()]
    assert hits == [colab.CELL_FILE]
    assert colab.cell_source().count("WHEEL_URL = ") == 1


def _solution(assignment: str) -> dict:
    return json.loads(source_notebook(assignment).read_text(encoding="utf-8"))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_cell_goes_before_the_setup_cell_once_and_changes_nothing_else(assignment):
    """Does put_cell insert one unmarked code cell holding colab_cell.py just before the nbgrader
    setup cell, leave every other cell as it was, and change nothing when run again?"""
    nb = _solution(assignment)
    nb["cells"] = [c for c in nb["cells"] if not colab.is_colab_cell(c)]
    before = copy.deepcopy(nb["cells"])
    assert colab.put_cell(nb) is True
    i = next(i for i, c in enumerate(nb["cells"]) if colab.is_colab_cell(c))
    cell = nb["cells"][i]
    assert (
        cell["cell_type"] == "code"
        and cell["metadata"] == {}
        and cell["source"] == colab.cell_source()
    )
    assert nb["cells"][i + 1]["metadata"]["nbgrader"]["grade_id"] == "setup"
    assert nb["cells"][:i] + nb["cells"][i + 1 :] == before
    again = copy.deepcopy(nb)
    assert colab.put_cell(again) is False and again == nb
    nbformat.validate(nbformat.from_dict(nb))


def test_an_old_cell_is_brought_up_to_date_in_place(tmp_path):
    """After the instructor changes the cell (a new WHEEL_URL), does put_cell_in_file replace the
    old cell's source where it is, clear its outputs, and write a notebook nbformat accepts?"""
    nb = _solution(ASSIGNMENTS[3])
    nb["cells"] = [c for c in nb["cells"] if not colab.is_colab_cell(c)]
    colab.put_cell(nb)
    i = next(i for i, c in enumerate(nb["cells"]) if colab.is_colab_cell(c))
    nb["cells"][i]["source"] = nb["cells"][i]["source"].replace(
        'WHEEL_URL = ""', 'WHEEL_URL = "https://old"'
    )
    nb["cells"][i]["outputs"] = [
        {"output_type": "stream", "name": "stdout", "text": "aekit is installed\n"}
    ]
    path = tmp_path / f"{ASSIGNMENTS[3]}.ipynb"
    path.write_text(json.dumps(nb))
    assert colab.put_cell_in_file(path) is True
    written = nbformat.read(str(path), as_version=4)
    assert written.cells[i].source == colab.cell_source() and written.cells[i].outputs == []
    assert colab.put_cell_in_file(path) is False


def test_instructor_command_writes_the_cell_into_notebook_files(tmp_path, capsys):
    """Does `python -m aekit.colab NOTEBOOK...` write the cell into a solution notebook that lacks
    it (a file nbformat reads back, the cell before the setup cell), report an up-to-date one, and
    refuse a missing path with exit 2?"""
    nb = _solution(ASSIGNMENTS[0])
    nb["cells"] = [c for c in nb["cells"] if not colab.is_colab_cell(c)]
    path = tmp_path / f"{ASSIGNMENTS[0]}.ipynb"
    path.write_text(json.dumps(nb))
    assert colab.main([str(path)]) == 0 and "written" in capsys.readouterr().out
    back = nbformat.read(str(path), as_version=4)
    i = next(i for i, c in enumerate(back.cells) if colab.is_colab_cell(c))
    assert back.cells[i + 1].metadata.nbgrader.grade_id == "setup"
    assert colab.main([str(path)]) == 0 and "already up to date" in capsys.readouterr().out
    assert colab.main([str(tmp_path / "missing.ipynb")]) == 2


def _colab_download(nb: dict) -> dict:
    """What Colab's File > Download .ipynb gives back: the notebook read
    and written by nbformat, with Colab's own metadata added (a "colab"
    block, an accelerator, an id in each cell's metadata)."""
    node = nbformat.reads(json.dumps(nb), as_version=4)
    node.metadata["colab"] = {"provenance": []}
    node.metadata["accelerator"] = "GPU"
    for n, cell in enumerate(node.cells):
        cell.metadata["id"] = f"colabcell{n:04d}"
    return json.loads(nbformat.writes(node))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_nbgrader_metadata_survives_the_trip_through_colab(assignment):
    """After a released notebook with the Colab cell goes through nbformat as Colab writes it, does
    every cell keep its nbgrader metadata and source, and the Colab cell stay unmarked?"""
    nb = json.loads(
        (REPO / "notebooks" / assignment / f"{assignment}.ipynb").read_text(encoding="utf-8")
    )
    colab.put_cell(nb)
    back = _colab_download(nb)
    assert len(back["cells"]) == len(nb["cells"])
    for mine, theirs in zip(nb["cells"], back["cells"], strict=True):
        assert nbcells.nbgrader_meta(theirs) == nbcells.nbgrader_meta(mine)
        # absent stays absent
        assert ("nbgrader" in theirs["metadata"]) == ("nbgrader" in mine["metadata"])
        assert nbcells.source_text(theirs) == nbcells.source_text(mine)
    assert (
        sum(colab.is_colab_cell(c) and "nbgrader" not in c["metadata"] for c in back["cells"]) == 1
    )


@pytest.mark.slow
def test_a_reference_submission_downloaded_from_colab_validates_as_before(tmp_path):
    """Does `python -m autograder validate` pass every visible test of notebook 04's reference
    answers with the Colab cell in it, after the trip through Colab, as it does without it?"""
    a = "04_gaussian_generative_models"
    plain = selftest.build_submission(a)
    plain["cells"] = [c for c in plain["cells"] if not colab.is_colab_cell(c)]
    with_cell = copy.deepcopy(plain)
    colab.put_cell(with_cell)
    results = {}
    for name, nb in (("plain", plain), ("colab", _colab_download(with_cell))):
        folder = tmp_path / name
        folder.mkdir()
        path = folder / f"{a}.ipynb"
        path.write_text(json.dumps(nb))
        proc = subprocess.run(
            [sys.executable, "-m", "autograder", "validate", str(path)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=600,
            env={k: v for k, v in os.environ.items() if not k.startswith("COLAB_")},
        )
        results[name] = (proc.returncode, [ln for ln in proc.stdout.splitlines() if ln.strip()])
    assert results["plain"][0] == 0, results["plain"]
    assert results["colab"] == results["plain"]
    assert any(ln.startswith("ok") for ln in results["colab"][1])
