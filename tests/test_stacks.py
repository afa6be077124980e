"""Does the course run on the oldest stack it supports (Colab's) and on the
newest (constraints.txt)?

Only with `-m stacks` (`make test-stacks`, minutes): the oldest stack is a fresh virtual environment
on Python 3.12 (Colab's Python for TensorFlow 2.19, which has no 3.13 wheel) holding what Colab
holds - TensorFlow 2.19, Keras 3.10, ipywidgets 7.7.1, IPython 7.34 and ipykernel 6.17 - with NumPy
at the course's floor, 1.26. The course package goes in as a wheel built from this checkout,
installed by the Colab setup cell itself (aekit/colab_cell.py, run as on Colab). The newest stack is
this checkout's .venv (constraints.txt). In each, tests/stacks_probe.py

- loads every shipped .keras file and recomputes its held-out figures,
- builds every explorer, draws it, moves a control and draws it again,
- runs every solution notebook top to bottom ungraded (the instructor's run, explorers included).

pip downloads what the oldest stack needs once (into build/stacks/wheels);
the venv is rebuilt each run.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys

import nbformat
import pytest
from packaging.requirements import Requirement

from aekit import colab, data
from autograder import cells
from autograder.studentkit import find_pythons

REPO = pathlib.Path(__file__).resolve().parent.parent
STACKS = REPO / "build" / "stacks"
PROBE = REPO / "tests" / "stacks_probe.py"
COLAB_PYTHON = "3.12"
# Colab's packages (2025-2026 runtime with TensorFlow 2.19): what a
# student's notebook shares with its host. NumPy is the course's floor
# (Colab has 2.0.2); nbclient and nbformat run the notebooks for this test.
COLAB_HOST = [
    "tensorflow==2.19.*",
    "keras==3.10.*",
    "ipywidgets==7.7.1",
    "numpy==1.26.4",
    "ipython==7.34.0",
    "ipykernel==6.17.1",
    "matplotlib==3.10.*",
    "scipy==1.15.*",
    "psutil",
    "nbclient",
    "nbformat",
]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
STACK_NAMES = ("colab-oldest", "constraints-newest")

pytestmark = pytest.mark.stacks


def _run(args, timeout, **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=timeout, **kw
    )
    assert proc.returncode == 0, (
        f"{' '.join(map(str, args))[:300]}\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    )
    return proc


def _clean_env(**extra) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "NBGRADER_EXECUTION", "AEKIT_DATA_DIR", "VIRTUAL_ENV")
        and not k.startswith("COLAB_")
    }
    env.update(TF_CPP_MIN_LOG_LEVEL="2", PYTHONDONTWRITEBYTECODE="1", **extra)
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> pathlib.Path:
    """The course wheel, built from a copy of this checkout's sources (the
    tree itself stays untouched)."""
    src = tmp_path_factory.mktemp("wheel-src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, src / name)
    for name in ("aekit", "autograder", "data"):
        shutil.copytree(
            REPO / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    out = tmp_path_factory.mktemp("wheel")
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            src,
            "-w",
            out,
        ],
        600,
    )
    (built,) = out.glob("aekit-*.whl")
    return built


@pytest.fixture(scope="module")
def colab_stack(wheel, tmp_path_factory) -> dict:
    """A fresh venv holding Colab's packages, the course installed into it
    by the Colab setup cell."""
    python = find_pythons().get(COLAB_PYTHON)
    if python is None:
        pytest.skip(
            f"no Python {COLAB_PYTHON} on this machine (pyenv install "
            f"{COLAB_PYTHON}): Colab's stack needs it"
        )
    venv = STACKS / "colab-oldest"
    shutil.rmtree(venv, ignore_errors=True)
    _run([python, "-m", "venv", venv], 300)
    py = venv / "bin" / "python"
    # the wheels are kept in build/stacks/wheels: `pip download` fetches only
    # what is not there yet (pip's own cache is not enough: it keeps nothing
    # where the index's answers say not to), then pip installs from them
    _run(
        [py, "-m", "pip", "download", "-q", "-d", STACKS / "wheels", *COLAB_HOST],
        1800,
        env=_clean_env(),
    )
    _run(
        [
            py,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-index",
            "--find-links",
            STACKS / "wheels",
            *COLAB_HOST,
        ],
        1800,
        env=_clean_env(),
    )
    before = _run([py, "-m", "pip", "freeze"], 120).stdout.splitlines()
    work = tmp_path_factory.mktemp("colab-content")  # Colab's /content
    cell = [py, "-c", colab.cell_source()]
    first = _run(
        cell,
        600,
        cwd=work,
        env=_clean_env(COLAB_RELEASE_TAG="stack-test", AEKIT_WHEEL_URL=str(wheel)),
    )
    after = _run([py, "-m", "pip", "freeze"], 120).stdout.splitlines()
    again = _run(
        cell,
        120,
        cwd=work,
        env=_clean_env(COLAB_RELEASE_TAG="stack-test", AEKIT_WHEEL_URL="/nonexistent.whl"),
    )
    return {
        "python": py,
        "before": before,
        "after": after,
        "first": first.stdout,
        "again": again.stdout,
    }


def _probe(python, out: pathlib.Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    _run(
        [
            python,
            PROBE,
            "--solutions",
            REPO / "solutions",
            "--notebook-code",
            REPO / "data",
            "--out",
            out,
        ],
        3600,
        cwd=out,
        env=_clean_env(),
    )
    return json.loads((out / "report.json").read_text())


_reports: dict = {}


@pytest.fixture(scope="module", params=STACK_NAMES)
def stack(request, tmp_path_factory) -> dict:
    """The probe's report of one stack (computed once per run)."""
    name = request.param
    if name not in _reports:
        python = (
            request.getfixturevalue("colab_stack")["python"]
            if name == "colab-oldest"
            else sys.executable
        )
        out = tmp_path_factory.mktemp(name)
        _reports[name] = dict(_probe(python, out), name=name, out=out)
    return _reports[name]


