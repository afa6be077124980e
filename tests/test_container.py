"""The grader's container image (Containerfile, container/build.sh): built from Debian
packages and PyPI only, it grades a class with the full sandbox when run with the
flags the README lists, and refuses in one line without them. Only `make
test-container` (pytest -m container) runs these tests: the build takes minutes.

Podman's default runtime, crun, refuses a host whose cgroup controllers are
split between v1 and v2 ("cgroups in hybrid mode not supported"); there the
test uses runc (`podman --runtime runc`), as the README says.
"""

from __future__ import annotations

import csv
import json
import os
import pathlib
import resource
import shutil
import subprocess

import pytest

from autograder import selftest
from autograder.paths import REPO

pytestmark = [pytest.mark.container, pytest.mark.slow]

A = "04_gaussian_generative_models"
IMAGE = "localhost/aekit-grader:test"
BASE = "localhost/aekit-debian:bookworm"


def _ulimits() -> list[str]:
    """podman's default limits exceed what some hosts allow a container to
    set (EPERM): this host's instead."""
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return ["--ulimit", f"nofile={nofile}:{nofile}", "--ulimit", "nproc=4096:4096"]


def _podman_problem(podman: list[str]) -> str | None:
    """Why this podman cannot run a container of the base image here (None: it can)."""
    proc = subprocess.run(
        [*podman, "run", "--rm", *_ulimits(), BASE, "true"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    return (
        None if proc.returncode == 0 else (proc.stderr.strip().splitlines() or ["no message"])[-1]
    )


@pytest.fixture(scope="module")
def podman():
    """The podman command that runs containers here, with the base image
    built; skips saying why where none."""
    for tool, package in (("podman", "podman"), ("mmdebstrap", "mmdebstrap")):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (apt-get install {package})")
    command = ["podman"]
    if subprocess.run([*command, "image", "exists", BASE]).returncode != 0:
        build = subprocess.run(
            ["sh", str(REPO / "container" / "build-base.sh")],
            capture_output=True,
            text=True,
            timeout=1800,
        )
        assert build.returncode == 0, build.stderr[-3000:]
    problem = _podman_problem(command)
    if problem and shutil.which("runc"):
        runc = ["podman", "--runtime", "runc"]
        if _podman_problem(runc) is None:
            return runc
    if problem:
        pytest.skip(f"podman cannot run a container here: {problem}")
    return command


@pytest.fixture(scope="module")
def image(podman):
    env = dict(os.environ, PODMAN=" ".join(podman))
    build = subprocess.run(
        ["sh", str(REPO / "container" / "build.sh"), IMAGE],
        capture_output=True,
        text=True,
        timeout=3600,
        env=env,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    yield IMAGE
    subprocess.run([*podman, "rmi", IMAGE], capture_output=True)


def _class(folder: pathlib.Path) -> pathlib.Path:
    exercise, code = next(iter(selftest.solution_sources(A).items()))
    hog = selftest.load_case(REPO / "tests" / "attacks" / "memory_hog.py").overrides["attack"]
    for sid, nb in (
        ("honest", selftest.build_submission(A)),
        ("memory_hog", selftest.build_submission(A, {exercise: f"{hog}\n{code}"})),
    ):
        (folder / sid).mkdir(parents=True)
        (folder / sid / f"{A}.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    return folder


def _grade(
    podman, image, tmp_path, *flags: str
) -> tuple[subprocess.CompletedProcess, pathlib.Path]:
    klass, results = _class(tmp_path / "class"), tmp_path / "results"
    results.mkdir()
    proc = subprocess.run(
        [
            *podman,
            "run",
            "--rm",
            *flags,
            *_ulimits(),
            "-v",
            f"{klass}:/class:ro",
            "-v",
            f"{results}:/results",
            image,
            "grade",
            "/class",
            "--out",
            "/results",
            "--notebooks",
            "04",
            "--workers",
            "1",
            "--memory",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    return proc, results


def test_the_image_grades_a_class_with_the_full_sandbox(podman, image, tmp_path):
    """Run as the README says (--privileged, its own cgroup namespace): does the grader inside
    describe the full sandbox (namespaces and every cgroup limit), give the honest student every
    automatic point and end the memory bomb `crashed` with 0 and the reason?"""
    proc, results = _grade(podman, image, tmp_path, "--privileged", "--cgroupns=private")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "cgroup memory, process, CPU and freezer limits" in proc.stderr, proc.stderr
    assert "own PID, IPC and empty network namespaces" in proc.stderr, proc.stderr
    with open(results / "grades.csv", encoding="utf-8", newline="") as f:
        grades = {r["student_id"]: r for r in csv.DictReader(f)}
    with open(results / "tests.csv", encoding="utf-8", newline="") as f:
        honest_tests = [
            r for r in csv.DictReader(f) if r["student_id"] == "honest" and not r["manual"]
        ]
    assert grades["honest"]["status"] == "graded" and honest_tests, grades["honest"]
    assert all(float(r["score"]) == float(r["max_score"]) for r in honest_tests), honest_tests
    hog = grades["memory_hog"]
    assert (
        hog["status"] == "crashed" and float(hog["score"]) == 0 and "GB of memory" in hog["detail"]
    ), hog


def test_without_privileges_the_image_refuses_in_one_line(podman, image, tmp_path):
    """Run without --privileged (no namespaces, a read-only cgroup file system): does `grade` refuse
    with exit 2 in one line offering --unsafe, and grade nothing?"""
    proc, results = _grade(podman, image, tmp_path)
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-3000:])
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "refusing to grade" in lines[0] and "--unsafe" in lines[0], (
        proc.stderr
    )
    assert not (results / "grades.csv").exists()


def test_the_build_refuses_in_one_line_without_room(podman):
    """A build that would fill podman's storage (CI ran out of disk in the pip step once): does
    build.sh refuse before building, in one line that names the storage and what to free?"""
    env = dict(os.environ, PODMAN=" ".join(podman), AEKIT_IMAGE_BUILD_GB="1000000")
    proc = subprocess.run(
        ["sh", str(REPO / "container" / "build.sh"), "localhost/aekit-never-built:test"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode != 0 and len(lines) == 1, (proc.returncode, proc.stderr)
    assert "needs about 1000000 GB" in lines[0] and "podman image prune" in lines[0], lines
    exists = subprocess.run([*podman, "image", "exists", "localhost/aekit-never-built:test"])
    assert exists.returncode != 0
