"""Does the student kit install, from wheels alone, on every platform and Python it claims?

The machines here are Linux x86-64. For the others, pip resolves the kit's requirements
(pyproject.toml's dependencies, pinned by constraints.txt) as it would there: `pip
install --dry-run --only-binary=:all: --platform P --python-version V --target TMP`,
with environment markers evaluated for P and V (tests/pip_for_platform.py), so that a
pin with no wheel for some platform fails here first. The resolutions need PyPI (only
with `-m platforms`: `make test-stacks`; about two minutes, 16 in parallel). The
ranges' fast check, pyproject.toml against aekit/versions.py, runs in the main suite.
"""

from __future__ import annotations

import concurrent.futures
import json
import pathlib
import subprocess
import sys

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from aekit import versions

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

REPO = pathlib.Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
PYTHONS = ("3.10", "3.11", "3.12", "3.13")


def _linux(arch: str) -> list[str]:
    # pip does not widen manylinux_2_X tags by itself: list every glibc
    # from 2.28 (Debian 10, Ubuntu 20.04 have more)
    return [f"manylinux_2_{minor}_{arch}" for minor in range(28, 16, -1)] + [
        f"manylinux2014_{arch}"
    ]


# name -> (pip --platform tags, marker environment, the TensorFlow distribution with wheels there)
PLATFORMS = {
    "macOS arm64": (
        ["macosx_14_0_arm64"],
        {
            "sys_platform": "darwin",
            "platform_machine": "arm64",
            "platform_system": "Darwin",
            "os_name": "posix",
        },
        "tensorflow",
    ),
    "Windows x86-64": (
        ["win_amd64"],
        {
            "sys_platform": "win32",
            "platform_machine": "AMD64",
            "platform_system": "Windows",
            "os_name": "nt",
        },
        "tensorflow-cpu",
    ),
    "Linux aarch64": (
        _linux("aarch64"),
        {
            "sys_platform": "linux",
            "platform_machine": "aarch64",
            "platform_system": "Linux",
            "os_name": "posix",
        },
        "tensorflow",
    ),
    "Linux x86-64": (
        _linux("x86_64"),
        {
            "sys_platform": "linux",
            "platform_machine": "x86_64",
            "platform_system": "Linux",
            "os_name": "posix",
        },
        "tensorflow-cpu",
    ),
}
CASES = [(p, v) for p in PLATFORMS for v in PYTHONS]


def _marker_env(platform: str, python: str) -> dict[str, str]:
    full = f"{python}.0"
    return dict(
        PLATFORMS[platform][1],
        python_version=python,
        python_full_version=full,
        implementation_name="cpython",
        implementation_version=full,
        platform_python_implementation="CPython",
        platform_release="",
        platform_version="",
    )


def _norm(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _pins(env: dict[str, str]) -> dict[str, str]:
    """constraints.txt's pins that apply in the marker environment `env`."""
    pins = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            r = Requirement(line)
            if r.marker is None or r.marker.evaluate(env):
                pins[_norm(r.name)] = next(iter(r.specifier)).version
    return pins


def _resolve(platform: str, python: str, tmp: pathlib.Path) -> dict:
    tags, _, _ = PLATFORMS[platform]
    reqs, report, target = tmp / "requirements.txt", tmp / "report.json", tmp / "target"
    reqs.write_text("\n".join(PROJECT["dependencies"]) + "\n")
    args = [
        sys.executable,
        str(REPO / "tests" / "pip_for_platform.py"),
        json.dumps(_marker_env(platform, python)),
        "install",
        "--quiet",
        "--dry-run",
        "--ignore-installed",
        "--only-binary=:all:",
        *[a for tag in tags for a in ("--platform", tag)],
        "--python-version",
        python,
        "--implementation",
        "cp",
        "--target",
        str(target),
        "--report",
        str(report),
        "-c",
        str(REPO / "constraints.txt"),
        "-r",
        str(reqs),
    ]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        return {"error": (proc.stdout + proc.stderr)[-3000:]}
    return {
        _norm(i["metadata"]["name"]): i["metadata"]["version"]
        for i in json.loads(report.read_text())["install"]
    }


@pytest.fixture(scope="module")
def resolutions(request, tmp_path_factory) -> dict:
    """Every selected (platform, Python) resolved once, eight at a time
    (they mostly wait on the network)."""
    chosen = {
        (i.callspec.params["platform"], i.callspec.params["python"])
        for i in request.session.items
        if hasattr(i, "callspec") and "platform" in i.callspec.params
    }
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        futures = {
            case: pool.submit(_resolve, *case, tmp_path_factory.mktemp("resolve"))
            for case in CASES
            if case in chosen
        }
        return {case: f.result() for case, f in futures.items()}


@pytest.mark.platforms
@pytest.mark.parametrize("platform, python", CASES)
def test_student_kit_resolves_from_wheels(resolutions, platform, python):
    """Does pip find a wheel for every requirement of the kit with constraints.txt's pins on this
    platform and Python, install TensorFlow under the one name that has wheels there at the pinned
    version, and ipywidgets at its pin (not 8.1.9)?"""
    got = resolutions[(platform, python)]
    assert "error" not in got, f"{platform}, Python {python}: {got.get('error')}"
    pins = _pins(_marker_env(platform, python))
    tf_name = PLATFORMS[platform][2]
    other = {"tensorflow", "tensorflow-cpu"} - {tf_name}
    assert got.get(tf_name) == pins[tf_name] and not other & set(got), (
        platform,
        python,
        tf_name,
        got.get(tf_name),
    )
    assert got["ipywidgets"] == pins["ipywidgets"] != "8.1.9"
    assert got["keras"] == pins["keras"] and got["numpy"] == pins["numpy"]
    for name, version in got.items():
        if name in pins:
            assert version == pins[name], (name, version, pins[name])


def test_pyproject_ranges_are_the_ones_aekit_checks_on_import():
    """Do pyproject.toml's ranges of TensorFlow (both names), Keras, NumPy and ipywidgets say what
    aekit.versions.SUPPORTED says (lowest, upper bound, broken versions), so the import-time check
    and pip agree on what is supported?"""
    reqs = {}
    for line in PROJECT["dependencies"]:
        r = Requirement(line)
        reqs.setdefault(_norm(r.name), r.specifier)
    for s in versions.SUPPORTED:
        want = SpecifierSet(
            ",".join([f">={s.lowest}", f"<{s.below}", *(f"!={b}" for b in s.broken)])
        )
        for dist in s.distributions:
            assert reqs[dist] == want, (dist, str(reqs[dist]), str(want))


def test_constraints_pins_sit_inside_the_supported_ranges():
    """Is every version constraints.txt pins for TensorFlow, Keras, NumPy and ipywidgets one that
    aekit's import check accepts without a word (in range, not a broken version)?"""
    for python in PYTHONS:
        env = _marker_env("Linux x86-64", python)
        pins = _pins(env)
        found = versions.findings(
            {name: pins[name] for name in ("tensorflow-cpu", "keras", "numpy", "ipywidgets")}
        )
        assert found == [], (python, found)
