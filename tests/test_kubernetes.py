"""The Kubernetes recipe, as far as a machine with no cluster allows:
deploy/kubernetes/*.yaml checked against the Kubernetes API's schema (`kubernetes-validate`,
`pip install -e '.[scaleout]'`) and the rules the schema cannot say, then the Indexed Job's
own pod command run here as N processes with JOB_COMPLETION_INDEX set (one index twice at
the same time, one killed with kill -9 and run again) and the merge Job's command after
them: the merged tables must equal one `grade` run of the same class on one machine.

Run with `make test-slurm` (the `slurm` marker: scale-out tests); not in the main run.
"""

from __future__ import annotations

import copy
import os
import pathlib
import re
import signal
import subprocess
import sys
import time

import pytest
import yaml

from autograder import shard
from autograder.paths import REPO
from tests import scaleout_class

pytestmark = pytest.mark.slurm
MANIFESTS = REPO / "deploy" / "kubernetes"
IMAGE = "localhost/aekit-grader:latest"


def _documents(name: str) -> list[dict]:
    with open(MANIFESTS / name, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d]


def _job(name: str) -> dict:
    (job,) = [d for d in _documents(name) if d["kind"] == "Job"]
    return job


def _container(job: dict) -> dict:
    (container,) = job["spec"]["template"]["spec"]["containers"]
    return container


def test_the_manifests_are_valid_kubernetes_jobs():
    """Is every document of deploy/kubernetes valid against the Kubernetes API's schema (strict: no
    unknown field), and does the validator catch a misspelt field (so the check can fail)?"""
    kubernetes_validate = pytest.importorskip(
        "kubernetes_validate",
        reason="kubernetes-validate is not installed: pip install -e '.[scaleout]' (make "
        "test-slurm does)",
    )
    version = kubernetes_validate.latest_version()
    names = sorted(p.name for p in MANIFESTS.glob("*.yaml"))
    assert names == ["grade-job.yaml", "merge-job.yaml"]
    for name in names:
        for doc in _documents(name):
            kubernetes_validate.validate(doc, version, strict=True)
    broken = copy.deepcopy(_job("grade-job.yaml"))
    broken["spec"]["completionmode"] = broken["spec"].pop("completionMode")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, version, strict=True)


def test_the_grade_job_is_an_indexed_job_that_never_runs_an_index_twice():
    """The rules the schema cannot state: an Indexed Job of N completions whose command grades
    `auto/N` into a folder per index, retried per index, a replacement pod only after the failed one
    ended, exits 1 and 2 (a person's mistake) not retried, resources from the README's per-notebook
    memory, the grader's image, and a merge Job that merges exactly the N folders."""
    job = _job("grade-job.yaml")
    spec = job["spec"]
    n = spec["completions"]
    assert spec["completionMode"] == "Indexed" and spec["parallelism"] <= n
    assert spec["backoffLimitPerIndex"] >= 1 and spec["podReplacementPolicy"] == "Failed"
    pod = spec["template"]["spec"]
    assert pod["restartPolicy"] == "Never"  # podFailurePolicy needs it
    (rule,) = spec["podFailurePolicy"]["rules"]
    assert rule["action"] == "FailIndex" and sorted(rule["onExitCodes"]["values"]) == [1, 2]
    container = _container(job)
    assert rule["onExitCodes"]["containerName"] == container["name"]
    args = container["args"]
    assert container["command"] == ["python", "-m", "autograder"] and args[0] == "grade"
    assert args[args.index("--shard") + 1] == f"auto/{n}"
    assert args[args.index("--out") + 1] == "/grading/shards/$(JOB_COMPLETION_INDEX)"
    workers, memory = (
        int(args[args.index("--workers") + 1]),
        float(args[args.index("--memory") + 1]),
    )
    cpu = float(container["resources"]["requests"]["cpu"])
    assert workers == cpu + 1  # the grader's default: cores + 1
    limit_gib = float(container["resources"]["limits"]["memory"].removesuffix("Gi"))
    request_gib = float(container["resources"]["requests"]["memory"].removesuffix("Gi"))
    # README: a notebook peaks at 0.8 to 1.2 GB, grader included
    assert workers * 1.2 <= request_gib <= limit_gib
    assert 1.2 <= memory <= limit_gib  # one runaway notebook is stopped inside the pod's limit
    merge = _job("merge-job.yaml")
    margs = _container(merge)["args"]
    assert margs[0] == "merge" and margs[1 : 1 + n] == [f"/grading/shards/{k}" for k in range(n)]
    assert margs[1 + n :] == ["--into", "/grading/results"]
    mounts = {m["mountPath"] for m in _container(merge)["volumeMounts"]}
    assert mounts == {"/grading"}
    for each in (job, merge):
        assert _container(each)["image"] == IMAGE
    containerfile = REPO / "Containerfile"
    # the image the repository builds is the one the Jobs run, and `python` is its venv's
    if containerfile.is_file():
        built = "".join(p.read_text() for p in (REPO / "container").glob("*") if p.is_file())
        assert IMAGE.removesuffix(":latest") in built, (
            "the Jobs name an image the repository never builds"
        )
        text = containerfile.read_text()
        assert re.search(r"^ENV PATH=/venv/bin:", text, re.MULTILINE), (
            "`python` in the Jobs is not the image's venv"
        )
        assert re.search(
            r'^ENTRYPOINT \["/venv/bin/python", "-m", "autograder"\]', text, re.MULTILINE
        )