def test_colab_cell_installs_the_course_package_and_nothing_else(colab_stack):
    """Does the Colab setup cell install aekit with `--no-deps` and leave every package Colab had as
    it was, and does running it again install nothing (an unreachable address is never fetched)?"""
    assert "aekit is installed" in colab_stack["first"]
    added = set(colab_stack["after"]) - set(colab_stack["before"])
    removed = set(colab_stack["before"]) - set(colab_stack["after"])
    assert not removed, f"the setup cell changed Colab's packages: {sorted(removed)}"
    assert [line.split(" ")[0].split("==")[0] for line in added] == ["aekit"], added
    assert "aekit is installed" in colab_stack["again"]


def test_stack_is_the_one_it_claims(stack):
    """Does the oldest stack run TensorFlow 2.19, Keras 3.10, ipywidgets
    7.7.1 and NumPy 1.26 with aekit and its data from the installed wheel
    (not a checkout), and the newest the versions constraints.txt pins?"""
    v = stack["versions"]
    if stack["name"] == "colab-oldest":
        assert v["tensorflow"].startswith("2.19.") and "tensorflow-cpu" not in v, v
        assert (
            v["keras"].startswith("3.10.") and v["ipywidgets"] == "7.7.1" and v["numpy"] == "1.26.4"
        ), v
        site = pathlib.Path(v["aekit_file"]).parent
        assert site.parent.name == "site-packages" and site.is_relative_to(
            STACKS / "colab-oldest"
        ), v
        assert pathlib.Path(v["data_dir"]) == site / "_data", v
    else:
        pins = {}
        for line in (REPO / "constraints.txt").read_text().splitlines():
            if "==" in line and not line.startswith("#"):
                r = Requirement(line)
                if r.marker is None or r.marker.evaluate():
                    pins[r.name.lower()] = str(r.specifier).lstrip("=")
        for name in ("tensorflow-cpu", "keras", "numpy", "ipywidgets"):
            assert v[name] == pins[name], (name, v[name], pins[name])


def _recorded() -> dict:
    out = {}
    for name in ("ae_metrics.json", "vae_metrics.json", "checkerboard_metrics.json"):
        out.update(
            {
                k: m
                for k, m in json.loads(data.weights_path(name).read_text()).items()
                if k.endswith(".keras")
            }
        )
    return out


