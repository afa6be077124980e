"""Does the Gradescope bundle work the way Gradescope runs it?

Gradescope's autograder specification
(https://gradescope-autograders.readthedocs.io/en/latest/specs/, `docs/specs.md` in
gradescope/autograder_samples): the zip's root is unpacked into /autograder/source, setup.sh runs
once as root when the image is built, run_autograder is copied to /autograder and runs per
submission with /autograder as working directory and the upload in /autograder/submission, and it
must write /autograder/results/results.json in the format RESULTS_SCHEMA below transcribes.
"""

import json
import os
import pathlib
import shutil
import subprocess
import sys
import threading
import time
import zipfile

import pytest

from autograder import gradescope, sandbox, selftest
from autograder import results as nbgrade
from autograder.paths import ASSIGNMENTS, DATA, REPO, data_files
from tests.graded_class import source_tests

A = "01_conv_as_matrix"
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
NUMBER = (int, float)
# results.json as the specification lists it: every key optional; a top-level score or one per test
RESULTS_SCHEMA = {
    "top": {
        "score": NUMBER,
        "execution_time": NUMBER,
        "output": str,
        "visibility": str,
        "stdout_visibility": str,
        "extra_data": dict,
        "tests": list,
        "leaderboard": list,
    },
    "test": {
        "score": NUMBER,
        "max_score": NUMBER,
        "status": str,
        "name": str,
        "number": str,
        "output": str,
        "tags": list,
        "visibility": str,
        "extra_data": dict,
    },
    "status": {"passed", "failed"},
}


def check_results(results: dict) -> list[str]:
    """Where `results` departs from Gradescope's documented results.json
    format (empty: it conforms)."""
    problems = []
    for key, value in results.items():
        want = RESULTS_SCHEMA["top"].get(key)
        if want is None:
            problems.append(f"unknown top-level key {key!r}")
        elif not isinstance(value, want) or isinstance(value, bool):
            problems.append(f"{key} is {type(value).__name__}")
    for key in ("visibility", "stdout_visibility"):
        if key in results and results[key] not in VISIBILITY:
            problems.append(f"{key} {results[key]!r} is not one of {sorted(VISIBILITY)}")
    tests = results.get("tests", [])
    if "score" not in results and not all("score" in t for t in tests):
        problems.append("no top-level score and a test without a score")
    for i, t in enumerate(tests):
        for key, value in t.items():
            want = RESULTS_SCHEMA["test"].get(key)
            if want is None:
                problems.append(f"test {i}: unknown key {key!r}")
            elif not isinstance(value, want) or isinstance(value, bool):
                problems.append(f"test {i}: {key} is {type(value).__name__}")
        if t.get("visibility", "visible") not in VISIBILITY:
            problems.append(f"test {i}: visibility {t['visibility']!r}")
        if "status" in t and t["status"] not in RESULTS_SCHEMA["status"]:
            problems.append(f"test {i}: status {t['status']!r}")
    return problems


def _build(tmp_path, notebooks):
    bundle = tmp_path / "autograder.zip"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "autograder",
            "gradescope",
            "--out",
            str(bundle),
            "--notebooks",
            notebooks,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return bundle


