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

from autograder import studentkit
from autograder.paths import ASSIGNMENTS, REPO


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    out = tmp_path_factory.mktemp("kit") / "course.zip"
    proc = subprocess.run([sys.executable, "-m", "autograder", "student-kit", "--out", str(out)], cwd=REPO,
                          capture_output=True, text=True, timeout=300, env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert proc.returncode == 0, proc.stderr
    return out


def _leaks(name: str, data: bytes, forbidden: dict[str, list[str]]) -> list[str]:
    text = data.decode("utf-8", errors="ignore")
    if name.endswith(".ipynb"):  # the notebook's JSON escapes newlines and quotes: read its cells' text
        try:
            nb = json.loads(text)
            text += "\n".join("".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                              for c in nb.get("cells", []))
        except ValueError:
            pass
    grader_code = name.startswith("autograder/") and name.endswith(".py")  # names the markers to find them
    return [f"{name}: {kind}: {needle[:70]!r}" for kind, needles in forbidden.items()
            if not (kind == "marker" and grader_code) for needle in needles if needle in text]


def test_forbidden_texts_would_catch_the_solutions():
    """Does the scan know the answers and hidden tests, so that it finds them in solutions/?"""
    forbidden = studentkit.forbidden_texts()
    assert len(forbidden["answer"]) > 20 and len(forbidden["hidden test"]) > 10
    src = REPO / "solutions" / ASSIGNMENTS[0] / f"{ASSIGNMENTS[0]}.ipynb"
    found = _leaks(src.name, src.read_bytes(), forbidden)
    assert any(": answer: " in f for f in found) and any(": hidden test: " in f for f in found)


def test_kit_has_everything_a_student_needs_and_no_answers(kit):
    """Does every file of the kit leave out solutions/, hidden tests, reference answers and grader files,
    while holding the six released notebooks, aekit, its data and the environment files?"""
    forbidden = studentkit.forbidden_texts()
    with zipfile.ZipFile(kit) as zf:
        names = zf.namelist()
        leaks = [leak for n in names for leak in _leaks(n, zf.read(n), forbidden)]
    assert not leaks, leaks
    assert not [n for n in names if n.split("/")[0] in ("solutions", "tests", ".nbgrader", "results")]
    assert not [n for n in names if n.endswith(("gradebook.db", "nbgrader_config.py", ".pyc"))]
    for a in ASSIGNMENTS:
        assert f"notebooks/{a}/{a}.ipynb" in names
    for need in ["README.md", "pyproject.toml", "constraints.txt", "environment.yml", "aekit/data.py",
                 "data/mnist_subset.npz", "data/weights/vae_metrics.json", "data/weights/ae_metrics.json",
                 "data/weights/vae_latent2_beta1.keras", "etc/student/labconfig/page_config.json"]:
        assert need in names, need


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
    site = pathlib.Path(subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                       capture_output=True, text=True, check=True).stdout.strip())
    # third-party packages (TensorFlow ...) from this environment, so nothing is downloaded again;
    # aekit itself must come from the kit
    (site / "_thirdparty.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "AEKIT_DATA_DIR", "AEKIT_REPO")}
    proc = subprocess.run([str(py), "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--quiet",
                           "--prefix", str(venv), str(src)], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    code = """
import json, sys, aekit, aekit.data as d
assert not any(p.startswith(%r) and p != %r for p in sys.path if p), sys.path  # only the borrowed packages
(x, y), (xt, yt) = d.load_mnist(source="bundled", verbose=False)
m = d.load_pretrained("vae_latent2_beta1.keras")
metrics = json.loads(d.weights_path("vae_metrics.json").read_text())
print(json.dumps({"aekit": aekit.__file__, "data": str(d.data_dir()), "n": len(x), "params": m.count_params(),
                  "metrics": sorted(metrics)[:1]}))
""" % (str(REPO), sysconfig.get_paths()["purelib"])
    proc = subprocess.run([str(py), "-c", code], cwd=tmp_path, env=dict(env, TF_CPP_MIN_LOG_LEVEL="3"),
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["aekit"].startswith(str(site)) and got["data"].startswith(str(site)), got
    assert got["n"] > 1000 and got["params"] > 0 and got["metrics"]


# ---- JupyterLab for students and for the instructor -------------------------------------------------

STUDENT, INSTRUCTOR = REPO / "etc" / "student", REPO / "etc" / "instructor"
INSTRUCTOR_ONLY = ["@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment"]
STUDENT_TOOLS = ["@jupyter/nbgrader:assignment-list", "@jupyter/nbgrader:validate-assignment"]


def test_lab_settings_hide_instructor_tools_from_students_only():
    """Do the settings the make targets apply disable formgrader and Create Assignment for students (not
    the assignment list or Validate), leave the instructor everything, and turn the news off in both?"""
    disabled = json.loads((STUDENT / "labconfig" / "page_config.json").read_text())["disabledExtensions"]
    assert all(disabled.get(x) is True for x in INSTRUCTOR_ONLY)
    assert not any(disabled.get(x) for x in STUDENT_TOOLS)
    server = json.loads((STUDENT / "jupyter_server_config.json").read_text())["ServerApp"]["jpserver_extensions"]
    assert server["nbgrader.server_extensions.formgrader"] is False
    assert server["nbgrader.server_extensions.assignment_list"] is True
    assert server["nbgrader.server_extensions.validate_assignment"] is True
    assert not (INSTRUCTOR / "labconfig" / "page_config.json").exists()
    assert not (INSTRUCTOR / "jupyter_server_config.json").exists()
    for d in (STUDENT, INSTRUCTOR):
        news = json.loads((d / "labconfig" / "default_setting_overrides.json").read_text())
        assert news["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    makefile = (REPO / "Makefile").read_text()
    lab = makefile.split("\nlab:")[1].split("\n\n")[0]
    lab_solutions = makefile.split("\nlab-solutions:")[1].split("\n\n")[0]
    assert "JUPYTER_CONFIG_PATH=$(CURDIR)/etc/student" in lab
    assert "JUPYTER_CONFIG_PATH=$(CURDIR)/etc/instructor" in lab_solutions


def _serve(config_dir, root, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, JUPYTER_CONFIG_PATH=str(config_dir), JUPYTER_RUNTIME_DIR=str(tmp_path / "rt"),
               JUPYTER_CONFIG_DIR=str(tmp_path / "userconf"))
    proc = subprocess.Popen([sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
                             "--IdentityProvider.token=t", f"--ServerApp.root_dir={root}", "--allow-root"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
    return proc, f"http://127.0.0.1:{port}"


def _get(url):
    try:
        with urllib.request.urlopen(url + ("&" if "?" in url else "?") + "token=t", timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, ""


@pytest.mark.slow
@pytest.mark.parametrize("who", ["student", "instructor"])
def test_a_running_lab_applies_the_settings(who, tmp_path):
    """Does a JupyterLab started as `make lab` / `make lab-solutions` start it serve formgrader only to
    the instructor, disable its lab extensions only for students, and default the news to off?"""
    config = STUDENT if who == "student" else INSTRUCTOR
    proc, base = _serve(config, REPO / ("notebooks" if who == "student" else "solutions"), tmp_path)
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
        page_config = json.loads(page[page.index(">", start) + 1: page.index("</script>", start)])
        disabled = page_config.get("disabledExtensions", [])
        for ext in INSTRUCTOR_ONLY:
            assert (ext in disabled) == (who == "student"), disabled
        for ext in STUDENT_TOOLS:
            assert ext not in disabled
        formgrader = _get(base + "/formgrader")[0]
        assert (formgrader == 404) == (who == "student"), formgrader
        assert _get(base + "/assignments?course_id=x")[0] != 404  # the assignment list's server side
        _, settings = _get(base + "/lab/api/settings/@jupyterlab/apputils-extension:notification")
        # overrides become the schema's defaults (the user has set nothing)
        assert json.loads(settings)["schema"]["properties"]["fetchNews"]["default"] == "false"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
