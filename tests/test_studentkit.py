"""Does the student kit give students (or a JupyterHub image) everything but answers, and do the
JupyterLab settings show students only their tools?"""

import json
import os
import pathlib
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile

import pytest

from autograder import cells, studentkit
from autograder.paths import ASSIGNMENTS, DATA, REPO, data_files
from tests import makecmd


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    out = tmp_path_factory.mktemp("kit") / "course.zip"
    proc = subprocess.run(
        [sys.executable, "-m", "autograder", "student-kit", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )
    assert proc.returncode == 0, proc.stderr
    return out


def _leaks(name: str, data: bytes, forbidden: dict[str, list[str]]) -> list[str]:
    text = data.decode("utf-8", errors="ignore")
    # the notebook's JSON escapes newlines and quotes: read its cells' text
    if name.endswith(".ipynb"):
        try:
            nb = json.loads(text)
            text += "\n".join(cells.source_text(c) for c in nb.get("cells", []))
        except ValueError:
            pass  # not JSON: scanned as the text it is
    # the markers' one home and the grader's code name them to find them
    grader_code = (
        name.startswith("autograder/") and name.endswith(".py")
    ) or name == "aekit/nbcells.py"
    return [
        f"{name}: {kind}: {needle[:70]!r}"
        for kind, needles in forbidden.items()
        if not (kind == "marker" and grader_code)
        for needle in needles
        if needle in text
    ]


def test_forbidden_texts_would_catch_the_solutions():
    """Does the scan know the answers and hidden tests, so that it finds them in solutions/?"""
    forbidden = studentkit.forbidden_texts()
    assert len(forbidden["answer"]) > 20 and len(forbidden["hidden test"]) > 10
    src = REPO / "solutions" / ASSIGNMENTS[0] / f"{ASSIGNMENTS[0]}.ipynb"
    found = _leaks(src.name, src.read_bytes(), forbidden)
    assert any(": answer: " in f for f in found) and any(": hidden test: " in f for f in found)


def test_kit_has_everything_a_student_needs_and_no_answers(kit):
    """Does every file of the kit leave out solutions/, hidden tests, reference answers and grader
    files, while holding the six released notebooks, aekit, its data and the environment files?"""
    forbidden = studentkit.forbidden_texts()
    with zipfile.ZipFile(kit) as zf:
        names = zf.namelist()
        leaks = [leak for n in names for leak in _leaks(n, zf.read(n), forbidden)]
    assert not leaks, leaks
    assert not [
        n for n in names if n.split("/")[0] in ("solutions", "tests", ".nbgrader", "results")
    ]
    assert not [n for n in names if n.endswith(("gradebook.db", "nbgrader_config.py", ".pyc"))]
    for a in ASSIGNMENTS:
        assert f"notebooks/{a}/{a}.ipynb" in names
    for need in [
        "README.md",
        "pyproject.toml",
        "constraints.txt",
        "environment.yml",
        "aekit/data.py",
        "data/mnist_subset.npz",
        "data/weights/vae_metrics.json",
        "data/weights/ae_metrics.json",
        "data/weights/vae_latent2_beta1.keras",
        "etc/student/labconfig/page_config.json",
    ]:
        assert need in names, need
    # data/: exactly the files the package installs (paths.data_files), not
    # the scripts that read solutions/
    assert {n for n in names if n.startswith("data/")} == {
        f"data/{p.relative_to(DATA)}" for p in data_files()
    }
    assert not [n for n in names if n.startswith("data/") and n.endswith(".py")]


def test_kit_readme_is_the_template_file(kit):
    """Is the kit's README.md the package's template file, byte for byte, and does it name the
    commands it tells students to run?"""
    with zipfile.ZipFile(kit) as zf:
        readme = zf.read("README.md")
    assert readme == studentkit.STUDENT_README.read_bytes()
    text = readme.decode()
    assert "pip install -c constraints.txt ." in text and "Windows: .venv\\Scripts\\python" in text
    assert (
        "python -m autograder validate notebooks/01_conv_as_matrix/01_conv_as_matrix.ipynb" in text
    )


def test_data_suffixes_are_what_pyproject_installs():
    """Is paths.DATA_SUFFIXES (the one list the kit and the Gradescope
    bundle ship from data/) exactly the files pyproject.toml's package-data
    installs as aekit._data, and is neither list empty?"""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "setuptools"
    ]
    installed = set()
    for package, patterns in setuptools["package-data"].items():
        if package.startswith("aekit._data"):
            folder = DATA.joinpath(*package.split(".")[2:])
            installed |= {p for pattern in patterns for p in folder.glob(pattern) if p.is_file()}
    assert installed and set(data_files()) == installed