def test_bundle_has_its_scripts_at_the_root_and_everything_the_notebooks_read(tmp_path):
    """Are setup.sh and run_autograder at the zip's root (not in a folder), executable, next to the
    code, the constraints, the chosen sources and every data file, metrics included?"""
    bundle = _build(tmp_path, "03,05")
    with zipfile.ZipFile(bundle) as zf:
        names = set(zf.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in zf.infolist()}
        setup = zf.read("setup.sh").decode()
        scripts = {name: zf.read(name) for name in gradescope.SCRIPT_NAMES}
    assert {
        "setup.sh",
        "run_autograder",
        "constraints.txt",
        "pyproject.toml",
        "assignments.json",
    } <= names
    assert not [n for n in names if n.startswith("source/")]
    assert modes["setup.sh"] & 0o777 == 0o755 and modes["run_autograder"] & 0o777 == 0o755
    # the scripts are the package's template files, as they are (and
    # Gradescope's: bash, at the root)
    assert scripts == {n: (gradescope.SCRIPTS / n).read_bytes() for n in gradescope.SCRIPT_NAMES}
    assert all(text.startswith(b"#!/usr/bin/env bash\n") for text in scripts.values())
    # data/: exactly the files the package installs (paths.data_files), the
    # same as the student kit's
    assert {n for n in names if n.startswith("data/")} == {
        f"data/{p.relative_to(DATA)}" for p in data_files()
    }
    for data in [
        "data/mnist_subset.npz",
        "data/weights/ae_metrics.json",
        "data/weights/vae_metrics.json",
        "data/weights/ae_latent2.keras",
        "data/weights/vae_latent2_beta1.keras",
        "aekit/data.py",
        "autograder/gradescope.py",
        "solutions/05_vae/05_vae.ipynb",
    ]:
        assert data in names, data
    assert not [n for n in names if n.startswith("solutions/01_")]
    assert "python3.11" not in setup and '-c "$SOURCE/constraints.txt"' in setup


def test_any_single_notebook_is_taken_whatever_its_name(tmp_path):
    """Is `05_vae (1).ipynb` or `my work.ipynb` graded as 05 by a one-notebook bundle, and are
    several notebooks matched by name or number?"""

    def paths(*names):
        out = []
        for n in names:
            (tmp_path / n).write_text("{}")
            out.append(tmp_path / n)
        return out

    m = gradescope.match_submission
    assert m(paths("05_vae (1).ipynb"), ["05_vae"]) == {"05_vae": tmp_path / "05_vae (1).ipynb"}
    assert m(paths("my work.ipynb"), ["05_vae"]) == {"05_vae": tmp_path / "my work.ipynb"}
    both = m(
        paths("01 attempt.ipynb", "05_vae-2.ipynb", "05_vae.ipynb"), ["01_conv_as_matrix", "05_vae"]
    )
    assert both == {
        "01_conv_as_matrix": tmp_path / "01 attempt.ipynb",
        "05_vae": tmp_path / "05_vae.ipynb",
    }
    assert m(paths("notes.ipynb", "other.ipynb"), ["05_vae"]) == {}  # two unnamed files: ambiguous
    assert m(paths("010_x.ipynb"), ["01_conv_as_matrix", "05_vae"]) == {}


def test_results_json_keeps_hidden_points_out_of_what_students_see_at_once():
    """Are hidden tests after_published, and does the top-level output count only visible points?"""
    r = nbgrade.NotebookResult(
        "05_vae",
        "graded",
        3.0,
        10.0,
        [
            nbgrade.TestResult("test_kl", 2.0, 2.0, "", False),
            nbgrade.TestResult("test_kl_hidden", 0.0, 7.0, "AssertionError: hidden input", True),
            nbgrade.TestResult("test_elbo", 1.0, 1.0, "", False),
        ],
    )
    results = gradescope.results_json([r], 12.3)
    assert check_results(results) == []
    assert [t["visibility"] for t in results["tests"]] == ["visible", "after_published", "visible"]
    assert (
        "3/3" in results["output"]
        and "10" not in results["output"]
        and "7" not in results["output"]
    )
    assert results["score"] == 3.0 and results["stdout_visibility"] == "hidden"


def test_schema_check_can_fail():
    """Does the schema check reject a wrong visibility, status or type?"""
    bad = {
        "score": "3",
        "tests": [{"score": 1, "visibility": "students", "status": "ok"}],
        "extra": 1,
    }
    assert len(check_results(bad)) == 4