def _pod_command(
    job: dict, index: int | None, mounts: dict[str, pathlib.Path], base_env: dict
) -> tuple[list[str], dict]:
    """The Job's container command as this machine runs it: `python` is this
    environment's, each volume's mountPath is its local folder, `$(VAR)`
    expanded as the kubelet does, JOB_COMPLETION_INDEX set as the Job controller
    sets it (in `base_env`, which names the checkout the image would hold)."""
    container = _container(job)
    env = dict(base_env)
    if index is not None:
        env["JOB_COMPLETION_INDEX"] = str(index)
    words = []
    for word in [*container["command"], *container["args"]]:
        word = re.sub(
            r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", lambda m: env.get(m.group(1), m.group(0)), word
        )
        for mount, local in mounts.items():
            if word == mount or word.startswith(mount + "/"):
                word = str(local) + word[len(mount) :]
        words.append(word)
    assert words[0] == "python"
    return [sys.executable, *words[1:]], env


def _summary(stdout: str) -> tuple[int, int]:
    """(graded now, unchanged) of a `grade` run's summary line."""
    m = re.search(r"\((\d+) graded now, (\d+) unchanged\)", stdout)
    assert m, stdout
    return int(m.group(1)), int(m.group(2))


def _records(folder: pathlib.Path) -> list[pathlib.Path]:
    return sorted(
        p for p in (folder / ".state").glob("*/*.json") if not p.parent.name.startswith(".")
    )


def test_the_indexed_job_s_pods_run_here_and_merge_into_the_one_machine_result(tmp_path_factory):
    """The grade Job's pod command run as N local processes: index 1 started twice at the same time
    (one grades, the other stops at once with exit 2 and one line), index 0 killed with kill -9
    after its first notebook was saved (the merge then refuses it), then run again (it regrades only
    what it had not finished); the merge Job's command then gives tables equal, score for score, to
    one `grade` run on one machine."""
    ref = scaleout_class.reference(tmp_path_factory.mktemp("scaleout"))
    cls, one_machine = ref.cls, ref.out
    grading = tmp_path_factory.mktemp("grading")
    job, merge = _job("grade-job.yaml"), _job("merge-job.yaml")
    n = job["spec"]["completions"]
    mounts = {"/class": cls, "/grading": grading}

    def start(index: int, *extra: str) -> subprocess.Popen:
        args, env = _pod_command(job, index, mounts, ref.env)
        return subprocess.Popen(
            [*args, *extra],
            env=env,
            cwd=ref.checkout,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    twice = [start(1), start(1)]
    outs = [p.communicate(timeout=1800) for p in twice]
    codes = sorted(p.returncode for p in twice)
    assert codes == [0, 2], outs
    refused = next(err for p, (_, err) in zip(twice, outs, strict=True) if p.returncode == 2)
    assert "being graded by another run" in refused and len(refused.strip().splitlines()) == 1, (
        refused
    )
    # index 0, one notebook at a time (so the kill falls between two of
    # them), killed once its first is saved
    shard0 = grading / "shards" / "0"
    victim = start(0, "--workers", "1")
    deadline = time.monotonic() + 900
    while not _records(shard0) and victim.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert victim.poll() is None, victim.communicate()
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait()
    finished = _records(shard0)
    students0 = sorted(p.name for p in cls.iterdir() if shard.shard_of(p.name, n) == 0)
    assert 1 <= len(finished) < len(students0), (finished, students0)
    last = start(2)
    assert last.wait(timeout=1800) == 0, last.communicate()
    margs, menv = _pod_command(merge, None, mounts, ref.env)
    early = subprocess.run(
        margs, env=menv, cwd=ref.checkout, capture_output=True, text=True, timeout=600
    )
    assert (
        early.returncode == 2
        and "was killed before it finished: run that shard again" in early.stderr
    ), early
    assert not (grading / "results" / "grades.csv").exists()
    rerun = start(0)
    out, err = rerun.communicate(timeout=1800)
    assert rerun.returncode == 0, err
    assert _summary(out) == (len(students0) - len(finished), len(finished)), out
    done = subprocess.run(
        margs, env=menv, cwd=ref.checkout, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    assert f"merged {n} results folders" in done.stdout
    scaleout_class.assert_same_grades(grading / "results", one_machine)
    again = subprocess.run(
        margs, env=menv, cwd=ref.checkout, capture_output=True, text=True, timeout=600
    )
    assert again.returncode == 0 and "0 notebooks added, 0 replaced" in again.stdout, again