@pytest.mark.slow
def test_kit_package_installs_with_its_data(kit, tmp_path):
    """Does `pip install` of the kit's folder give an aekit (not the checkout's) that loads MNIST, a
    pretrained model and its metrics, from any working directory?"""
    src = tmp_path / "kit"
    with zipfile.ZipFile(kit) as zf:
        zf.extractall(src)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    site = pathlib.Path(
        subprocess.run(
            [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    # third-party packages (TensorFlow ...) from this environment, so nothing is downloaded again;
    # aekit itself must come from the kit
    (site / "_thirdparty.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "AEKIT_DATA_DIR", "AEKIT_REPO")
    }
    proc = subprocess.run(
        [
            str(py),
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "--prefix",
            str(venv),
            str(src),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    code = """
import json, pathlib, sys, aekit, aekit.data as d
assert not any(p.startswith(%r) and p != %r for p in sys.path if p), sys.path  # only the borrowed packages
(x, y), (xt, yt) = d.load_mnist(source="bundled", verbose=False)
m = d.load_pretrained("vae_latent2_beta1.keras")
metrics = json.loads(d.weights_path("vae_metrics.json").read_text())
import autograder
templates = pathlib.Path(autograder.__file__).parent / "templates"
print(json.dumps({"aekit": aekit.__file__, "data": str(d.data_dir()), "n": len(x), "params": m.count_params(),
                  "metrics": sorted(metrics)[:1], "autograder": autograder.__file__,
                  "templates": sorted(str(p.relative_to(templates)) for p in templates.rglob("*") if p.is_file())}))
""" % (str(REPO), sysconfig.get_paths()["purelib"])  # noqa: E501  (verbatim text: its lines are what the code feeds on)
    proc = subprocess.run(
        [str(py), "-c", code],
        cwd=tmp_path,
        env=dict(env, TF_CPP_MIN_LOG_LEVEL="3"),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["aekit"].startswith(str(site)) and got["data"].startswith(str(site)), got
    assert got["n"] > 1000 and got["params"] > 0 and got["metrics"]
    # the grader's files that are not Python install with it (pyproject's
    # package-data for autograder)
    assert got["autograder"].startswith(str(site)), got
    shipped = {
        str(p.relative_to(REPO / "autograder" / "templates"))
        for p in (REPO / "autograder" / "templates").rglob("*")
        if p.is_file()
    }
    assert {
        "feedback.html.j2",
        "student_README.md",
        "gradescope/setup.sh",
        "gradescope/run_autograder",
    } <= shipped
    assert set(got["templates"]) == shipped, got["templates"]


# ---- JupyterLab for students and for the instructor
# -------------------------------------------------

STUDENT, INSTRUCTOR = REPO / "etc" / "student", REPO / "etc" / "instructor"
INSTRUCTOR_ONLY = ["@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment"]
STUDENT_TOOLS = ["@jupyter/nbgrader:assignment-list", "@jupyter/nbgrader:validate-assignment"]


def test_lab_settings_hide_instructor_tools_from_students_only():
    """Do the settings the make targets apply disable formgrader and Create
    Assignment for students (not the assignment list or Validate), leave
    the instructor everything, and turn the news off in both?"""
    disabled = json.loads((STUDENT / "labconfig" / "page_config.json").read_text())[
        "disabledExtensions"
    ]
    assert all(disabled.get(x) is True for x in INSTRUCTOR_ONLY)
    assert not any(disabled.get(x) for x in STUDENT_TOOLS)
    server = json.loads((STUDENT / "jupyter_server_config.json").read_text())["ServerApp"][
        "jpserver_extensions"
    ]
    assert server["nbgrader.server_extensions.formgrader"] is False
    assert server["nbgrader.server_extensions.assignment_list"] is True
    assert server["nbgrader.server_extensions.validate_assignment"] is True
    assert not (INSTRUCTOR / "labconfig" / "page_config.json").exists()
    assert not (INSTRUCTOR / "jupyter_server_config.json").exists()
    for d in (STUDENT, INSTRUCTOR):
        news = json.loads((d / "labconfig" / "default_setting_overrides.json").read_text())
        assert news["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    # what `make lab` / `make lab-solutions` start JupyterLab with
    for who in ("student", "instructor"):
        config, notebooks = _make_lab(who)
        assert config == (STUDENT if who == "student" else INSTRUCTOR)
        assert notebooks == REPO / ("notebooks" if who == "student" else "solutions")


def _make_lab(who: str) -> tuple[pathlib.Path, pathlib.Path]:
    """The JUPYTER_CONFIG_PATH and notebook folder `make lab` (students) or `make lab-solutions`
    (the instructor) runs JupyterLab with."""
    command = next(
        c for c in makecmd.dry_run("lab" if who == "student" else "lab-solutions") if " lab " in c
    )
    env, argv = makecmd.environment_and_argv(command)
    assert argv[0].endswith("/jupyter") and argv[1] == "lab", argv
    folder = next(a.split("=", 1)[1] for a in argv if a.startswith("--notebook-dir="))
    return pathlib.Path(env["JUPYTER_CONFIG_PATH"]), REPO / folder


def _serve(config_dir, root, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(
        os.environ,
        JUPYTER_CONFIG_PATH=str(config_dir),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "rt"),
        JUPYTER_CONFIG_DIR=str(tmp_path / "userconf"),
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            "--IdentityProvider.token=t",
            f"--ServerApp.root_dir={root}",
            "--allow-root",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path,
    )
    return proc, f"http://127.0.0.1:{port}"


def _get(url):
    try:
        # the test's own JupyterLab on 127.0.0.1 (http)
        with urllib.request.urlopen(  # noqa: S310
            url + ("&" if "?" in url else "?") + "token=t", timeout=10
        ) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, ""


@pytest.mark.slow
@pytest.mark.parametrize("who", ["student", "instructor"])
def test_a_running_lab_applies_the_settings(who, tmp_path):
    """Does a JupyterLab started as `make lab` / `make lab-solutions` start it serve formgrader only
    to the instructor, disable its lab extensions only for students, and default the news to off?"""
    proc, base = _serve(*_make_lab(who), tmp_path)  # as the make target starts it
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if _get(base + "/api/status")[0] == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None, "JupyterLab exited"
            time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not start")
        status, page = _get(base + "/lab")
        assert status == 200
        start = page.index('id="jupyter-config-data"')
        page_config = json.loads(page[page.index(">", start) + 1 : page.index("</script>", start)])
        disabled = page_config.get("disabledExtensions", [])
        for ext in INSTRUCTOR_ONLY:
            assert (ext in disabled) == (who == "student"), disabled
        for ext in STUDENT_TOOLS:
            assert ext not in disabled
        formgrader = _get(base + "/formgrader")[0]
        assert (formgrader == 404) == (who == "student"), formgrader
        # the assignment list's server side
        assert _get(base + "/assignments?course_id=x")[0] != 404
        _, settings = _get(base + "/lab/api/settings/@jupyterlab/apputils-extension:notification")
        # overrides become the schema's defaults (the user has set nothing)
        assert json.loads(settings)["schema"]["properties"]["fetchNews"]["default"] == "false"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