@pytest.mark.slow
@pytest.mark.xdist_group("autograder")
def test_run_autograder_in_this_environment_writes_results_json(tmp_path):
    """Does run_autograder, with this environment's Python, grade an oddly
    named upload into results.json?"""
    bundle = _build(tmp_path, "01")
    root = tmp_path / "ag"
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(root / "source")
    sub = root / "submission"
    sub.mkdir()
    (sub / f"{A} (1).ipynb").write_text(json.dumps(selftest.build_submission(A)))
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=sys.executable)
    if not sandbox.capabilities()["namespaces"]:
        # a developer's machine without root: our own submission only
        env[gradescope.UNSAFE_ENV] = "1"
    proc = subprocess.run(
        ["bash", str(root / "source" / "run_autograder")],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    assert check_results(results) == []
    cells = source_tests(A)
    assert results["score"] == sum(c.points for c in cells)
    assert len(results["tests"]) == len(cells)
    for t, c in zip(results["tests"], cells, strict=True):
        assert t["visibility"] == ("after_published" if c.hidden else "visible")


# ---- a container without namespaces: kernels under their own user id,
# solutions/ root's alone -------------


def _unpacked(tmp_path, folder: pathlib.Path, submission: dict) -> pathlib.Path:
    """Notebook 01's bundle unpacked into `folder`/source as Gradescope does (files 0644: readable
    by all), with `submission` uploaded."""
    with zipfile.ZipFile(_build(tmp_path, "01")) as zf:
        zf.extractall(folder / "source")
    (folder / "submission").mkdir()
    (folder / "submission" / f"{A}.ipynb").write_text(json.dumps(submission))
    return folder


def _scores(results: dict) -> dict:
    return {
        t["name"].split(": ", 1)[1].removesuffix(" (hidden test)"): t["score"]
        for t in results["tests"]
    }


def test_gradescope_refuses_where_a_kernel_could_read_the_hidden_tests(tmp_path, open_folder):
    """Without namespaces and with solutions/ readable by all, does run() grade nothing and say why,
    in a results.json that fits Gradescope's format?"""
    root = _unpacked(tmp_path, open_folder / "ag", selftest.build_submission(A))
    env = dict(os.environ, AEKIT_REPO=str(root / "source"), AEKIT_SANDBOX_NAMESPACES="off")
    env.pop(gradescope.UNSAFE_ENV, None)
    proc = subprocess.run(
        [sys.executable, "-m", "autograder", "gradescope-run", "--root", str(root)],
        cwd=root / "source",
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    assert check_results(results) == [] and results["tests"] == [] and results["score"] == 0
    assert results["output"].startswith("Not graded") and "solutions" in results["output"], results[
        "output"
    ]
    assert f"{gradescope.UNSAFE_ENV}=1" in results["output"]


@pytest.mark.slow
@pytest.mark.xdist_group("autograder")
def test_without_namespaces_a_kernel_reads_nothing_of_the_bundled_solutions(
    tmp_path, open_folder, snooper, run_without_namespaces
):
    """In a container without namespaces, does run_autograder make solutions/ root's alone and grade
    a student who reads every file it can under the bundle's source folder: nothing of solutions/
    read, its own user id, every test passed?"""
    root = open_folder / "ag"
    _unpacked(tmp_path, root, snooper(root / "source"))
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=sys.executable)
    env.pop(gradescope.UNSAFE_ENV, None)
    proc = run_without_namespaces(["bash", str(root / "source" / "run_autograder")], env, root)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "REDUCED isolation (no namespaces)" in proc.stdout, proc.stdout
    assert (root / "source" / "solutions").stat().st_mode & 0o777 == 0o700
    results = json.loads((root / "results" / "results.json").read_text())
    assert check_results(results) == []
    cells = source_tests(A)
    assert _scores(results) == {c.test_id: c.points for c in cells}, results["tests"]


@pytest.mark.slow
@pytest.mark.xdist_group("autograder")
def test_unsafe_opt_in_grades_and_the_snooper_then_reads_the_solutions(
    tmp_path, open_folder, snooper, run_without_namespaces
):
    """With AEKIT_UNSAFE=1 and solutions/ left readable, does run() grade anyway, and does the
    snooping student then read the hidden tests (its last exercise's points lost, the others
    earned): the opt-in is as unsafe as documented, and the snooper can tell?"""
    root = open_folder / "ag"
    _unpacked(tmp_path, root, snooper(root / "source"))
    env = dict(os.environ, AEKIT_REPO=str(root / "source"), **{gradescope.UNSAFE_ENV: "1"})
    proc = run_without_namespaces(
        [sys.executable, "-m", "autograder", "gradescope-run", "--root", str(root)],
        env,
        root / "source",
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads((root / "results" / "results.json").read_text())
    assert check_results(results) == []
    last = list(selftest.solution_sources(A))[-1]
    lost = {name for name, score in _scores(results).items() if score == 0}
    assert lost == {c.test_id for c in source_tests(A) if c.test_id.startswith(f"test_{last}")}, (
        results["tests"]
    )


# ---- as Gradescope runs it: fresh venv from setup.sh, /autograder
# bind-mounted ----------------------


def _base_python() -> str | None:
    """An interpreter like Gradescope's Ubuntu 22.04 one (3.10), else 24.04's (3.12), not this
    venv's (AEKIT_GRADESCOPE_PYTHON names another)."""
    if os.environ.get("AEKIT_GRADESCOPE_PYTHON"):
        return os.environ["AEKIT_GRADESCOPE_PYTHON"]
    for v in ("3.10", "3.12"):
        root = (
            pathlib.Path(os.environ.get("PYENV_ROOT", pathlib.Path.home() / ".pyenv")) / "versions"
        )
        found = sorted(root.glob(f"{v}.*/bin/python")) if root.is_dir() else []
        exe = str(found[-1]) if found else shutil.which(f"python{v}")
        if (
            exe
            and subprocess.run(
                [exe, "-c", "import venv, ensurepip"], capture_output=True
            ).returncode
            == 0
        ):
            return exe
    return None


def _clean_env() -> dict:
    """The environment without this checkout's venv or paths, as a fresh container has."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "VIRTUAL_ENV", "AEKIT_REPO", "AEKIT_DATA_DIR", "PYTHONHOME")
    }
    venv_bin = str(pathlib.Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if p and p != venv_bin
    )
    return env


def _peak_memory(proc: subprocess.Popen, stop: threading.Event, out: dict) -> None:
    """Sample the proportional set size (shared pages split between
    sharers) of proc's process tree."""
    import psutil

    peak = 0
    try:
        top = psutil.Process(proc.pid)
    except psutil.Error:
        return
    while not stop.is_set():
        total = 0
        try:
            procs = [top] + top.children(recursive=True)
        except psutil.Error:
            break
        for p in procs:
            try:
                total += p.memory_full_info().pss
            except psutil.Error:
                pass
        peak = max(peak, total)
        stop.wait(0.25)
    out["pss_peak"] = peak


def _in_namespace(
    tree: pathlib.Path, script: str, env: dict, timeout: float, measure: bool = False
):
    """Run `script` in a private mount namespace in which `tree` is mounted at /autograder."""
    # the mount point; empty, and removed again by the test
    os.makedirs("/autograder", exist_ok=True)
    wrapped = f"set -euo pipefail\nmount --bind {tree} /autograder\n{script}"
    cmd = ["unshare", "--mount", "--propagation", "private", "bash", "-c", wrapped]
    if measure:
        cmd = ["/usr/bin/time", "-f", "MAXRSS_KB %M"] + cmd
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stop, mem = threading.Event(), {}
    sampler = threading.Thread(target=_peak_memory, args=(proc, stop, mem), daemon=True)
    if measure:
        sampler.start()
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        stop.set()
        if measure:
            sampler.join(10)
    rss = [int(line.split()[1]) for line in err.splitlines() if line.startswith("MAXRSS_KB ")]
    return (
        proc.returncode,
        out,
        err,
        {
            "pss_peak_mb": mem.get("pss_peak", 0) / 2**20,
            "max_rss_one_process_mb": rss[-1] / 1024 if rss else None,
        },
    )


@pytest.mark.slow
@pytest.mark.shipped  # its own make step (test-shipped): minutes of installing into a fresh venv
@pytest.mark.xdist_group("gradescope-image")
def test_bundle_as_gradescope_runs_it(tmp_path):
    """Does the bundle, unpacked at a stand-in /autograder, build a fresh venv
    with setup.sh on Gradescope's Python (3.10) that does not see this
    checkout, grade an upload named `my work.ipynb` to full marks with
    run_autograder, and write a results.json that fits Gradescope's format?"""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("needs root and unshare for a private mount namespace (CI has both)")
    base = _base_python()
    if base is None:
        pytest.skip("no Python 3.10 or 3.12 with venv here")
    notebooks = os.environ.get("AEKIT_GRADESCOPE_NOTEBOOKS", "01")  # "all": measure every notebook
    chosen = (
        list(ASSIGNMENTS)
        if notebooks == "all"
        else [a for a in ASSIGNMENTS if a[:2] in notebooks.split(",")]
    )
    bundle = _build(tmp_path, ",".join(a[:2] for a in chosen))
    tree = tmp_path / "autograder"
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(tree / "source")
    for name in ("setup.sh", "run_autograder"):  # zipfile does not restore modes
        (tree / "source" / name).chmod(0o755)
    made_mountpoint = not pathlib.Path("/autograder").exists()
    if made_mountpoint:
        os.mkdir("/autograder")
    try:
        env = dict(_clean_env(), AUTOGRADER_BASE_PYTHON=base)
        code, out, err, _ = _in_namespace(
            tree, "bash /autograder/source/setup.sh", env, timeout=1800
        )
        assert code == 0, (out + err)[-5000:]
        # the new venv sees neither this checkout nor its .venv
        probe = (
            "import sys, json, importlib.metadata as m; "
            "print(json.dumps({'path': sys.path, 'prefix': sys.prefix, "
            "'dists': sorted({str(d.locate_file('')) for d in m.distributions()})}))"
        )
        code, out, err, _ = _in_namespace(
            tree, f'cd /tmp && /autograder/venv/bin/python -c "{probe}"', env, 120
        )
        assert code == 0, err
        seen = json.loads(out.strip().splitlines()[-1])
        assert seen["prefix"] == "/autograder/venv"
        assert not [
            p for p in seen["path"] + seen["dists"] if p.startswith(str(REPO)) or "/.venv" in p
        ], seen
        listed = _in_namespace(
            tree, "/autograder/venv/bin/python -m pip list --format=freeze", env, 120
        )[1]
        assert "tensorflow" in listed.lower() and "nbgrader==" in listed
        print(f"\nsetup.sh on {base}: venv ready")
        for a in chosen:
            sub = tree / "submission"
            shutil.rmtree(sub, ignore_errors=True)
            shutil.rmtree(tree / "results", ignore_errors=True)
            sub.mkdir()
            name = "my work.ipynb" if len(chosen) == 1 else f"{a} (1).ipynb"
            (sub / name).write_text(json.dumps(selftest.build_submission(a)))
            # Gradescope copies run_autograder to /autograder and runs it from there
            script = (
                "cp /autograder/source/run_autograder /autograder/run_autograder\n"
                "cd /autograder && ./run_autograder"
            )
            start = time.monotonic()
            code, out, err, mem = _in_namespace(tree, script, env, timeout=900, measure=True)
            assert code == 0, (out + err)[-5000:]
            results = json.loads((tree / "results" / "results.json").read_text())
            assert check_results(results) == [], results
            want = sum(c.points for c in source_tests(a))
            got = sum(t["score"] for t in results["tests"] if t["name"].startswith(a))
            assert got == want, [
                t
                for t in results["tests"]
                if t["name"].startswith(a) and t["score"] < t["max_score"]
            ]
            hidden_points = sum(c.points for c in source_tests(a) if c.hidden)
            assert f"{want - hidden_points:g}/{want - hidden_points:g}" in results["output"]
            print(
                f"{a}: {time.monotonic() - start:.0f} s, peak memory of run_autograder and its "
                f"children {mem['pss_peak_mb']:.0f} MB (PSS), largest single process "
                f"{mem['max_rss_one_process_mb']:.0f} MB (RSS)"
            )
    finally:
        if made_mountpoint:
            try:
                os.rmdir("/autograder")
            except OSError:  # not empty or in use: leave it
                pass