def test_every_shipped_model_reproduces_its_recorded_heldout_figures(stack):
    """Does every .keras file load in this stack and give its recorded held-out
    figures: the autoencoders' summed squared error and the VAEs' KL term within
    0.1 (deterministic), the checkerboard models' mean squared error within 1e-4
    and score within 1 %, and the VAEs' -ELBO within 0.5 nats (the recorded
    -ELBO is itself a 10-draw Monte Carlo estimate; here 20 draws per image)?"""
    recorded, got = _recorded(), stack["weights"]
    assert set(got) == set(recorded), (sorted(got), sorted(recorded))
    for name, figures in got.items():
        r = recorded[name]
        if name.startswith("ae_"):
            assert figures["heldout_loss"] == pytest.approx(r["heldout_loss"], abs=0.1), name
        elif name.startswith("vae_"):
            assert figures["heldout_kl"] == pytest.approx(r["heldout_kl"], abs=0.1), name
            assert figures["heldout_neg_elbo"] == pytest.approx(r["heldout_neg_elbo"], abs=0.5), (
                name
            )
        else:
            assert figures["heldout_loss"] == pytest.approx(r["heldout_loss"], abs=1e-4), name
            assert figures["heldout_checkerboard_score"] == pytest.approx(
                r["heldout_checkerboard_score"], rel=0.01
            )


def test_oldest_and_newest_stacks_compute_the_same_figures():
    """With the same draws, do both stacks give every model's held-out
    figures within 0.01 (nats or squared error) and 1e-5 (mean squared error)
    of each other, so Keras 3.10 reads the weights Keras 3.15 wrote?"""
    if set(_reports) != set(STACK_NAMES):
        pytest.skip("needs both stacks' reports: run the whole module (-m stacks)")
    old, new = _reports["colab-oldest"]["weights"], _reports["constraints-newest"]["weights"]
    assert set(old) == set(new)
    for name in old:
        for key, value in old[name].items():
            tol = 1e-5 if key == "heldout_loss" and name.startswith("checkerboard") else 0.01
            if key == "heldout_checkerboard_score":
                assert value == pytest.approx(new[name][key], rel=1e-3), (name, key)
            else:
                assert value == pytest.approx(new[name][key], abs=tol), (name, key)


def test_every_explorer_draws_and_redraws(stack):
    """Does every explorer build on this stack's ipywidgets, draw PNG pictures, draw new ones when
    its first control moves, and still draw after each of its other controls moves once?"""
    assert len(stack["widgets"]) == 10
    for name, result in stack["widgets"].items():
        assert "error" not in result, (name, result)
        assert result["images"] >= 1 and result["controls"] >= 1, (name, result)
        assert result["drawn"] and result["redrawn"] and result["every_control_drawn"], (
            name,
            result,
        )


def _grade_cells(nb: dict):
    for cell in nb["cells"]:
        if cells.is_code(cell) and cells.is_grade(cell):
            yield cells.grade_id(cell), cells.nbgrader_meta(cell).get("points", 0), cell


def test_every_solution_notebook_runs_ungraded_and_every_test_passes(stack):
    """Does every solution notebook run top to bottom ungraded (explorers on) without an error, does
    every test cell earn its points on the reference answers (nbgrader's own reading of the
    outputs), and does every notebook with an explorer hand the front end widget views whose models,
    pictures included, it can draw?"""
    from nbgrader import utils

    report = stack["notebooks"]
    assert sorted(report) == sorted(p.stem for p in (REPO / "solutions").glob("*/*.ipynb"))
    for name, result in report.items():
        assert result["error"] is None, f"{stack['name']}: {name}: {result['error']}"
        nb = json.loads((stack["out"] / f"{name}.ipynb").read_text())
        tests = list(_grade_cells(nb))
        assert tests, name
        for grade_id, points, cell in tests:
            errors = [o for o in cell["outputs"] if o["output_type"] == "error"]
            assert not errors, (name, grade_id, errors)
            score, max_score = utils.determine_grade(nbformat.from_dict(cell), None)
            assert score == max_score == points, (name, grade_id, score, max_score)
        views = [
            o["data"][WIDGET_VIEW]["model_id"]
            for c in nb["cells"]
            if c["cell_type"] == "code"
            for o in c.get("outputs", [])
            if WIDGET_VIEW in o.get("data", {})
        ]
        if name.startswith("03"):
            continue  # notebook 03 has no explorer
        assert views, f"{name}: no explorer was displayed"
        state = nb["metadata"]["widgets"][WIDGET_STATE]["state"]
        assert set(views) <= set(state), name
        images = [m for m in state.values() if m["model_name"] == "ImageModel"]
        assert images, name
        for model in images:
            pictures = [b for b in model.get("buffers", []) if b["path"] == ["value"]]
            assert pictures and all(len(b["data"]) > 100 for b in pictures), (name, model["state"])
